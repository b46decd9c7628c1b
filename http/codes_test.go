package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sms"
	"gatehouse.dev/gatehouse/webhook"
)

// The second factors by one-time code: an email through the real outbox
// worker to an SMTP server, a text message through an HTTP gateway that
// checks the signature, on both stores.

const gatewaySecret = "test-sms-gateway-secret"

// gateway is an SMS gateway: it keeps the messages whose signature is right
// and refuses the others; fail makes it answer 500.
type gateway struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  []sms.Message
	fail bool
}

func startGateway(t *testing.T) *gateway {
	g := &gateway{t: t}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, err := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64)
	if err != nil || r.Header.Get(webhook.SignatureHeader) != webhook.Sign(gatewaySecret, ts, body) {
		g.t.Errorf("gateway: a request with a wrong signature: %s", body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m sms.Message
	if err := json.Unmarshal(body, &m); err != nil || m.To == "" || m.Message == "" || m.ID == "" {
		g.t.Errorf("gateway: body %s is not {to, message, id}", body)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	g.got = append(g.got, m)
}

// lastCode is the code in the newest text to a number.
func (g *gateway) lastCode(to string) string {
	g.t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.got) - 1; i >= 0; i-- {
		if g.got[i].To == to {
			return codeIn(g.t, g.got[i].Message)
		}
	}
	g.t.Fatalf("no text to %s", to)
	return ""
}

func (g *gateway) setFail(f bool) {
	g.mu.Lock()
	g.fail = f
	g.mu.Unlock()
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

func codeIn(t *testing.T, text string) string {
	t.Helper()
	m := sixDigits.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no 6-digit code in %q", text)
	}
	return m[1]
}

// mailedCode delivers the outbox and returns the code in the newest mail to addr.
func (m *mailbox) mailedCode(t *testing.T, addr string) string {
	t.Helper()
	m.deliver(t)
	msgs := m.to(addr)
	if len(msgs) == 0 {
		t.Fatalf("no mail to %s", addr)
	}
	return codeIn(t, msgs[len(msgs)-1].Body)
}

// otherCode is a 6-digit code that is not code.
func otherCode(code string) string {
	if code == "123456" {
		return "654321"
	}
	return "123456"
}

// withSMS gives the sign-in service the gateway.
func withSMS(g *gateway) func(*signin.Config) {
	return func(c *signin.Config) {
		c.SMS = &sms.Client{URL: g.srv.URL, Secret: gatewaySecret, Timeout: 2 * time.Second}
	}
}

// actions lists the audit actions of acme, newest first.
func (p *partner) actions() string {
	p.t.Helper()
	var out []string
	for _, it := range p.must(p.admin, "GET", org+"/events?limit=1000", nil, 200).list("items") {
		out = append(out, it.(map[string]any)["action"].(string))
	}
	return strings.Join(out, " ")
}

func TestEmailCodeSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		const addr = "mo@acme.example"
		p.member(addr, pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", addr, pwOne)
		b.refused("PUT", "/v1/me/mfa/email", obj{"enabled": true}, 403, "mfa_method_not_allowed")
		p.policy(obj{"mfa_methods": []string{"totp", "passkey", "email"}})
		if on := b.must("PUT", "/v1/me/mfa/email", obj{"enabled": true}, 200); on["email_codes"] != true {
			t.Fatalf("PUT /v1/me/mfa/email = %v, want email_codes on", on)
		}

		signIn := func() *browser {
			t.Helper()
			e.breathe()
			b := e.browser(firefoxOnWindows)
			out := b.mustLogin("acme", addr, pwOne)
			if out["mfa_required"] != true || strings.Join(strs(out.list("mfa_methods")), ",") != "email" {
				t.Fatalf("sign-in = %v, want a second step offering email", out)
			}
			return b
		}
		t.Run("a mailed code signs in once", func(t *testing.T) {
			b := signIn()
			if sent := b.must("POST", "/v1/login/mfa/code", obj{"method": "email"}, 202); sent.str("sent_to") != "m•••@acme.example" {
				t.Errorf("sent_to = %q, want the address masked", sent.str("sent_to"))
			}
			code := mb.mailedCode(t, addr)
			if got, out := b.mfa(otherCode(code)); got != 401 || out.str("code") != "invalid_credentials" {
				t.Fatalf("a wrong code = %d %v, want 401 invalid_credentials", got, out)
			}
			if got, out := b.mfa(code); got != 200 {
				t.Fatalf("the mailed code = %d %v, want 200", got, out)
			}
			b.must("GET", "/v1/me/sessions", nil, 200)
			again := signIn()
			if got, _ := again.mfa(code); got != 401 {
				t.Errorf("the same code again = %d, want 401: a code works once", got)
			}
		})
		t.Run("a code expires after ten minutes", func(t *testing.T) {
			b := signIn()
			b.must("POST", "/v1/login/mfa/code", obj{"method": "email"}, 202)
			code := mb.mailedCode(t, addr)
			e.clock.Advance(10*time.Minute + time.Second)
			if got, _ := b.mfa(code); got != 401 {
				t.Errorf("a code eleven minutes old = %d, want 401", got)
			}
		})
		t.Run("five wrong tries drop the code", func(t *testing.T) {
			b := signIn()
			b.must("POST", "/v1/login/mfa/code", obj{"method": "email"}, 202)
			code := mb.mailedCode(t, addr)
			for range 5 {
				b.mfa(otherCode(code))
			}
			if got, _ := b.mfa(code); got != 401 {
				t.Errorf("the right code after five wrong ones = %d, want 401", got)
			}
		})
		t.Run("sends are rate-limited", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute) // the per-user allowance is full again
			b := signIn()
			for range 3 {
				b.must("POST", "/v1/login/mfa/code", obj{"method": "email"}, 202)
			}
			b.refused("POST", "/v1/login/mfa/code", obj{"method": "email"}, 429, "too_many_codes")
		})
		t.Run("a method not offered is refused", func(t *testing.T) {
			e.clock.Advance(5 * time.Minute)
			b := signIn()
			out := b.refused("POST", "/v1/login/mfa/code", obj{"method": "sms"}, 400, "method_not_offered")
			if out.str("fields.method") == "" {
				t.Errorf("refusal = %v, want a field error on method", out)
			}
			p.policy(obj{"mfa_methods": []string{"totp", "passkey"}})
			b.refused("POST", "/v1/login/mfa/code", obj{"method": "email"}, 400, "method_not_offered")
			e.breathe()
			if out := e.browser(firefoxOnWindows).mustLogin("acme", addr, pwOne); out["mfa_required"] == true {
				t.Errorf("sign-in once the policy dropped email = %v, want no second step", out)
			}
			p.policy(obj{"mfa_methods": []string{"totp", "passkey", "email"}})
		})
		t.Run("a session that is not signing in learns nothing", func(t *testing.T) {
			e.breathe()
			_, unknown, _ := e.browser(curlUA).login("acme", "nobody@acme.example", pwWrong)
			for _, path := range []string{"/v1/login/mfa/code", "/v1/login/mfa"} {
				stranger := e.browser(curlUA)
				stranger.setCookie("made-up-session-token")
				_, out, _ := stranger.call("POST", path, obj{"method": "email", "code": "123456"})
				sameAnswer(t, path+" with a made-up session", out, unknown)
			}
		})
		acts := p.actions()
		for _, want := range []string{"mfa.email_codes.on", "mfa.email_code.send", "mfa.email_code.use"} {
			if !strings.Contains(acts, want) {
				t.Errorf("audit log lacks %s: %s", want, acts)
			}
		}
	})
}

