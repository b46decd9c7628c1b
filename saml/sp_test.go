package saml

import (
	"slices"
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
	if a.ID == "" || a.Expires.IsZero() {
		t.Errorf("ID, Expires = %q, %v; want both set", a.ID, a.Expires)
	}
}
