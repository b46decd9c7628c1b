package http_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// End-to-end single sign-on over HTTP, with real providers on the other
// side: zitadel/oidc's OpenID Provider and crewjam/saml's samlidp.

// TestSSOJITSignInFollowsProviderGroups: a partner's person signs in
// through the org's OIDC provider for the first time; the account is made
// in the org, linked to the subject, and joins the group that follows the
// provider's group. When the provider's groups change, the next sign-in
// leaves the group. Each membership change is the provider's own event.
func TestSSOJITSignInFollowsProviderGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		op.AddUser("pat", "pat-pw", "pat@partner.example", true, "Pat Partner", []string{"soc-analysts", "coffee-club"})
		p := e.addOIDC(admin, org, "Partner Entra", op, nil)
		pid := p.str("id")
		soc := e.create(admin, org+"/groups", obj{"name": "SOC Analysts"})
		e.must(admin, "PATCH", org+"/groups/"+soc, obj{"external": []obj{{"provider_id": pid, "value": "soc-analysts"}}}, 200)
		groupsBefore := len(e.must(admin, "GET", org+"/groups", nil, 200).list("items"))

		sb, b := e.ssoBrowser()
		resp, err := sb.SignInOIDC(p.str("start_url"), "pat", "pat-pw")
		if err != nil {
			t.Fatalf("sign in through the OP: %v", err)
		}
		wantSession(t, "the callback", resp)
		me := b.must("GET", "/v1/me", nil, 200)
		uid := me.str("user.id")
		if me.str("user.email") != "pat@partner.example" || me.str("user.org_id") == "" || me.str("user.workspace_id") != "" {
			t.Fatalf("/v1/me = %v, want pat, an org user", me)
		}
		if me.str("user.identities.0.provider_id") != pid || me.str("user.identities.0.subject") == "" {
			t.Errorf("identities = %v, want linked to %s", me.get("user.identities"), pid)
		}
		u := e.must(admin, "GET", org+"/users/"+uid, nil, 200)
		if u.str("given_name") != "Pat" || u.str("family_name") != "Partner" || u.str("status") != "active" {
			t.Errorf("the new user = %v, want Pat Partner, active", u)
		}
		adds := e.events(admin, org, "group.member.add")
		if len(adds) != 1 || adds[0].str("target.id") != soc || adds[0].str("actor.type") != "identity_provider" ||
			adds[0].str("actor.provider_id") != pid {
			t.Fatalf("group.member.add events = %v, want one into %s by the provider", adds, soc)
		}
		if n := len(e.must(admin, "GET", org+"/groups", nil, 200).list("items")); n != groupsBefore {
			t.Errorf("groups after sign-in = %d, want %d: the unmapped group is ignored", n, groupsBefore)
		}
		if d := e.attempt(admin, org, pid, "login.sso").str("detail"); !strings.Contains(d, "groups no group follows: coffee-club") {
			t.Errorf("the sign-in's attempt says %q, want the unmapped group listed for the admins", d)
		}
		if len(e.events(admin, org, "user.create")) == 0 {
			t.Errorf("no user.create event")
		}
		if v := e.must(admin, "GET", org+"/events/verify", nil, 200); v.get("ok") != true {
			t.Errorf("the chain with the provider's events = %v", v)
		}

		// The provider drops the group: the next sign-in leaves it.
		op.SetGroups("pat", []string{"coffee-club"})
		sb2, b2 := e.ssoBrowser()
		resp, err = sb2.SignInOIDC(p.str("start_url"), "pat", "pat-pw")
		if err != nil {
			t.Fatal(err)
		}
		wantSession(t, "the second sign-in", resp)
		if b2.must("GET", "/v1/me", nil, 200).str("user.id") != uid {
			t.Fatalf("the second sign-in is another account")
		}
		rms := e.events(admin, org, "group.member.remove")
		if len(rms) != 1 || rms[0].str("target.id") != soc || rms[0].str("actor.type") != "identity_provider" {
			t.Fatalf("group.member.remove events = %v, want one from %s by the provider", rms, soc)
		}
		if n := len(e.events(admin, org, "user.create")); n != 1 {
			t.Errorf("user.create events = %d, want 1", n)
		}
	})
}

// TestSSOExistingOnlyProvider: a provider that creates no accounts refuses
// a stranger (the reason in its attempts) and links an existing user by
// verified email.
func TestSSOExistingOnlyProvider(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		op.AddUser("stranger", "s-pw", "stranger@partner.example", true, "Sam Stranger", nil)
		op.AddUser("eve", "e-pw", "eve@acme.example", true, "Eve Existing", nil)
		p := e.addOIDC(admin, org, "Existing only", op, obj{"jit": false})
		pid := p.str("id")
		eve := e.user(admin, org, "eve@acme.example")

		sb, b := e.ssoBrowser()
		resp, err := sb.SignInOIDC(p.str("start_url"), "stranger", "s-pw")
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "a stranger's sign-in", resp)
		b.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		if ev := e.attempt(admin, org, pid, "login.sso_failure.no_account"); ev.str("detail") == "" {
			t.Errorf("the refusal = %v, want a detail", ev)
		}
		if len(e.events(admin, org, "user.create")) != 1 { // eve's, by the admin
			t.Errorf("a user was created")
		}

		sb, b = e.ssoBrowser()
		resp, err = sb.SignInOIDC(p.str("start_url"), "eve", "e-pw")
		if err != nil {
			t.Fatal(err)
		}
		wantSession(t, "eve's sign-in", resp)
		me := b.must("GET", "/v1/me", nil, 200)
		if me.str("user.id") != eve || me.str("user.identities.0.provider_id") != pid {
			t.Fatalf("/v1/me = %v, want eve %s linked to %s", me, eve, pid)
		}
		if len(e.events(admin, org, "user.link")) != 1 {
			t.Errorf("want one user.link event")
		}
	})
}

// TestSSOCallbackWithoutOurState: a callback that names no round trip of
// ours, or an unknown one, signs nobody in.
func TestSSOCallbackWithoutOurState(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		pid := p.str("id")
		for _, q := range []string{"code=abc", "code=abc&state=not-ours", "state=&code=abc"} {
			sb := ssotest.NewBrowser(t)
			resp, err := sb.Get(e.srv.URL + "/sso/" + pid + "/oidc/callback?" + q)
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, "callback ?"+q, resp)
		}
		e.attempt(admin, org, pid, "login.sso_failure.state")
		// A real code, but the state swapped for another round trip's.
		op.AddUser("pat", "pat-pw", "pat@partner.example", true, "Pat Partner", nil)
		sb := ssotest.NewBrowser(t)
		back, err := sb.AuthorizeOIDC(p.str("start_url"), "pat", "pat-pw")
		if err != nil {
			t.Fatal(err)
		}
		q := back.Query()
		q.Set("state", "forged")
		back.RawQuery = q.Encode()
		resp, err := sb.Get(back.String())
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "a forged state", resp)
		q.Del("state")
		back.RawQuery = q.Encode()
		resp, _ = sb.Get(back.String())
		wantRefused(t, "no state", resp)
		if n := len(e.events(admin, org, "user.create")); n != 0 {
			t.Errorf("user.create events = %d, want none", n)
		}
	})
}

var _ = url.Values{}
var _ = slices.Contains[[]string]
