package saml

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

func TestSPInitiatedSignIn(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	p.register(t, sp, false)
	resp, relay, reqID := signIn(t, sp, "/after")
	if relay != "/after" {
		t.Errorf("RelayState = %q, want /after", relay)
	}
	a, err := sp.Parse(resp, Expect{RequestID: reqID})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if a.Subject != testEmail || a.Email != testEmail || !a.EmailVerified {
		t.Errorf("Subject, Email, EmailVerified = %q, %q, %v; want %q, %q, true", a.Subject, a.Email, a.EmailVerified, testEmail, testEmail)
	}
	if !slices.Equal(a.Groups, testGroups) {
		t.Errorf("Groups = %v, want %v", a.Groups, testGroups)
	}
	if a.Name != "Alice Liddell" {
		t.Errorf("Name = %q, want %q", a.Name, "Alice Liddell")
	}
	if a.MFA {
		t.Error("MFA = true after a password sign-in (PasswordProtectedTransport)")
	}
	if a.ID == "" || a.Expires.IsZero() {
		t.Errorf("ID, Expires = %q, %v; want both set", a.ID, a.Expires)
	}
}

// The IdP encrypts to the key in our metadata; the SP key decrypts.
func TestEncryptedAssertion(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, cryptEntity, nil)
	p.register(t, sp, true)
	resp, _, reqID := signIn(t, sp, "")
	if !strings.Contains(decoded(t, resp), "EncryptedAssertion") {
		t.Fatal("the IdP sent a cleartext assertion; this test needs an encrypted one")
	}
	a, err := sp.Parse(resp, Expect{RequestID: reqID})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if a.Subject != testEmail || !slices.Equal(a.Groups, testGroups) {
		t.Errorf("Subject, Groups = %q, %v; want %q, %v", a.Subject, a.Groups, testEmail, testGroups)
	}
}

// Another SP key cannot decrypt what was encrypted to ours.
func TestRefusesAssertionEncryptedToAnotherKey(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, cryptEntity, nil)
	p.register(t, sp, true)
	resp, _, reqID := signIn(t, sp, "")
	keyPEM, certPEM, err := NewKeyPair("another SP")
	if err != nil {
		t.Fatal(err)
	}
	other := newSP(t, p, cryptEntity, func(c *Config) { c.KeyPEM, c.CertPEM = keyPEM, certPEM })
	a, err := other.Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "encryption")
}

func TestIdPInitiated(t *testing.T) {
	p := newIdP(t, testEmail)
	allowing := newSP(t, p, plainEntity, func(c *Config) { c.AllowIdPInitiated = true })
	p.register(t, allowing, false)
	resp := signInIdPInitiated(t, p, allowing)
	a, err := allowing.Parse(resp, Expect{})
	if err != nil {
		t.Fatalf("Parse with AllowIdPInitiated: %v", err)
	}
	if a.Subject != testEmail {
		t.Errorf("Subject = %q, want %q", a.Subject, testEmail)
	}
}

func TestRefusesUnsolicitedWhenIdPInitiatedOff(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	p.register(t, sp, false)
	resp := signInIdPInitiated(t, p, sp)
	a, err := sp.Parse(resp, Expect{})
	wantRejection(t, a, err, "in_response_to")
	// A request pending in the browser does not make it solicited either.
	a, err = sp.Parse(resp, Expect{RequestID: "_pending"})
	wantRejection(t, a, err, "in_response_to")
}

func TestRefusesWrongInResponseTo(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	p.register(t, sp, false)
	resp, _, _ := signIn(t, sp, "")
	_, otherID, err := sp.AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := sp.Parse(resp, Expect{RequestID: otherID})
	wantRejection(t, a, err, "in_response_to")
	// An answer to some request when none was expected.
	a, err = sp.Parse(resp, Expect{})
	wantRejection(t, a, err, "in_response_to")
	// The test bench skips the request check.
	if _, err := sp.Parse(resp, Expect{AnyRequest: true}); err != nil {
		t.Errorf("Parse(AnyRequest) = %v, want it admitted", err)
	}
}

func decoded(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
