package oidc_test

import (
	"net/http"
	"net/url"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// The peer is zitadel/oidc's OpenID Provider, run by ssotest: groups in the
// ID token, a multi-factor amr and key rotation of the test's choosing.

const (
	peerClientID = "gatehouse" // the client id the hostile providers' tokens are for
	peerSecret   = "peer-secret"
	redirectURL  = "http://rp.gatehouse.test/callback"
	peerUser     = "test-user@127.0.0.1"
	peerPassword = "verysecure"
	peerEmail    = "test-user@zitadel.ch"
)

// peer is a running provider with one client (our redirect URL) and one user.
type peer struct {
	op               *ssotest.OP
	issuer           string
	clientID, secret string
	subject          string
	http             *http.Client
}

func startPeer(t *testing.T) *peer {
	t.Helper()
	op := ssotest.NewOP(t)
	p := &peer{op: op, issuer: op.Issuer(), http: op.Client()}
	p.clientID, p.secret = op.AddClient(redirectURL)
	p.subject = op.AddUser(peerUser, peerPassword, peerEmail, true, "Test User", nil)
	return p
}

// signIn drives a browser from authURL through the peer's login to the
// callback, and returns the callback's query.
func (p *peer) signIn(t *testing.T, authURL, username string) url.Values {
	t.Helper()
	back, err := ssotest.NewBrowser(t).AuthorizeAt(authURL, username, peerPassword)
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != "rp.gatehouse.test" {
		t.Fatalf("login ended at %s, want our redirect URL", back)
	}
	return back.Query()
}
