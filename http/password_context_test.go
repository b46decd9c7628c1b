package http_test

import (
	"strings"
	"testing"
)

// personalPasswords are passwords made of what anyone knows about the user
// with this email in acme ("acme Security"), with what the refusal must say.
func personalPasswords(email string) map[string]string {
	local, _, _ := strings.Cut(email, "@")
	return map[string]string{
		email:                         "your name or email",
		strings.ToUpper(email) + "!1": "your name or email",
		strings.ReplaceAll(email, "@", ".") + "-" + local: "your name or email",
		"Acme-Security-2024":                              "name of your organization",
		"my-acme-pass-42":                                 "name of your organization",
		local + "-2024-" + local + "!":                    "mostly your name",
	}
}

// Every way a password is set refuses one made of the user's email, name or
// organization (NIST SP 800-63B context-specific words).
func TestPasswordsMadeOfTheAccountAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		tia := p.member("tia@acme.example", pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "tia@acme.example", pwOne)
		p.must("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "tia@acme.example"}, 202)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "uli@acme.example", "given_name": "Uli"}, 201)
		mb.deliver(t)
		reset := mb.link(t, "tia@acme.example", "/password/reset")
		invite := mb.link(t, "uli@acme.example", "/invitations/accept")
		e.breathe()

		before := p.head()
		refused := func(path string, got int, out obj, want string) {
			t.Helper()
			if got != 400 || out.str("code") != "weak_password" || !strings.Contains(out.str("fields.password"), want) {
				t.Errorf("%s = %d %v, want 400 weak_password saying %q", path, got, out, want)
			}
		}
		for pw, want := range personalPasswords("tia@acme.example") {
			for _, temporary := range []bool{false, true} {
				got, out, _ := p.call(p.admin, "POST", org+"/users/"+tia+"/password", obj{"password": pw, "temporary": temporary})
				refused("admin sets "+pw, got, out, want)
			}
			got, out, _ := b.call("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pw})
			refused("tia changes to "+pw, got, out, want)
			got, out, _ = p.call("", "POST", "/v1/password/reset/confirm", obj{"token": reset, "password": pw})
			refused("tia resets to "+pw, got, out, want)
		}
		for pw, want := range personalPasswords("uli@acme.example") {
			got, out, _ := p.call("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": pw})
			refused("uli accepts with "+pw, got, out, want)
		}
		if p.head() != before {
			t.Errorf("refused passwords changed the directory")
		}
		p.must("", "POST", "/v1/password/reset/confirm", obj{"token": reset, "password": pwTwo}, 200)
		p.must("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": pwTwo}, 200)
	})
}
