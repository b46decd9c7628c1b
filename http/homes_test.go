package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Emails and role names are unique per home, so a customer creating a user or
// a role learns nothing of what exists in the partner's organization or in a
// sibling workspace (docs/design.md, "Uniqueness").
func TestNamesAreUniquePerHome(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)
		p.user(p.admin, org, "nina@acme.example")
		p.user(p.admin, org+"/workspaces/beta", "bo@beta.example")
		p.create(p.admin, org+"/workspaces/beta/roles", obj{"name": "Auditor", "based_on": "incident_analyst"})

		// What the customer admin cannot see does not stand in its way.
		for _, email := range []string{"nina@acme.example", "bo@beta.example", "admin@acme.example"} {
			p.must(caKey, "POST", org+"/workspaces/alpha/users", obj{"email": email, "given_name": "Same"}, 201)
		}
		p.must(caKey, "POST", org+"/workspaces/alpha/roles", obj{"name": "Auditor", "based_on": "incident_analyst"}, 201)

		// Inside one home the rules hold as before.
		p.refused(caKey, "POST", org+"/workspaces/alpha/users", obj{"email": "NINA@acme.example", "given_name": "Again"}, 409, "email_taken")
		p.refused(caKey, "POST", org+"/workspaces/alpha/roles", obj{"name": "auditor", "based_on": "incident_analyst"}, 409, "name_taken")
		// A built-in's name is taken everywhere, and an org role is usable in
		// every workspace, so its name may not repeat a workspace's (the Org
		// Admin sees them all).
		p.refused(caKey, "POST", org+"/workspaces/alpha/roles", obj{"name": "Admin", "based_on": "incident_analyst"}, 409, "name_taken")
		p.refused(p.admin, "POST", org+"/roles", obj{"name": "Auditor", "based_on": "incident_analyst"}, 409, "name_taken")

		// Each home resolves a role name to its own role.
		for _, ws := range []string{"alpha", "beta"} {
			got := p.must(p.admin, "GET", org+"/workspaces/"+ws+"/roles/Auditor", nil, 200)
			if got.str("workspace_id") == "" {
				t.Errorf("role Auditor in %s = %v, want the workspace's own", ws, got)
			}
		}
		// Asking about an email held in several homes names the user by id.
		p.refused(p.admin, "POST", "/v1/check", obj{"org": "acme", "user": "nina@acme.example", "workspace": "alpha", "capability": "incidents.view"}, 400, "ambiguous_user")
	})
}

// One person with accounts in two homes signs in to the one its password
// opens; when it opens both, the answer asks which, and only then.
func TestSignInWithOneEmailInTwoHomes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		orgUser := p.member("kim@acme.example", "partner passphrase one")
		wsUser := p.user(p.admin, org+"/workspaces/alpha", "kim@acme.example")
		p.must(p.admin, "POST", org+"/workspaces/alpha/users/"+wsUser+"/password", obj{"password": "customer passphrase two"}, 200)

		signedIn := func(in obj) string {
			b := e.browser("probe")
			if got, out, _ := b.call("POST", "/v1/login", in); got != http.StatusOK {
				t.Fatalf("sign in %v = %d %v, want 200", in, got, out)
			}
			return b.must("GET", "/v1/me", nil, 200).str("user.id")
		}
		as := func(password string) obj {
			return obj{"org": "acme", "email": "kim@acme.example", "password": password}
		}
		if got := signedIn(as("customer passphrase two")); got != wsUser {
			t.Errorf("sign in with the workspace account's password = %s, want user %s", got, wsUser)
		}
		if got := signedIn(as("partner passphrase one")); got != orgUser {
			t.Errorf("sign in with the org account's password = %s, want user %s", got, orgUser)
		}
		wrong, _, _ := e.browser("probe").login("acme", "kim@acme.example", "neither of the two")
		absent, _, _ := e.browser("probe").login("acme", "nobody@acme.example", "neither of the two")
		if wrong != http.StatusUnauthorized || absent != wrong {
			t.Errorf("wrong password = %d, unknown email = %d; want both 401", wrong, absent)
		}

		p.must(p.admin, "POST", org+"/workspaces/alpha/users/"+wsUser+"/password", obj{"password": "partner passphrase one"}, 200)
		got, out, _ := e.browser("probe").login("acme", "kim@acme.example", "partner passphrase one")
		if got != http.StatusConflict || out.str("code") != "home_required" {
			t.Fatalf("one password for both accounts = %d %v, want 409 home_required", got, out)
		}
		in := as("partner passphrase one")
		in["workspace"] = "alpha"
		if got := signedIn(in); got != wsUser {
			t.Errorf("sign in naming workspace alpha = %s, want user %s", got, wsUser)
		}
		in["workspace"] = "-"
		if got := signedIn(in); got != orgUser {
			t.Errorf("sign in naming the organization = %s, want user %s", got, orgUser)
		}
	})
}

