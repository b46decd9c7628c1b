package http_test

import (
	"net/http"
	"net/url"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSOWorkspaceProviderStaysInItsWorkspace: a customer workspace's
// provider makes and links only that workspace's users, even when it
// asserts the email of an org user; only the workspace's groups may
// follow it.
func TestSSOWorkspaceProviderStaysInItsWorkspace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		wsID := e.create(admin, org+"/workspaces", obj{"name": "Customer"})
		ws := org + "/workspaces/" + wsID
		orgUser := e.user(admin, org, "dana@acme.example")
		before := e.must(admin, "GET", org+"/users/"+orgUser, nil, 200)

		op := ssotest.NewOP(t)
		op.AddUser("dana", "d-pw", "dana@acme.example", true, "Dana Double", []string{"cust-soc"})
		op.AddUser("cole", "c-pw", "cole@customer.example", true, "Cole Customer", []string{"cust-soc"})
		p := e.addOIDC(admin, ws, "Customer Okta", op, nil)
		pid := p.str("id")

		// A workspace group may follow the provider; an org group may not.
		wg := e.create(admin, ws+"/groups", obj{"name": "Customer SOC"})
		e.must(admin, "PATCH", ws+"/groups/"+wg, obj{"external": []obj{{"provider_id": pid, "value": "cust-soc"}}}, 200)
		og := e.create(admin, org+"/groups", obj{"name": "Org SOC"})
		out := e.refused(admin, "PATCH", org+"/groups/"+og, obj{"external": []obj{{"provider_id": pid, "value": "cust-soc"}}}, 400, "invalid_input")
		if fieldError(out, "external[0].provider_id") == "" {
			t.Errorf("the org group's refusal = %v, want field external[0].provider_id", out)
		}

		for _, who := range []struct{ user, pw, email string }{{"cole", "c-pw", "cole@customer.example"}, {"dana", "d-pw", "dana@acme.example"}} {
			sb, b := e.ssoBrowser()
			resp, err := sb.SignInOIDC(p.str("start_url"), who.user, who.pw)
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, who.user+"'s sign-in", resp)
			me := b.must("GET", "/v1/me", nil, 200)
			if me.str("user.workspace_id") != wsID || me.str("user.email") != who.email || me.str("user.id") == orgUser {
				t.Fatalf("/v1/me = %v, want a user of workspace %s", me.get("user"), wsID)
			}
			adds := e.events(admin, org, "group.member.add")
			if len(adds) == 0 || adds[0].str("target.id") != wg || adds[0].str("actor.type") != "identity_provider" {
				t.Errorf("group.member.add events = %v, want %s joined by the provider", adds, wg)
			}
		}
		after := e.must(admin, "GET", org+"/users/"+orgUser, nil, 200)
		if after.get("identities") != nil || after.get("revision") != before.get("revision") {
			t.Errorf("the org user changed: %v, was %v", after, before)
		}
		for _, ev := range e.events(admin, org, "user.") {
			if ev.str("target.id") == orgUser && ev.str("action") != "user.create" {
				t.Errorf("an event touched the org user: %v", ev)
			}
		}
	})
}

// TestSSONextStaysOnSite: wherever next or a RelayState points, the
// browser is sent to a path of ours after signing in.
func TestSSONextStaysOnSite(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		// A mounted console makes the sign-in end in a redirect to next.
		e.server.Page("GET /console/", http.NotFoundHandler())
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		op.AddUser("pat", "pat-pw", "pat@partner.example", true, "Pat Partner", nil)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		for next, want := range map[string]string{
			"https://evil.example":     "/",
			"//evil.example":           "/",
			`/\evil.example`:           "/",
			"/%5Cevil.example":         "/%5Cevil.example", // an encoded backslash is a path of ours
			"https:evil.example":       "/",
			"javascript:alert(1)":      "/",
			"/console/workspaces?q=x":  "/console/workspaces?q=x",
			"\t//evil.example":         "/",
			"/%2F%2Fevil.example/path": "/%2F%2Fevil.example/path",
		} {
			sb := ssotest.NewBrowser(t)
			resp, err := sb.SignInOIDC(p.str("start_url")+"?next="+url.QueryEscape(next), "pat", "pat-pw")
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, "sign-in with next "+next, resp)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != want {
				t.Errorf("next=%q: %s to %q, want 303 to %q", next, resp.Status, loc, want)
			}
		}

		idp := ssotest.NewIdP(t)
		idp.AddUser("sam", "sam-pw", "sam@partner.example", nil)
		sp := e.addSAML(admin, org, "Partner SAML", idp, false, obj{"allow_idp_initiated": true})
		for _, relay := range []string{"https://evil.example", "//evil.example", "/console/ok"} {
			sb := ssotest.NewBrowser(t)
			post, err := idp.IdPInitiated(sb, sp.str("sp_entity_id"), relay, "sam", "sam-pw")
			if err != nil {
				t.Fatal(err)
			}
			if post.RelayState != relay {
				t.Fatalf("samlidp sends RelayState %q, want %q", post.RelayState, relay)
			}
			resp, err := sb.PostSAML(post.ACS, post.SAMLResponse, post.RelayState)
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, "IdP-initiated with RelayState "+relay, resp)
			if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("RelayState %q: Location %q, want / (an unsolicited RelayState is never a destination)", relay, loc)
			}
		}
	})
}

// TestSSOProviderIsAddressedInItsHome: a workspace's provider is reached
// at the workspace's address only; through the org's it does not exist,
// so it can never be turned into the org's.
func TestSSOProviderIsAddressedInItsHome(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		wsID := e.create(admin, org+"/workspaces", obj{"name": "Customer"})
		ws := org + "/workspaces/" + wsID
		op := ssotest.NewOP(t)
		p := e.addOIDC(admin, ws, "Customer Okta", op, nil)
		in := obj{"type": "oidc", "name": "Customer Okta renamed", "issuer": op.Issuer(), "client_id": p.str("oidc.client_id"), "jit": true}
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			var body any
			if m == "PUT" {
				body = in
			}
			e.refused(admin, m, org+"/identity-providers/"+p.str("id"), body, 404, "identity_provider_not_found")
		}
		for _, it := range e.must(admin, "GET", org+"/identity-providers", nil, 200).list("items") {
			t.Errorf("the org's providers list %v", it)
		}
		if out := e.must(admin, "PUT", ws+"/identity-providers/"+p.str("id"), in, 200); out.str("workspace_id") != wsID {
			t.Errorf("after a change, workspace_id = %q, want %q", out.str("workspace_id"), wsID)
		}
	})
}
