package http_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

// The test server's public URL is https://gatehouse.test; a device answers
// for that relying party and origin.
var gatehouseRP = virtualwebauthn.RelyingParty{Name: "Gatehouse", ID: "gatehouse.test", Origin: "https://gatehouse.test"}

// device is a software authenticator holding passkeys for one person, made by
// a library that implements the browser and authenticator side of WebAuthn.
type device struct {
	auth virtualwebauthn.Authenticator
	key  virtualwebauthn.Credential
}

func newDevice(userID string) *device {
	return &device{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(userID)}),
		key:  wholeKey(),
	}
}

// wholeKey is a device key whose public coordinates are 32 bytes each. The
// virtual device encodes them without their leading zero bytes, which a
// real authenticator never does and the server rightly refuses: about one
// key in sixty would fail a test for the device's fault.
func wholeKey() virtualwebauthn.Credential {
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		k, err := x509.ParsePKCS8PrivateKey(c.Key.Data)
		if ec, ok := k.(*ecdsa.PrivateKey); err == nil && ok && len(ec.X.Bytes()) == 32 && len(ec.Y.Bytes()) == 32 {
			return c
		}
	}
}

// register answers a registration the browser began, as navigator.credentials.create would.
func (d *device) register(t *testing.T, options obj) json.RawMessage {
	t.Helper()
	raw, _ := json.Marshal(options)
	opts, err := virtualwebauthn.ParseAttestationOptions(string(raw))
	if err != nil {
		t.Fatalf("the registration options are not what a browser accepts: %v\n%s", err, raw)
	}
	answer := virtualwebauthn.CreateAttestationResponse(gatehouseRP, d.auth, d.key, *opts)
	d.auth.AddCredential(d.key)
	return json.RawMessage(answer)
}

// sign answers a sign-in challenge, as navigator.credentials.get would, for rp.
func (d *device) sign(t *testing.T, options obj, rp virtualwebauthn.RelyingParty) json.RawMessage {
	t.Helper()
	raw, _ := json.Marshal(options)
	opts, err := virtualwebauthn.ParseAssertionOptions(string(raw))
	if err != nil {
		t.Fatalf("the sign-in options are not what a browser accepts: %v\n%s", err, raw)
	}
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(rp, d.auth, d.key, *opts))
}

// passkeyLogin runs a whole passkey sign-in in browser b with device d.
// It returns the status, the answer, and the body it sent.
func passkeyLogin(t *testing.T, b *browser, d *device, rp virtualwebauthn.RelyingParty) (int, obj, obj) {
	t.Helper()
	begun := b.must("POST", "/v1/login/passkey/begin", nil, 200)
	sent := obj{"ceremony": begun.str("ceremony"), "credential": d.sign(t, begun, rp)}
	got, out, _ := b.call("POST", "/v1/login/passkey", sent)
	if got == 200 {
		b.csrf = out.str("csrf_token")
	}
	return got, out, sent
}

func TestPasskeySignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		pia := p.member("pia@acme.example", pwOne)
		p.policy(obj{"mfa": "everyone"}) // a passkey is both factors: no code is asked after it
		a := e.browser(firefoxOnWindows)
		a.mustLogin("acme", "pia@acme.example", pwOne)
		// The policy asks for a code; enrol an app so the password session is a full one.
		secret, _ := enrolTOTP(t, e, a)
		code := func() string { // a fresh step each time: a code is accepted once
			e.clock.Advance(time.Minute)
			return totpCode(t, secret, e.clock.Now())
		}

		// Add a passkey from the signed-in browser.
		d := newDevice(pia)
		begun := a.must("POST", "/v1/me/passkeys/begin", nil, 200)
		before := e.head()
		for _, bad := range []obj{
			{"ceremony": begun.str("ceremony"), "name": "laptop", "credential": obj{"id": "x"}},
			{"ceremony": begun.str("ceremony"), "name": " ", "credential": obj{}},
		} {
			if got, out, _ := a.call("POST", "/v1/me/passkeys", bad); got != 400 {
				t.Errorf("add with %v = %d %v, want 400", bad, got, out)
			}
		}
		bidi := obj{"ceremony": begun.str("ceremony"), "name": "lap\u202etop", "credential": obj{}}
		if got, out, _ := a.call("POST", "/v1/me/passkeys", bidi); got != 400 || out.get("fields.name") == nil {
			t.Errorf("add a passkey named with a bidi override = %d %v, want 400 with a name field error", got, out)
		}
		if e.head() != before {
			t.Fatalf("refused answers changed something")
		}
		added := a.must("POST", "/v1/me/passkeys", obj{"ceremony": begun.str("ceremony"), "name": "laptop", "credential": d.register(t, begun)}, 201)
		if added.str("name") != "laptop" || added.str("id") == "" || added.get("key") != nil {
			t.Fatalf("added passkey = %v", added)
		}
		if got, out, _ := a.call("POST", "/v1/me/passkeys", obj{"ceremony": begun.str("ceremony"), "name": "again", "credential": d.register(t, begun)}); got != 400 {
			t.Errorf("the same ceremony answered twice = %d %v, want 400", got, out)
		}
		if items := a.must("GET", "/v1/me/passkeys", nil, 200).list("items"); len(items) != 1 {
			t.Fatalf("my passkeys = %v, want the laptop", items)
		}

		// Sign in with it alone, in another browser.
		b := e.browser(curlUA)
		got, out, sent := passkeyLogin(t, b, d, gatehouseRP)
		if got != 200 || out.get("mfa_required") != false || out.get("mfa_enrolment_required") != false {
			t.Fatalf("passkey sign-in = %d %v, want a full session", got, out)
		}
		if me := b.must("GET", "/v1/me", nil, 200); me.str("user.id") != pia {
			t.Errorf("/v1/me after a passkey sign-in = %v", me)
		}
		// The same signed answer does not open a second session, in its own
		// ceremony (answered already) or in a new one (another challenge).
		c := e.browser(curlUA)
		if got, _, _ := c.call("POST", "/v1/login/passkey", sent); got != 401 {
			t.Errorf("a replayed answer = %d, want 401", got)
		}
		begun2 := c.must("POST", "/v1/login/passkey/begin", nil, 200)
		if got, _, _ := c.call("POST", "/v1/login/passkey", obj{"ceremony": begun2.str("ceremony"), "credential": sent["credential"]}); got != 401 {
			t.Errorf("an answer to another challenge = %d, want 401", got)
		}
		// Another origin's answer, or another key claiming to be Pia's, is refused.
		evil := gatehouseRP
		evil.Origin = "https://gatehouse.evil.example"
		if got, _, _ := passkeyLogin(t, c, d, evil); got != 401 {
			t.Errorf("an answer made for another origin = %d, want 401", got)
		}
		if got, _, _ := passkeyLogin(t, c, newDevice(pia), gatehouseRP); got != 401 {
			t.Errorf("an unregistered key with Pia's user handle = %d, want 401", got)
		}
		evs := p.must(p.admin, "GET", org+"/events?target="+pia, nil, 200).list("items")
		actions := map[string]bool{}
		for _, ev := range evs {
			actions[obj(ev.(map[string]any)).str("action")] = true
		}
		if !actions["passkey.add"] || !actions["login.passkey"] {
			t.Errorf("audit actions about Pia = %v, want passkey.add and login.passkey", actions)
		}

		// Disabled, she cannot sign in with it; enabled again, she can.
		p.must(p.admin, "PATCH", org+"/users/"+pia, obj{"status": "disabled"}, 200)
		if got, _, _ := passkeyLogin(t, c, d, gatehouseRP); got != 401 {
			t.Errorf("passkey sign-in while disabled = %d, want 401", got)
		}
		p.must(p.admin, "PATCH", org+"/users/"+pia, obj{"status": "active"}, 200)
		if got, out, _ := passkeyLogin(t, c, d, gatehouseRP); got != 200 {
			t.Fatalf("passkey sign-in after re-enabling = %d %v", got, out)
		}

		// Changing passkeys needs a browser session and a recent sign-in.
		key := e.key("acme", pia)
		if got, out, _ := e.call(key, "POST", "/v1/me/passkeys/begin", nil); got != 403 || out.str("code") != "session_required" {
			t.Errorf("begin with an API key = %d %v, want 403 session_required", got, out)
		}
		e.clock.Advance(20 * time.Minute)
		c.refused("DELETE", "/v1/me/passkeys/"+added.str("id"), nil, 403, "reauthentication_required")
		c.must("POST", "/v1/me/reauthenticate", obj{"password": pwOne, "code": code()}, 200)
		c.must("DELETE", "/v1/me/passkeys/"+added.str("id"), nil, 200)
		if got, _, _ := passkeyLogin(t, e.browser(curlUA), d, gatehouseRP); got != 401 {
			t.Errorf("sign-in with a removed passkey = %d, want 401", got)
		}

		// An admin's reset of the second factor takes passkeys too: the device may be the lost one.
		// (Browser a was signed out when Pia was disabled; c has just confirmed her password.)
		d2 := newDevice(pia)
		begun = c.must("POST", "/v1/me/passkeys/begin", nil, 200)
		c.must("POST", "/v1/me/passkeys", obj{"ceremony": begun.str("ceremony"), "name": "phone", "credential": d2.register(t, begun)}, 201)
		p.must(p.admin, "POST", org+"/users/"+pia+"/mfa/reset", nil, 200)
		if got, _, _ := passkeyLogin(t, e.browser(curlUA), d2, gatehouseRP); got != 401 {
			t.Errorf("sign-in with a passkey after an MFA reset = %d, want 401", got)
		}
	})
}
