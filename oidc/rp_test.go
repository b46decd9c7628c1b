package oidc_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse"
	ghoidc "gatehouse.dev/gatehouse/oidc"
)

func newPeerRP(t *testing.T, p *peer) *ghoidc.RP {
	t.Helper()
	rp, err := ghoidc.New(context.Background(), ghoidc.Config{
		Issuer: p.issuer, ClientID: p.clientID, ClientSecret: p.secret,
		RedirectURL: redirectURL, HTTPClient: p.http,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rp
}

// signInAtPeer runs one whole sign-in and returns what Exchange said.
func signInAtPeer(t *testing.T, p *peer, rp *ghoidc.RP) (*gatehouse.Assertion, error) {
	t.Helper()
	f := ghoidc.NewFlow()
	q := p.signIn(t, rp.AuthURL(f), peerUser)
	if q.Get("state") != f.State {
		t.Fatalf("callback state = %q, want the flow's %q", q.Get("state"), f.State)
	}
	if q.Get("code") == "" {
		t.Fatalf("callback has no code: %v", q)
	}
	return rp.Exchange(context.Background(), q.Get("code"), f)
}

func TestSignInAtRealProvider(t *testing.T) {
	p := startPeer(t)
	groups := []string{"engineering", "0b6c1c6a-2f1e-4c55-9d8e-7f1b3c0f1a2b"}
	p.op.SetGroups(peerUser, groups)
	a, err := signInAtPeer(t, p, newPeerRP(t, p))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if a.Subject != p.subject || a.Email != peerEmail || !a.EmailVerified || a.Name != "Test User" {
		t.Errorf("assertion = %+v, want subject %s, verified email %s, name Test User", a, p.subject, peerEmail)
	}
	if !slices.Equal(a.Groups, groups) || a.GroupsOverage {
		t.Errorf("groups = %v (overage %v), want %v", a.Groups, a.GroupsOverage, groups)
	}
	if a.MFA {
		t.Errorf("MFA = true after a password alone, want false")
	}
	if a.Expires.IsZero() {
		t.Errorf("Expires is zero, want the token's exp")
	}
}

func TestSignInWithPasswordAndOTPIsMFA(t *testing.T) {
	p := startPeer(t)
	p.op.SetAMR(peerUser, []string{"pwd", "otp"})
	a, err := signInAtPeer(t, p, newPeerRP(t, p))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if !a.MFA {
		t.Errorf("MFA = false after amr pwd+otp, want true")
	}
}

func TestSignInAfterKeyRotation(t *testing.T) {
	p := startPeer(t)
	rp := newPeerRP(t, p)
	if _, err := signInAtPeer(t, p, rp); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	old := p.op.SigningKeyID()
	p.op.RotateKey()
	if p.op.SigningKeyID() == old {
		t.Fatal("rotation kept the signing key")
	}
	if _, err := signInAtPeer(t, p, rp); err != nil {
		t.Fatalf("sign-in after rotation: %v", err)
	}
}

func TestAuthURLAsksForCodeWithPKCEAndNonce(t *testing.T) {
	p := startPeer(t)
	f := ghoidc.NewFlow()
	u := newPeerRP(t, p).AuthURL(f)
	for _, want := range []string{"response_type=code", "code_challenge_method=S256", "nonce=" + f.Nonce, "state=" + f.State, "scope=openid+email+profile"} {
		if !strings.Contains(u, want) {
			t.Errorf("AuthURL = %s, want it to contain %s", u, want)
		}
	}
	if strings.Contains(u, f.Verifier) {
		t.Errorf("AuthURL carries the PKCE verifier itself: %s", u)
	}
}

func TestNewFlowIsFresh(t *testing.T) {
	a, b := ghoidc.NewFlow(), ghoidc.NewFlow()
	if a.State == b.State || a.Nonce == b.Nonce || a.Verifier == b.Verifier || len(a.State) < 32 {
		t.Errorf("NewFlow twice = %+v and %+v, want distinct long random values", a, b)
	}
}

// wantCheck fails unless err is a Rejection for the given check.
func wantCheck(t *testing.T, err error, check string) {
	t.Helper()
	var r *gatehouse.Rejection
	if !errors.As(err, &r) {
		t.Fatalf("error = %v (%T), want a Rejection %q", err, err, check)
	}
	if r.Check != check {
		t.Fatalf("Rejection.Check = %q (%s), want %q", r.Check, r.Detail, check)
	}
}
