package http_test

import (
	"context"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// TestTOTPSeedsAreSealedInTheStore checks that a copy of the database alone
// does not give away second factors: the stored seed is sealed, and the
// sign-in with a code still works through it.
func TestTOTPSeedsAreSealedInTheStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		id := p.member("sam@acme.example", "a sturdy passphrase 7")
		b := e.browser("test")
		b.mustLogin("acme", "sam@acme.example", "a sturdy passphrase 7")
		secret, _ := enrolTOTP(t, e, b)
		cred, err := e.store.Credential(context.Background(), gh.UserID(id))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cred.TOTPSecret, "sealed:v1:") || strings.Contains(cred.TOTPSecret, secret) {
			t.Fatalf("stored seed = %q, want it sealed", cred.TOTPSecret)
		}
		e.clock.Advance(31e9)
		b2 := e.browser("test")
		if out := b2.mustLogin("acme", "sam@acme.example", "a sturdy passphrase 7"); out.get("mfa_required") != true {
			t.Fatalf("sign-in after enrolment = %v, want mfa_required", out)
		}
		if got, out := b2.mfa(totpCode(t, secret, e.clock.Now())); got != 200 {
			t.Errorf("code through the sealed seed = %d %v, want 200", got, out)
		}
	})
}