func strs(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}

func TestSMSSecondFactor(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			g := startGateway(t)
			e := newEnv(t, s.open(t), withSMS(g))
			p := newPartner(t, e)
			const addr, phone = "sam@acme.example", "+447700900123"
			id := p.member(addr, pwOne)
			b := e.browser(firefoxOnWindows)
			b.mustLogin("acme", addr, pwOne)
			b.refused("POST", "/v1/me/mfa/sms", obj{"phone": "+44 7700 900123"}, 403, "mfa_method_not_allowed")
			p.policy(obj{"mfa_methods": []string{"totp", "sms"}})
			b.refused("POST", "/v1/me/mfa/sms", obj{"phone": "07700 900123"}, 400, "invalid_phone")
			b.must("POST", "/v1/me/mfa/sms", obj{"phone": "+44 7700 900123"}, 202)
			code := g.lastCode(phone)
			b.refused("POST", "/v1/me/mfa/sms/confirm", obj{"code": otherCode(code)}, 400, "wrong_code")
			if f := b.must("GET", "/v1/me/mfa", nil, 200); f.str("sms_phone") != "" || f["sms_pending"] != true {
				t.Errorf("factors after a wrong code = %v, want no phone yet, still pending", f)
			}
			if f := b.must("POST", "/v1/me/mfa/sms/confirm", obj{"code": code}, 200); f.str("sms_phone") != "•••••••••••23" {
				t.Errorf("factors after confirming = %v, want the phone masked", f)
			}
			if u := e.raw(p.admin, org+"/users/"+id); strings.Contains(u, "900123") {
				t.Errorf("the user's profile shows the phone: %s", u)
			}

			e.breathe()
			b = e.browser(firefoxOnWindows)
			if out := b.mustLogin("acme", addr, pwOne); strings.Join(strs(out.list("mfa_methods")), ",") != "sms" {
				t.Fatalf("sign-in = %v, want a second step offering sms", out)
			}
			b.must("POST", "/v1/login/mfa/code", obj{"method": "sms"}, 202)
			if got, out := b.mfa(g.lastCode(phone)); got != 200 {
				t.Fatalf("the texted code = %d %v, want 200", got, out)
			}

			e.clock.Advance(5 * time.Minute)
			g.setFail(true)
			b = e.browser(firefoxOnWindows)
			b.mustLogin("acme", addr, pwOne)
			b.refused("POST", "/v1/login/mfa/code", obj{"method": "sms"}, 503, "sms_failed")
			if !strings.Contains(e.logs.String(), "sms gateway") {
				t.Errorf("a gateway failure was not logged")
			}
			// One number is not flooded from several accounts either.
			e.clock.Advance(5 * time.Minute)
			g.setFail(false)
			p.member("bo@acme.example", pwTwo)
			p.member("cy@acme.example", pwThree)
			bo, cy := e.browser(firefoxOnWindows), e.browser(firefoxOnWindows)
			bo.mustLogin("acme", "bo@acme.example", pwTwo)
			cy.mustLogin("acme", "cy@acme.example", pwThree)
			for range 3 {
				bo.must("POST", "/v1/me/mfa/sms", obj{"phone": "+447700900999"}, 202)
			}
			cy.refused("POST", "/v1/me/mfa/sms", obj{"phone": "+447700900999"}, 429, "too_many_codes")
			cy.must("POST", "/v1/me/mfa/sms", obj{"phone": "+447700900888"}, 202)

			acts := p.actions()
			for _, want := range []string{"mfa.sms.enrol_start", "mfa.sms.enrol", "mfa.sms_code.send", "mfa.sms_code.use"} {
				if !strings.Contains(acts, want) {
					t.Errorf("audit log lacks %s: %s", want, acts)
				}
			}
		})
	}
}

