package http_test

import (
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSOOnlyWithBreakGlass: an org may make single sign-on its only way
// in once it has a provider; then a right password is refused with
// sso_required, but for the break-glass admin, whose sign-in is audited;
// the last provider cannot go while the rule holds.
func TestSSOOnlyWithBreakGlass(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		adminID, admin := e.org("acme")
		e.must(admin, "POST", org+"/users/"+adminID+"/password", obj{"password": pwTwo}, 200)
		olga := e.user(admin, org, "olga@acme.example")
		e.must(admin, "POST", org+"/users/"+olga+"/password", obj{"password": pwOne}, 200)
		rule := obj{"policy": obj{"password_sign_in": "sso_only", "break_glass": []string{adminID}}}

		out := e.refused(admin, "PATCH", org, rule, 400, "invalid_input")
		if fieldError(out, "policy.password_sign_in") == "" {
			t.Errorf("SSO only without a provider = %v, want field policy.password_sign_in", out)
		}
		p := e.addOIDC(admin, org, "Partner", ssotest.NewOP(t), nil)
		e.must(admin, "PATCH", org, rule, 200)

		b := e.browser(firefoxOnWindows)
		if got, out, _ := b.login("acme", "olga@acme.example", pwOne); got != 403 || out.str("code") != "sso_required" {
			t.Errorf("olga's right password = %d %v, want 403 sso_required", got, out)
		}
		if b.cookie() != "" {
			t.Errorf("the refused sign-in left a session")
		}
		e.breathe()
		bg := e.browser(firefoxOnWindows)
		bg.mustLogin("acme", "admin@acme.example", pwTwo)
		if me := bg.must("GET", "/v1/me", nil, 200); me.str("user.id") != adminID {
			t.Fatalf("break-glass /v1/me = %v", me)
		}
		if evs := e.events(admin, org, "login.break_glass"); len(evs) != 1 || evs[0].str("target.id") != adminID {
			t.Errorf("login.break_glass events = %v, want one for the admin", evs)
		}
		e.refused(admin, "DELETE", org+"/identity-providers/"+p.str("id"), nil, 409, "sso_only_needs_provider")
		in := obj{"type": "oidc", "name": "Partner", "issuer": p.str("oidc.issuer"), "client_id": p.str("oidc.client_id"), "jit": true, "disabled": true}
		e.refused(admin, "PUT", org+"/identity-providers/"+p.str("id"), in, 409, "sso_only_needs_provider")
	})
}

// TestSSOSecondFactorTrust: a provider's sign-in of a user with TOTP asks
// for the code, unless the provider is trusted for MFA and says it used it.
func TestSSOSecondFactorTrust(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		tess := e.user(admin, org, "tess@acme.example")
		e.must(admin, "POST", org+"/users/"+tess+"/password", obj{"password": pwOne}, 200)
		pb := e.browser(firefoxOnWindows)
		pb.mustLogin("acme", "tess@acme.example", pwOne)
		secret, _ := enrolTOTP(t, e, pb)

		op := ssotest.NewOP(t)
		op.AddUser("tess", "t-pw", "tess@acme.example", true, "Tess Two", nil)
		op.SetAMR("tess", []string{"pwd", "otp"})
		p := e.addOIDC(admin, org, "Partner", op, obj{"trust_mfa": false})

		sb, b := e.ssoBrowser()
		resp, err := sb.SignInOIDC(p.str("start_url"), "tess", "t-pw")
		if err != nil {
			t.Fatal(err)
		}
		wantSession(t, "sign-in through an untrusted provider", resp)
		b.refused("GET", org+"/workspaces", nil, 401, "mfa_required")
		if me := b.must("GET", "/v1/me", nil, 200); me.str("user.id") != tess {
			t.Fatalf("/v1/me = %v", me)
		}
		// The page the sign-in ends on asks for the code; its form completes it.
		page, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(page), `action="/signin/mfa"`) {
			t.Fatalf("the sign-in page does not ask for the code:\n%s", page)
		}
		form := url.Values{}
		for _, m := range hiddenRE.FindAllStringSubmatch(string(page), -1) {
			form.Set(m[1], unescapeHTML(m[2]))
		}
		e.clock.Advance(30 * time.Second)
		form.Set("code", totpCode(t, secret, e.clock.Now()))
		resp, err = sb.Client().PostForm(e.srv.URL+"/signin/mfa", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantSession(t, "the code after SSO", resp)
		b.must("GET", org+"/workspaces", nil, 200)

		in := obj{"type": "oidc", "name": "Partner", "issuer": op.Issuer(), "client_id": p.str("oidc.client_id"), "jit": true, "trust_mfa": true}
		e.must(admin, "PUT", org+"/identity-providers/"+p.str("id"), in, 200)
		sb, b = e.ssoBrowser()
		resp, err = sb.SignInOIDC(p.str("start_url"), "tess", "t-pw")
		if err != nil {
			t.Fatal(err)
		}
		wantSession(t, "sign-in through a trusted provider", resp)
		b.must("GET", org+"/workspaces", nil, 200)

		// Trusted, but the provider used a password only: the code again.
		op.SetAMR("tess", []string{"pwd"})
		sb, b = e.ssoBrowser()
		if resp, err = sb.SignInOIDC(p.str("start_url"), "tess", "t-pw"); err != nil {
			t.Fatal(err)
		}
		wantSession(t, "a password-only sign-in through a trusted provider", resp)
		b.refused("GET", org+"/workspaces", nil, 401, "mfa_required")
	})
}
