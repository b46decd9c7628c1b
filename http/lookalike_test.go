package http_test

import (
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// An address that only looks like a colleague's is refused with a field
// error; one that is the same address written differently is that address.
func TestLookAlikeEmailsAreRefusedOrTheSameAddress(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.user(p.admin, org, "josé@acme.example")
		idn := p.must(p.admin, "POST", org+"/users", obj{"email": "Ana@Bücher.example", "given_name": "Ana"}, 201)
		if got := idn.str("email"); got != "Ana@xn--bcher-kva.example" {
			t.Errorf("email of an international domain = %q, want it stored as Ana@xn--bcher-kva.example", got)
		}
		for _, c := range []struct{ name, email, want string }{
			{"Cyrillic а", "\u0430dmin@acme.example", "scripts"},
			{"Cyrillic а in the domain", "admin@\u0430cme.example", "scripts"},
			{"zero-width space", "ad\u200bmin@acme.example", "invisible"},
			{"byte-order mark", "\ufeffadmin@acme.example", "invisible"},
			{"right-to-left override", "admin\u202e@acme.example", "bidirectional"},
		} {
			got, out, _ := p.call(p.admin, "POST", org+"/users", obj{"email": c.email, "given_name": "Mallory"})
			if got != 400 || !strings.Contains(out.str("fields.email"), c.want) {
				t.Errorf("create %s (%q) = %d %v, want 400 with an email field error about %s", c.name, c.email, got, out, c.want)
			}
		}
		for _, c := range []struct{ name, email string }{
			{"upper case", "ADMIN@ACME.EXAMPLE"},
			{"fullwidth", "ａｄｍｉｎ@acme.example"},
			{"decomposed é", "jose\u0301@acme.example"},
			{"punycode of the same domain", "ana@xn--bcher-kva.example"},
			{"Unicode domain in capitals", "ana@BÜCHER.example"},
		} {
			got, out, _ := p.call(p.admin, "POST", org+"/users", obj{"email": c.email, "given_name": "Twin"})
			if got != 409 || out.str("code") != "email_taken" {
				t.Errorf("create %s (%q) = %d %v, want 409 email_taken", c.name, c.email, got, out)
			}
		}
		cy := p.user(p.admin, org, "cy@acme.example")
		got, out, _ := p.call(p.admin, "PATCH", org+"/users/"+cy, obj{"email": "\u0430dmin@acme.example"})
		if got != 400 || out.get("fields.email") == nil {
			t.Errorf("change an email to a look-alike = %d %v, want 400 with an email field error", got, out)
		}
	})
}

func TestNamesRefuseBidiControlsAndInvisibleCharacters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.user(p.admin, org, "ana@acme.example")
		for _, c := range []struct {
			name, path string
			body       obj
			field      string
		}{
			{"group with a right-to-left override", org + "/groups", obj{"name": "Admins\u202e"}, "name"},
			{"workspace with an isolate", org + "/workspaces", obj{"name": "\u2066Delta"}, "name"},
			{"user with a C1 control", org + "/users", obj{"email": "bo@acme.example", "given_name": "B\u0085o"}, "given_name"},
			{"user with a zero-width space", org + "/users", obj{"email": "bea@acme.example", "given_name": "Bea", "family_name": "B\u200bea"}, "family_name"},
			{"role with a zero-width joiner", org + "/roles", obj{"name": "Ad\u200dmin", "grants": obj{"incidents.view": "full"}}, "name"},
			{"API key with a byte-order mark", org + "/users/" + ana + "/keys", obj{"name": "\ufeffdeploy"}, "name"},
		} {
			got, out, _ := p.call(p.admin, "POST", c.path, c.body)
			if got != 400 || out.get("fields."+c.field) == nil {
				t.Errorf("create %s = %d %v, want 400 with a %s field error", c.name, got, out, c.field)
			}
		}
		// The same name composed or decomposed is one name.
		p.create(p.admin, org+"/groups", obj{"name": "Équipe"})
		if got, out, _ := p.call(p.admin, "POST", org+"/groups", obj{"name": "E\u0301quipe"}); got != 409 {
			t.Errorf("create a group named as another with a decomposed É = %d %v, want 409", got, out)
		}
	})
}

// Rows stored before today's rules stay editable: an admin can still disable
// a look-alike account, while what a change writes meets today's rules.
func TestOlderLookAlikesCanStillBeDisabled(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mal := p.user(p.admin, org, "mallory@acme.example")
		p.storeLegacy(mal, func(u *gh.User) { u.Email = "\u0430dmin@acme.example" })
		p.must(p.admin, "PATCH", org+"/users/"+mal, obj{"status": "disabled", "given_name": "Not Admin"}, 200)
		for name, patch := range map[string]obj{
			"another look-alike email": {"email": "ad\u200bmin@acme.example"},
			"an invisible name":        {"given_name": "Ad\u200bmin"},
		} {
			if got, out, _ := p.call(p.admin, "PATCH", org+"/users/"+mal, patch); got != 400 {
				t.Errorf("PATCH %s = %d %v, want 400", name, got, out)
			}
		}
	})
}