// TestCodesWithoutAGatewayOrForAdmins: without a gateway SMS is not
// offered; an administrator whom the policy makes use a second factor needs
// a strong one, so email codes do not count for it.
func TestCodesWithoutAGatewayOrForAdmins(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.policy(obj{"mfa_methods": []string{"totp", "passkey", "email", "sms"}})
		p.member("sam@acme.example", pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "sam@acme.example", pwOne)
		if f := b.must("GET", "/v1/me/mfa", nil, 200); strings.Join(strs(f.list("allowed_methods")), ",") != "totp,passkey,email" {
			t.Errorf("allowed_methods without a gateway = %v, want no sms", f.list("allowed_methods"))
		}
		b.refused("POST", "/v1/me/mfa/sms", obj{"phone": "+447700900123"}, 403, "mfa_method_not_allowed")
		e.refused(p.admin, "PUT", "/v1/me/mfa/email", obj{"enabled": true}, 403, "session_required")

		p.must(p.admin, "POST", org+"/users/"+p.adminID+"/password", obj{"password": pwTwo}, 200)
		a := e.browser(firefoxOnWindows)
		a.mustLogin("acme", "admin@acme.example", pwTwo)
		a.must("POST", "/v1/me/password", obj{"current_password": pwTwo, "password": pwThree}, 200)
		e.breathe()
		a.mustLogin("acme", "admin@acme.example", pwThree)
		a.must("PUT", "/v1/me/mfa/email", obj{"enabled": true}, 200)
		p.policy(obj{"mfa": "admins", "mfa_methods": []string{"totp", "passkey", "email"}})
		e.breathe()
		out := e.browser(firefoxOnWindows).mustLogin("acme", "admin@acme.example", pwThree)
		if out["mfa_required"] == true || out["mfa_enrolment_required"] != true {
			t.Errorf("an admin with email codes only, under an admins policy = %v, want a strong factor asked for", out)
		}
	})
}
