package http_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse/ldap/ldaptest"
)

// ldapDirectory is the body connecting srv as an LDAP directory.
func ldapDirectory(srv *ldaptest.Server, name, bindPassword string, more obj) obj {
	in := obj{"type": "ldap", "name": name, "url": srv.URL, "bind_dn": ldaptest.AdminDN,
		"bind_password": bindPassword, "base_dn": ldaptest.BaseDN}
	for k, v := range more {
		in[k] = v
	}
	return in
}

// emails lists the emails of the users at path (a home's users).
func (e *env) emails(key, path string) map[string]obj {
	e.t.Helper()
	out := map[string]obj{}
	for _, it := range e.must(key, "GET", path+"/users?limit=200", nil, 200).list("items") {
		u := obj(it.(map[string]any))
		out[u.str("email")] = u
	}
	return out
}

// syncs is a directory's history of syncs, newest first.
func (e *env) syncs(key, path string) []obj {
	e.t.Helper()
	var out []obj
	for _, it := range e.must(key, "GET", path+"/history", nil, 200).list("items") {
		if ev := obj(it.(map[string]any)); strings.HasPrefix(ev.str("action"), "directory.sync") {
			out = append(out, ev)
		}
	}
	return out
}

// A customer's admin connects its LDAP server to its workspace: a dry run
// says what a sync would do and does nothing; the sync provisions the
// workspace's people and groups and nothing in the partner's organization;
// what it made is read-only to admins. A sync that would disable more than
// the threshold is held — nothing changes, the history and the security
// contacts say so — until the admin releases it. A wrong bind password
// answers what to correct.
func TestLDAPDirectoryOverTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		srv := ldaptest.Start(t)
		const people = 12
		var dns []string
		for i := range people {
			uid := fmt.Sprintf("p%02d", i)
			srv.AddPerson(t, uid, uid+"@alpha.example", "P", fmt.Sprint(i))
			dns = append(dns, ldaptest.PersonDN(uid))
		}
		srv.AddGroupOfNames(t, "devs", dns[:3]...)
		p := newPartner(t, e)
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)
		ws := org + "/workspaces/alpha"

		x := p.must(caKey, "POST", ws+"/directories", ldapDirectory(srv, "Alpha LDAP", ldaptest.AdminPassword, nil), 201)
		if strings.Contains(fmt.Sprint(x), ldaptest.AdminPassword) {
			t.Fatalf("the answer shows the bind password: %v", x)
		}
		path := ws + "/directories/" + x.str("id")

		dry := p.must(caKey, "POST", path+"/sync?dry_run=true", nil, 200)
		if dry.get("dry_run") != true || dry.num("users.created") != people || dry.num("groups.created") != 1 {
			t.Fatalf("dry run = %v, want %d users and 1 group to create", dry, people)
		}
		if got := p.emails(caKey, ws); len(got) != 1 {
			t.Fatalf("after the dry run the workspace has %d users, want only its admin", len(got))
		}
		if h := p.syncs(caKey, path); len(h) != 0 {
			t.Fatalf("history after a dry run = %v, want none", h)
		}

		rep := p.must(caKey, "POST", path+"/sync", nil, 200)
		if rep.num("users.created") != people || rep.num("groups.created") != 1 {
			t.Fatalf("sync = %v, want %d users and 1 group created", rep, people)
		}
		inWS := p.emails(caKey, ws)
		if len(inWS) != people+1 || inWS["p00@alpha.example"].str("managed.directory_id") != x.str("id") {
			t.Fatalf("workspace users = %d (p00: %v), want %d managed by the directory", len(inWS), inWS["p00@alpha.example"], people+1)
		}
		for email := range p.emails(p.admin, org) {
			if strings.HasSuffix(email, "@alpha.example") {
				t.Errorf("the organization has the directory's %s", email)
			}
		}
		groups := func(key, home string) string {
			var names []string
			for _, it := range p.must(key, "GET", home+"/groups", nil, 200).list("items") {
				names = append(names, obj(it.(map[string]any)).str("name"))
			}
			return strings.Join(names, ",")
		}
		if got := groups(caKey, ws); !strings.Contains(got, "devs") {
			t.Errorf("workspace groups = %s, want devs", got)
		}
		if got := groups(p.admin, org); strings.Contains(got, "devs") {
			t.Errorf("organization groups = %s, want no devs", got)
		}
		h := p.syncs(caKey, path)
		if len(h) != 1 || h[0].str("action") != "directory.sync" || !strings.Contains(h[0].str("detail"), fmt.Sprintf("users: %d created", people)) {
			t.Fatalf("history = %v, want one directory.sync with its counts", h)
		}

		p00 := inWS["p00@alpha.example"].str("id")
		p.refused(caKey, "PATCH", ws+"/users/"+p00, obj{"given_name": "Renamed"}, 409, "managed_by_directory")
		p.refused(p.admin, "PATCH", ws+"/users/"+p00, obj{"given_name": "Renamed"}, 409, "managed_by_directory")

		// Most people leave at once: more than the threshold.
		const gone = 8
		for _, dn := range dns[:gone] {
			srv.Delete(t, dn)
		}
		head := p.head()
		p.refused(caKey, "POST", path+"/sync", nil, 409, "sync_held")
		for email, u := range p.emails(caKey, ws) {
			if u.str("status") != "active" {
				t.Errorf("after the held sync %s is %s, want active", email, u.str("status"))
			}
		}
		if h := p.syncs(caKey, path); len(h) != 2 || h[0].str("action") != "directory.sync.held" || !strings.Contains(h[0].str("detail"), fmt.Sprintf("%d disabled", gone)) {
			t.Fatalf("history = %v, want directory.sync.held saying %d would be disabled", h, gone)
		}
		if p.head() != head+1 {
			t.Errorf("the held sync moved the revision from %d to %d, want only its record", head, p.head())
		}
		held := false
		for _, m := range p.mails() {
			held = held || m.str("to") == "soc@acme.example" && strings.Contains(m.str("subject"), "sync was held")
		}
		if !held {
			t.Errorf("mail = %v, want a notice to the security contacts that the sync was held", p.mails())
		}

		rel := p.must(caKey, "POST", path+"/sync?release=true", nil, 200)
		if rel.num("users.disabled") != gone {
			t.Fatalf("released sync = %v, want %d disabled", rel, gone)
		}
		if got := p.must(caKey, "GET", ws+"/users/"+p00, nil, 200).str("status"); got != "disabled" {
			t.Errorf("p00 after the release = %s, want disabled", got)
		}
		if h := p.syncs(caKey, path); h[0].str("action") != "directory.sync.release" {
			t.Errorf("newest history = %v, want directory.sync.release", h[0])
		}

		// A wrong bind password says what to correct.
		bad := p.must(p.admin, "POST", org+"/workspaces/beta/directories", ldapDirectory(srv, "Beta LDAP", "not the password", nil), 201)
		out := p.refused(p.admin, "POST", org+"/workspaces/beta/directories/"+bad.str("id")+"/sync", nil, 409, "ldap_bind_refused")
		if !strings.Contains(out.str("detail")+out.str("message"), "bind") {
			t.Errorf("wrong bind password = %v, want a message about the bind", out)
		}
	})
}

