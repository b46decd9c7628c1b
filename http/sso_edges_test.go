package http_test

import (
	"net/http"
	"net/url"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSORefusals: what the provider says is refused where it must be: an
// existing account claimed by an unverified email, a disabled account, a
// provider's own error, a disabled provider. Each refusal names its check
// for the admins and signs nobody in.
func TestSSORefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		vic := e.user(admin, org, "vic@acme.example")
		dis := e.user(admin, org, "dis@acme.example")
		e.must(admin, "PATCH", org+"/users/"+dis, obj{"status": "disabled"}, 200)
		op := ssotest.NewOP(t)
		op.AddUser("claimer", "c-pw", "vic@acme.example", false, "Not Vic", nil)
		op.AddUser("dis", "d-pw", "dis@acme.example", true, "Dis Abled", nil)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		pid := p.str("id")

		for _, c := range []struct{ user, pw, check string }{
			{"claimer", "c-pw", "login.sso_failure.email_unverified"},
			{"dis", "d-pw", "login.sso_failure.user_disabled"},
		} {
			resp, err := ssotest.NewBrowser(t).SignInOIDC(p.str("start_url"), c.user, c.pw)
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, c.user+"'s sign-in", resp)
			e.attempt(admin, org, pid, c.check)
		}
		if u := e.must(admin, "GET", org+"/users/"+vic, nil, 200); u.get("identities") != nil {
			t.Errorf("vic was linked on an unverified email: %v", u)
		}

		// The provider answers with an error instead of a code.
		sb := ssotest.NewBrowser(t)
		resp, err := sb.Get(p.str("start_url"))
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := url.Parse(resp.Header.Get("Location"))
		back := e.srv.URL + "/sso/" + pid + "/oidc/callback?error=access_denied&error_description=user+cancelled&state=" + url.QueryEscape(loc.Query().Get("state"))
		if resp, err = sb.Get(back); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "the provider's error", resp)
		if ev := e.attempt(admin, org, pid, "login.sso_failure.provider_error"); ev.str("detail") == "" {
			t.Errorf("provider_error without detail")
		}

		// A disabled provider begins no round trip.
		in := obj{"type": "oidc", "name": "Partner", "issuer": op.Issuer(), "client_id": p.str("oidc.client_id"), "jit": true, "disabled": true}
		e.must(admin, "PUT", org+"/identity-providers/"+pid, in, 200)
		if resp, err = ssotest.NewBrowser(t).Get(p.str("start_url")); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode/100 == 3 {
			t.Errorf("a disabled provider's start = %s to %s, want no redirect", resp.Status, resp.Header.Get("Location"))
		}
	})
}

// TestSSOSurvivesKeyRotation: the OP's new signing key is fetched when an
// ID token names it.
func TestSSOSurvivesKeyRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		op.AddUser("pat", "pat-pw", "pat@partner.example", true, "Pat Partner", nil)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		for i := range 2 {
			resp, err := ssotest.NewBrowser(t).SignInOIDC(p.str("start_url"), "pat", "pat-pw")
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, "sign-in "+string(rune('1'+i)), resp)
			op.RotateKey()
		}
	})
}

// TestSSOSAMLKeepsNext: an SP-initiated SAML sign-in ends where next said,
// by the round trip it kept, not by what comes back in RelayState.
func TestSSOSAMLKeepsNext(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.server.Page("GET /console/", http.NotFoundHandler())
		_, admin := e.org("acme")
		idp := ssotest.NewIdP(t)
		idp.AddUser("sam", "sam-pw", "sam@partner.example", nil)
		p := e.addSAML(admin, org, "Partner SAML", idp, false, nil)
		for next, want := range map[string]string{"/console/incidents": "/console/incidents", "https://evil.example": "/"} {
			resp, err := ssotest.NewBrowser(t).SignInSAML(p.str("start_url")+"?next="+url.QueryEscape(next), "sam", "sam-pw")
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, "SAML sign-in with next "+next, resp)
			if loc := resp.Header.Get("Location"); loc != want {
				t.Errorf("next %q: Location %q, want %q", next, loc, want)
			}
		}
	})
}

// TestSSOOnlyWorkspace: a workspace may make its provider the only way in
// for its own users, leaving the org's users alone.
func TestSSOOnlyWorkspace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		wsID := e.create(admin, org+"/workspaces", obj{"name": "Customer"})
		ws := org + "/workspaces/" + wsID
		cu := e.user(admin, ws, "cu@customer.example")
		e.must(admin, "POST", ws+"/users/"+cu+"/password", obj{"password": pwOne}, 200)
		ou := e.user(admin, org, "ou@acme.example")
		e.must(admin, "POST", org+"/users/"+ou+"/password", obj{"password": pwTwo}, 200)

		out := e.refused(admin, "PUT", ws+"/sign-in", obj{"password_sign_in": "sso_only"}, 400, "invalid_input")
		if fieldError(out, "password_sign_in") == "" {
			t.Errorf("SSO only without a provider = %v, want field password_sign_in", out)
		}
		p := e.addOIDC(admin, ws, "Customer Okta", ssotest.NewOP(t), nil)
		e.must(admin, "PUT", ws+"/sign-in", obj{"password_sign_in": "sso_only"}, 200)
		b := e.browser(firefoxOnWindows)
		if got, out, _ := b.call("POST", "/v1/login", obj{"org": "acme", "workspace": wsID, "email": "cu@customer.example", "password": pwOne}); got != 403 || out.str("code") != "sso_required" {
			t.Errorf("the workspace user's password = %d %v, want 403 sso_required", got, out)
		}
		e.browser(firefoxOnWindows).mustLogin("acme", "ou@acme.example", pwTwo)
		e.refused(admin, "DELETE", ws+"/identity-providers/"+p.str("id"), nil, 409, "sso_only_needs_provider")
	})
}
