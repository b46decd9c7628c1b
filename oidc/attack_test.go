package oidc_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"gatehouse.dev/gatehouse"
	ghoidc "gatehouse.dev/gatehouse/oidc"
)

// Each attack starts from an honest token the RP accepts (the control
// below), changes one thing, and must be refused with the check that names it.

func TestHostileHarnessHonestTokenAccepted(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	h.answer(h.honest(t, h.claims(f)))
	a, err := h.rp(t).Exchange(context.Background(), "any-code", f)
	if err != nil {
		t.Fatalf("honest token refused: %v", err)
	}
	if a.Subject != "user-1" || a.ID != "token-1" || a.Email != "ada@example.com" {
		t.Errorf("assertion = %+v, want subject user-1, id token-1, email ada@example.com", a)
	}
}

func TestRefusesAlgNone(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	h.answer(b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(h.claims(f)) + ".")
	wantCheck(t, h.exchange(t, f), "algorithm")
}

func TestRefusesHS256WithPublicKeyAsSecret(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	// The classic confusion: the JWKS's public key, which everyone has,
	// used as an HMAC secret by a verifier that trusts the header's alg.
	secret, err := x509.MarshalPKIXPublicKey(&h.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	h.answer(sign(t, jose.HS256, secret, h.kid, h.claims(f)))
	wantCheck(t, h.exchange(t, f), "algorithm")
}

func TestRefusesWrongAudience(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["aud"] = "another-client"
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "audience")
}

func TestRefusesForeignAuthorizedParty(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["aud"] = []string{peerClientID, "another-client"}
	c["azp"] = "another-client"
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "audience")
}

func TestRefusesWrongNonce(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["nonce"] = ghoidc.NewFlow().Nonce // another sign-in's
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "nonce")
}

func TestRefusesMissingNonce(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	delete(c, "nonce")
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "nonce")
}

func TestRefusesIDTokenFromAnotherIssuer(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["iss"] = "https://evil.example"
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "issuer")
}

func TestRefusesExpiredIDToken(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["exp"] = time.Now().Add(-time.Minute).Unix()
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "expired")
}

func TestRefusesSignatureByUnknownKey(t *testing.T) {
	for name, kid := range map[string]string{"unknown kid": "stranger", "published kid": "honest"} {
		t.Run(name, func(t *testing.T) {
			h, f := startHostile(t), ghoidc.NewFlow()
			h.answer(sign(t, jose.RS256, testKey(t), kid, h.claims(f)))
			wantCheck(t, h.exchange(t, f), "signature")
		})
	}
}

func TestRefusesTamperedPayload(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	parts := strings.Split(h.honest(t, h.claims(f)), ".")
	c := h.claims(f)
	c["sub"] = "admin"
	h.answer(parts[0] + "." + b64(c) + "." + parts[2])
	wantCheck(t, h.exchange(t, f), "signature")
}

func TestRefusesMalformedIDToken(t *testing.T) {
	for name, raw := range map[string]string{
		"not a JWT":       "garbage",
		"encrypted (JWE)": "a.b.c.d.e",
		"header not JSON": b64("x")[:2] + ".e30.sig",
	} {
		t.Run(name, func(t *testing.T) {
			h, f := startHostile(t), ghoidc.NewFlow()
			h.answer(raw)
			wantCheck(t, h.exchange(t, f), "malformed")
		})
	}
}

func TestRefusesMissingIDToken(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	h.respond(http.StatusOK, map[string]any{"access_token": "at", "token_type": "Bearer"})
	wantCheck(t, h.exchange(t, f), "missing_id_token")
}

func TestTokenEndpointErrorIsClear(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	h.respond(http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "code expired"})
	err := h.exchange(t, f)
	wantCheck(t, err, "token_exchange")
	var r *gatehouse.Rejection
	errors.As(err, &r)
	if !strings.Contains(r.Detail, "invalid_grant") || !strings.Contains(r.Detail, "code expired") {
		t.Errorf("Detail = %q, want the provider's error and description", r.Detail)
	}
}

func TestTokenEndpointUnreachable(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	rp := h.rp(t)
	h.srv.Close()
	_, err := rp.Exchange(context.Background(), "any-code", f)
	wantCheck(t, err, "token_exchange")
}

func TestDiscoveryIssuerMismatchRefused(t *testing.T) {
	h := startHostile(t)
	h.mu.Lock()
	h.discoveryIssuer = "https://login.example"
	h.mu.Unlock()
	_, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: h.srv.URL, ClientID: peerClientID, RedirectURL: redirectURL, HTTPClient: h.srv.Client(),
	})
	wantInvalidIssuer(t, err, "https://login.example")
}