// People of an LDAP directory that allows password sign-in sign in with
// their directory password, checked by a bind, under every rule of
// Gatehouse passwords (a wrong one counts toward the lockout); people of a
// directory that does not keep Gatehouse passwords.
func TestLDAPPasswordSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		srv := ldaptest.Start(t)
		for _, uid := range []string{"ana", "cy", "bo"} {
			srv.AddPerson(t, uid, uid+"@corp.example", strings.ToUpper(uid[:1]), "Corp")
			srv.SetPassword(t, ldaptest.PersonDN(uid), uid+" directory password")
		}
		p := newPartner(t, e)
		p.policy(obj{"lockout_threshold": 3, "lockout_minutes": 15, "password_expiry_days": 90})
		alpha := p.must(p.admin, "POST", org+"/workspaces/alpha/directories", ldapDirectory(srv, "Alpha LDAP", ldaptest.AdminPassword,
			obj{"password_sign_in": true, "user_filter": "(&(objectClass=inetOrgPerson)(!(uid=bo)))"}), 201)
		p.must(p.admin, "POST", org+"/workspaces/alpha/directories/"+alpha.str("id")+"/sync", nil, 200)
		beta := p.must(p.admin, "POST", org+"/workspaces/beta/directories", ldapDirectory(srv, "Beta LDAP", ldaptest.AdminPassword,
			obj{"user_filter": "(&(objectClass=inetOrgPerson)(uid=bo))"}), 201)
		p.must(p.admin, "POST", org+"/workspaces/beta/directories/"+beta.str("id")+"/sync", nil, 200)

		ana := e.browser("ana")
		if in := ana.mustLogin("acme", "ana@corp.example", "ana directory password"); in.get("password_change_required") == true {
			t.Fatalf("signed in with the directory password = %v, want no Gatehouse password to change", in)
		}
		ana.must("GET", "/v1/me", nil, 200)
		ana.must("POST", "/v1/me/reauthenticate", obj{"password": "ana directory password"}, 200)
		b := e.browser("attacker")
		for i := range 3 {
			got, out, _ := b.login("acme", "ana@corp.example", "a guess")
			if got != 401 || out.str("code") != "invalid_credentials" {
				t.Fatalf("wrong directory password %d = %d %v, want 401 invalid_credentials", i+1, got, out)
			}
		}
		if got, out, _ := ana.login("acme", "ana@corp.example", "ana directory password"); got != 401 {
			t.Fatalf("the right directory password while locked = %d %v, want 401", got, out)
		}
		if evs := p.must(p.admin, "GET", org+"/events?action=login.lockout", nil, 200).list("items"); len(evs) != 1 {
			t.Errorf("lockout events = %d, want 1", len(evs))
		}

		// The sign-in page checks the directory password too.
		cy := e.pages()
		_, body := cy.open("https://gatehouse.test/signin")
		st, body := cy.submit("/signin", body, url.Values{"org": {"acme"}, "email": {"cy@corp.example"}, "password": {"cy directory password"}})
		wantPage(t, "signing in with the directory password", st, 200, body, "You are signed in as cy@corp.example")

		// Bo's directory does not check passwords: Gatehouse's decides.
		bo := p.emails(p.admin, org+"/workspaces/beta")["bo@corp.example"].str("id")
		p.must(p.admin, "POST", org+"/workspaces/beta/users/"+bo+"/password", obj{"password": "bo gatehouse passphrase"}, 200)
		if got, _, _ := e.browser("bo").login("acme", "bo@corp.example", "bo directory password"); got != 401 {
			t.Errorf("bo with the directory password = %d, want 401", got)
		}
		e.browser("bo").mustLogin("acme", "bo@corp.example", "bo gatehouse passphrase")

		// A server that does not answer is not a wrong password, and its
		// address stays with the admins.
		p.must(p.admin, "PUT", org+"/workspaces/alpha/directories/"+alpha.str("id"), ldapDirectory(srv, "Alpha LDAP", "",
			obj{"password_sign_in": true, "url": "ldap://127.0.0.1:1"}), 200)
		got, out, _ := e.browser("cy").login("acme", "cy@corp.example", "cy directory password")
		if got != 503 || out.str("code") != "directory_unavailable" || strings.Contains(fmt.Sprint(out), "127.0.0.1") {
			t.Errorf("sign-in while the directory is down = %d %v, want 503 directory_unavailable without the server's address", got, out)
		}
	})
}
