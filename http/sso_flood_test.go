package http_test

import (
	"net/http"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSOJunkAnswersAreRateLimited: anyone may send answers to a
// provider's callback and ACS; past the sign-in allowance of an address
// they are turned away before anything is written, so they cannot flood
// the audit log.
func TestSSOJunkAnswersAreRateLimited(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		p := e.addOIDC(admin, org, "Partner", ssotest.NewOP(t), nil)
		idp := ssotest.NewIdP(t)
		sp := e.addSAML(admin, org, "Partner SAML", idp, false, nil)
		head := e.head()
		limited := 0
		sb := ssotest.NewBrowser(t)
		for range 60 {
			resp, err := sb.Get(e.srv.URL + "/sso/" + p.str("id") + "/oidc/callback?code=x&state=junk")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusTooManyRequests {
				limited++
			}
			resp, err = sb.PostSAML(sp.str("acs_url"), "PHNhbWw+", "junk")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusTooManyRequests {
				limited++
			}
		}
		written := int(e.head() - head)
		t.Logf("120 junk answers: %d turned away as too many, %d revisions written", limited, written)
		if limited == 0 || written > 40 {
			t.Errorf("120 junk answers from one address: %d turned away, %d events written; want the sign-in allowance to hold", limited, written)
		}
	})
}

// TestSSOManyPeopleSignInAtOnce: the people of an org sign in through its
// one provider at the start of the day; the allowance of sign-in attempts
// is each person's, not the provider's.
func TestSSOManyPeopleSignInAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		op := ssotest.NewOP(t)
		p := e.addOIDC(admin, org, "Partner", op, nil)
		for i := range 14 {
			name := "analyst" + string(rune('a'+i))
			op.AddUser(name, "pw-"+name, name+"@partner.example", true, "Ana Lyst", nil)
			e.clock.Advance(time.Second) // people arrive a second apart, from one office address
			resp, err := ssotest.NewBrowser(t).SignInOIDC(p.str("start_url"), name, "pw-"+name)
			if err != nil {
				t.Fatal(err)
			}
			wantSession(t, name+"'s sign-in", resp)
		}
	})
}
