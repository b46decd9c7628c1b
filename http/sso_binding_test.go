package http_test

import (
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSORoundTripBelongsToItsBrowser: a provider's answer finishes a
// sign-in only in the browser that began it. Otherwise an attacker could
// sign in at the provider as themselves and hand the answer (a callback
// link, an auto-posting form) to a victim, whose browser would then work
// in the attacker's account (login CSRF).
func TestSSORoundTripBelongsToItsBrowser(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		op.AddUser("mallory", "m-pw", "mallory@acme.example", true, "Mal Lory", nil)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		back, err := ssotest.NewBrowser(t).AuthorizeOIDC(p.str("start_url"), "mallory", "m-pw")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ssotest.NewBrowser(t).Get(back.String())
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "another browser at the OIDC callback", resp)
		e.attempt(admin, org, p.str("id"), "login.sso_failure.state")

		// The browser that began it still finishes it.
		sb := ssotest.NewBrowser(t)
		if back, err = sb.AuthorizeOIDC(p.str("start_url"), "mallory", "m-pw"); err != nil {
			t.Fatal(err)
		}
		if resp, err = sb.Get(back.String()); err != nil {
			t.Fatal(err)
		}
		wantSession(t, "the OIDC callback", resp)
		// And the same callback again is refused: the round trip is used.
		resp, _ = sb.Get(back.String())
		wantRefused(t, "the same callback again", resp)

		idp := ssotest.NewIdP(t)
		idp.AddUser("mallory", "m-pw", "mallory@acme.example", nil)
		sp := e.addSAML(admin, org, "Partner SAML", idp, false, nil)
		post, err := ssotest.NewBrowser(t).CaptureSAML(sp.str("start_url"), "mallory", "m-pw")
		if err != nil {
			t.Fatal(err)
		}
		resp, err = ssotest.NewBrowser(t).PostSAML(post.ACS, post.SAMLResponse, post.RelayState)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "another browser at the ACS", resp)
	})
}