func TestUnreachableIssuerRefused(t *testing.T) {
	h := startHostile(t)
	h.srv.Close()
	_, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: h.srv.URL, ClientID: peerClientID, RedirectURL: redirectURL, HTTPClient: h.srv.Client(),
	})
	wantInvalidIssuer(t, err, "discovery failed")
}

func wantInvalidIssuer(t *testing.T, err error, detail string) {
	t.Helper()
	var e *gatehouse.Error
	if !errors.As(err, &e) || e.Kind != gatehouse.KindInvalid || e.Code != "invalid_issuer" {
		t.Fatalf("New error = %v (%T), want KindInvalid invalid_issuer", err, err)
	}
	if !strings.Contains(e.Fields["issuer"], detail) {
		t.Fatalf("Fields[issuer] = %q, want it to mention %q", e.Fields["issuer"], detail)
	}
}

func TestGroupOverageIsFlaggedNotMapped(t *testing.T) {
	overage := map[string]func(map[string]any){
		"_claim_names": func(c map[string]any) {
			c["_claim_names"] = map[string]string{"groups": "src1"}
			c["_claim_sources"] = map[string]any{"src1": map[string]string{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}
		},
		"hasgroups": func(c map[string]any) { c["hasgroups"] = true },
	}
	for name, mark := range overage {
		t.Run(name, func(t *testing.T) {
			h, f := startHostile(t), ghoidc.NewFlow()
			c := h.claims(f)
			mark(c)
			h.answer(h.honest(t, c))
			a, err := h.rp(t).Exchange(context.Background(), "any-code", f)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if !a.GroupsOverage || a.Groups != nil {
				t.Errorf("GroupsOverage = %v, Groups = %v; want true and nil", a.GroupsOverage, a.Groups)
			}
		})
	}
}

func TestEmailVerifiedAsString(t *testing.T) {
	for _, tc := range []struct {
		value any
		want  bool
	}{{"true", true}, {"True", true}, {true, true}, {"false", false}, {false, false}, {"yes", false}} {
		h, f := startHostile(t), ghoidc.NewFlow()
		c := h.claims(f)
		c["email_verified"] = tc.value
		h.answer(h.honest(t, c))
		a, err := h.rp(t).Exchange(context.Background(), "any-code", f)
		if err != nil {
			t.Fatalf("Exchange with email_verified %#v: %v", tc.value, err)
		}
		if a.EmailVerified != tc.want {
			t.Errorf("email_verified %#v: EmailVerified = %v, want %v", tc.value, a.EmailVerified, tc.want)
		}
	}
}

func TestRefusesIDTokenNotYetValid(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["nbf"] = time.Now().Add(time.Hour).Unix()
	h.answer(h.honest(t, c))
	wantCheck(t, h.exchange(t, f), "not_yet_valid")
}

func TestConfigNowIsTheClock(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	h.answer(h.honest(t, h.claims(f))) // expires in 5 minutes
	rp, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: h.srv.URL, ClientID: peerClientID, RedirectURL: redirectURL, HTTPClient: h.srv.Client(),
		Now: func() time.Time { return time.Now().Add(time.Hour) },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = rp.Exchange(context.Background(), "any-code", f)
	wantCheck(t, err, "expired")
}

func TestVerifyWithoutNonceRefused(t *testing.T) {
	h, f := startHostile(t), ghoidc.NewFlow()
	c := h.claims(f)
	c["nonce"] = ""
	_, err := h.rp(t).Verify(context.Background(), h.honest(t, c), "")
	wantCheck(t, err, "nonce")
}

func TestNewRequiresSettings(t *testing.T) {
	_, err := ghoidc.New(context.Background(), ghoidc.Config{})
	var e *gatehouse.Error
	if !errors.As(err, &e) || e.Kind != gatehouse.KindInvalid {
		t.Fatalf("New(empty) = %v, want KindInvalid", err)
	}
	for _, field := range []string{"issuer", "client_id", "redirect_url"} {
		if e.Fields[field] == "" {
			t.Errorf("Fields[%s] is empty, want a message (fields: %v)", field, e.Fields)
		}
	}
}

func TestConfiguredScopesAlwaysIncludeOpenID(t *testing.T) {
	h := startHostile(t)
	rp, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: h.srv.URL, ClientID: peerClientID, RedirectURL: redirectURL, HTTPClient: h.srv.Client(),
		Scopes: []string{"email", "groups", "email"},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if u := rp.AuthURL(ghoidc.NewFlow()); !strings.Contains(u, "scope=openid+email+groups&") {
		t.Errorf("AuthURL = %s, want scope=openid email groups", u)
	}
}