// A customer reads its partner's name and the sign-in rules that bind it,
// never the partner's security contacts, webhook or address ranges; partner
// staff are named to it as the organization chose.
func TestCustomersSeeOnlyWhatConcernsThem(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.must(p.admin, "PATCH", org, obj{"policy": obj{"password_min_length": 12, "security_contacts": []string{"soc@acme.example"},
			"webhook_url": "https://hooks.acme.example/gatehouse", "allowed_cidrs": []string{"0.0.0.0/0", "::/0"}}}, 200)
		nina := p.create(p.admin, org+"/users", obj{"email": "nina@acme.example", "given_name": "Nina", "family_name": "Berg"})
		p.assign(p.admin, "acme", "alpha", "user", nina, "incident_responder")
		analyst := p.user(p.admin, org+"/workspaces/alpha", "ana@alpha.example")
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", analyst, "incident_analyst")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		anaKey, caKey := p.key("acme", analyst), p.key("acme", ca)

		for _, path := range []string{org, "/v1/orgs"} {
			raw := e.raw(anaKey, path)
			for _, secret := range []string{"soc@acme.example", "hooks.acme.example", "0.0.0.0/0", "warnings", "partner_staff_shown_as"} {
				if strings.Contains(raw, secret) {
					t.Errorf("a customer analyst reads %q in GET %s: %s", secret, path, raw)
				}
			}
			if !strings.Contains(raw, `"password_min_length":12`) {
				t.Errorf("GET %s as a customer = %s, want the password rule that binds it", path, raw)
			}
		}
		if raw := e.raw(p.admin, org); !strings.Contains(raw, "soc@acme.example") || !strings.Contains(raw, `"partner_staff_shown_as":"name_email"`) {
			t.Errorf("GET %s as the Org Admin = %s, want the whole policy and the settings in force", org, raw)
		}

		names := func() (assigned, audited string) {
			for _, it := range p.must(caKey, "GET", org+"/workspaces/alpha/assignments", nil, 200).list("items") {
				if a := obj(it.(map[string]any)); a.str("principal.id") == nina {
					assigned = a.str("principal_name")
				}
			}
			for _, it := range p.must(caKey, "GET", org+"/workspaces/alpha/events?limit=100", nil, 200).list("items") {
				if ev := obj(it.(map[string]any)); ev.str("action") == "assignment.create" && ev.str("target.id") != "" && audited == "" {
					raw, _ := json.Marshal(ev["actor"])
					audited = string(raw) + " " + ev.str("source.ip")
				}
			}
			return
		}
		for _, c := range []struct{ setting, assigned, absent string }{
			{"name_email", "Nina Berg <nina@acme.example>", "127.0.0.1"},
			{"name", "Nina Berg", "admin@acme.example"},
			{"org", "acme Security", "usr_"},
		} {
			p.must(p.admin, "PATCH", org, obj{"partner_staff_shown_as": c.setting}, 200)
			assigned, audited := names()
			if assigned != c.assigned {
				t.Errorf("%s: the customer admin sees the partner analyst as %q, want %q", c.setting, assigned, c.assigned)
			}
			if audited == "" || strings.Contains(audited, c.absent) {
				t.Errorf("%s: the customer admin reads the partner admin's change as %s, want no %q", c.setting, audited, c.absent)
			}
		}
		p.refused(p.admin, "PATCH", org, obj{"partner_staff_shown_as": "everything"}, 400, "invalid_input")
	})
}

// The sign-in page asks for the home when one email and password open
// accounts in several, and signs in to the one named.
func TestSignInPageAsksForTheHome(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("kim@acme.example", "one passphrase for both")
		wsUser := p.user(p.admin, org+"/workspaces/alpha", "kim@acme.example")
		p.must(p.admin, "POST", org+"/workspaces/alpha/users/"+wsUser+"/password", obj{"password": "one passphrase for both"}, 200)

		kim := e.pages()
		_, body := kim.open("https://gatehouse.test/signin")
		form := url.Values{"org": {"acme"}, "email": {"kim@acme.example"}, "password": {"one passphrase for both"}}
		st, body := kim.submit("/signin", body, form)
		wantPage(t, "one password for two homes", st, 409, body, "several places", "alpha", `name="workspace"`)
		form.Set("workspace", "alpha")
		st, body = kim.submit("/signin", body, form)
		wantPage(t, "naming the workspace", st, 200, body, "You are signed in as kim@acme.example")
	})
}
