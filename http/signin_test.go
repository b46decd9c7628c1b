package http_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"gatehouse.dev/gatehouse/outbox"
	"gatehouse.dev/gatehouse/smtp"
	"gatehouse.dev/gatehouse/smtp/smtptest"
)

// The end-to-end and attack tests of signing in: a person's browser (cookie
// jar, CSRF token) against the real server, mail delivered by the real outbox
// worker to an in-process SMTP server, on both stores.

const (
	sessionCookieName = "gatehouse_session"
	firefoxOnWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	curlUA            = "curl/8.5.0"

	// Passwords that pass every policy the tests set; none contains a user's name.
	pwOne   = "Tangerine-Harbor-42"
	pwTwo   = "Velvet-Compass-77"
	pwThree = "Quiet-Lantern-19"
	pwFour  = "Marble-Orchard-63"
	pwFive  = "Copper-Meadow-28"
	pwWrong = "Not-The-Password-55"
)

// browser is one person's web client: it keeps the session cookie in a jar
// and sends the CSRF token of its session with every request but GET.
type browser struct {
	e    *env
	jar  *cookiejar.Jar
	c    *http.Client
	ua   string
	csrf string
}

func (e *env) browser(ua string) *browser {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatalf("cookie jar: %v", err)
	}
	c := *e.srv.Client()
	c.Jar = jar
	return &browser{e: e, jar: jar, c: &c, ua: ua}
}

func (b *browser) base() *url.URL {
	u, _ := url.Parse(b.e.srv.URL)
	return u
}

// cookie is the session cookie the browser holds, "" when none.
func (b *browser) cookie() string {
	for _, c := range b.jar.Cookies(b.base()) {
		if c.Name == sessionCookieName {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a session cookie of the caller's choosing in the jar.
func (b *browser) setCookie(v string) {
	b.jar.SetCookies(b.base(), []*http.Cookie{{Name: sessionCookieName, Value: v, Path: "/"}})
}

// call sends a request with the cookie, the user agent and (but for GET) the
// CSRF token; headers given later override these.
func (b *browser) call(method, path string, body any, headers ...string) (int, obj, *http.Response) {
	b.e.t.Helper()
	h := []string{"User-Agent", b.ua}
	if method != "GET" && b.csrf != "" {
		h = append(h, "X-CSRF-Token", b.csrf)
	}
	return b.e.callWith(b.c, method, path, body, append(h, headers...)...)
}

// must sends a request and fails the test unless the status is want.
func (b *browser) must(method, path string, body any, want int) obj {
	b.e.t.Helper()
	got, out, _ := b.call(method, path, body)
	if got != want {
		b.e.t.Fatalf("browser %s %s = %d %v, want %d", method, path, got, out, want)
	}
	return out
}

// refused sends a request and fails the test unless it is refused with status and code.
func (b *browser) refused(method, path string, body any, status int, code string) obj {
	b.e.t.Helper()
	got, out, _ := b.call(method, path, body)
	if got != status || out.str("code") != code {
		b.e.t.Fatalf("browser %s %s = %d %v, want %d %s", method, path, got, out, status, code)
	}
	return out
}

// login signs in; on success the browser keeps the new session's CSRF token.
func (b *browser) login(org, email, password string, headers ...string) (int, obj, *http.Response) {
	b.e.t.Helper()
	in := obj{"email": email, "password": password}
	if org != "" {
		in["org"] = org
	}
	got, out, resp := b.call("POST", "/v1/login", in, headers...)
	if got == http.StatusOK {
		b.csrf = out.str("csrf_token")
	}
	return got, out, resp
}

func (b *browser) mustLogin(org, email, password string) obj {
	b.e.t.Helper()
	got, out, _ := b.login(org, email, password)
	if got != http.StatusOK {
		b.e.t.Fatalf("sign in as %s = %d %v, want 200", email, got, out)
	}
	return out
}

// mfa completes a sign-in with a TOTP or recovery code.
func (b *browser) mfa(code string) (int, obj) {
	b.e.t.Helper()
	got, out, _ := b.call("POST", "/v1/login/mfa", obj{"code": code})
	if got == http.StatusOK {
		b.csrf = out.str("csrf_token")
	}
	return got, out
}

// raw GETs path with key and returns the body as it came.
func (e *env) raw(key, path string) string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s = %d %s, want 200", path, resp.StatusCode, b)
	}
	return string(b)
}

// refused calls with a key and fails the test unless it is refused with status and code.
func (e *env) refused(key, method, path string, body any, status int, code string) obj {
	e.t.Helper()
	got, out, _ := e.call(key, method, path, body)
	if got != status || out.str("code") != code {
		e.t.Fatalf("%s %s = %d %v, want %d %s", method, path, got, out, status, code)
	}
	return out
}

// member creates an org user of acme with a password set by the admin.
func (p *partner) member(email, password string) string {
	p.t.Helper()
	id := p.user(p.admin, org, email)
	p.must(p.admin, "POST", org+"/users/"+id+"/password", obj{"password": password}, 200)
	return id
}

// policy replaces acme's security policy, as its admin.
func (p *partner) policy(pol obj) {
	p.t.Helper()
	p.must(p.admin, "PATCH", org, obj{"policy": pol}, 200)
}

// status is a user's status as the admin sees it.
func (p *partner) status(id string) string {
	p.t.Helper()
	return p.must(p.admin, "GET", org+"/users/"+id, nil, 200).str("status")
}

// mails lists acme's outgoing mail.
func (p *partner) mails() []obj {
	p.t.Helper()
	var out []obj
	for _, it := range p.must(p.admin, "GET", org+"/mail", nil, 200).list("items") {
		out = append(out, obj(it.(map[string]any)))
	}
	return out
}

// mailTo is the newest message of a kind to an address in the outbox, or nil.
func (p *partner) mailTo(to, kind string) obj {
	p.t.Helper()
	for _, m := range p.mails() {
		if m.str("to") == to && m.str("kind") == kind {
			return m
		}
	}
	return nil
}

// mailbox is an SMTP server and the outbox worker that delivers to it.
type mailbox struct {
	*smtptest.Server
	w *outbox.Worker
}

func (e *env) mailbox() *mailbox {
	e.t.Helper()
	srv := smtptest.Start(e.t)
	c, err := smtp.New(srv.URL(), "")
	if err != nil {
		e.t.Fatalf("smtp client: %v", err)
	}
	return &mailbox{srv, &outbox.Worker{Vault: e.store, Sender: c, Permanent: smtp.Permanent, Now: e.clock.Now,
		Log: slog.New(slog.NewJSONHandler(e.logs, nil))}}
}

// deliver runs the worker once.
func (m *mailbox) deliver(t *testing.T) (sent, failed int) {
	t.Helper()
	sent, failed, err := m.w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("outbox RunOnce: %v", err)
	}
	return sent, failed
}

// to lists the messages received for an address.
func (m *mailbox) to(addr string) []smtptest.Message {
	var out []smtptest.Message
	for _, msg := range m.Messages() {
		for _, to := range msg.To {
			if to == addr {
				out = append(out, msg)
			}
		}
	}
	return out
}

// link returns the token of the link under path in the newest message to addr.
func (m *mailbox) link(t *testing.T, addr, path string) string {
	t.Helper()
	msgs := m.to(addr)
	if len(msgs) == 0 {
		t.Fatalf("no mail to %s; got %d messages in all", addr, len(m.Messages()))
	}
	body := msgs[len(msgs)-1].Body
	re := regexp.MustCompile(regexp.QuoteMeta("https://gatehouse.test"+path+"?token=") + `([A-Za-z0-9_.~%-]+)`)
	sm := re.FindStringSubmatch(body)
	if sm == nil {
		t.Fatalf("mail to %s has no link https://gatehouse.test%s?token=…:\n%s", addr, path, body)
	}
	tok, err := url.QueryUnescape(sm[1])
	if err != nil {
		t.Fatalf("link token %q: %v", sm[1], err)
	}
	return tok
}

// sessionCookieOf is the session cookie a response sets, or nil.
func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookieName {
			return c
		}
	}
	return nil
}

// sameAnswer fails unless got is want but for the request id.
func sameAnswer(t *testing.T, what string, got, want obj) {
	t.Helper()
	strip := func(o obj) map[string]any {
		c := map[string]any{}
		for k, v := range o {
			if k != "request_id" {
				c[k] = v
			}
		}
		return c
	}
	if d := cmp.Diff(strip(want), strip(got)); d != "" {
		t.Errorf("%s: the answer tells it apart (-want +got):\n%s", what, d)
	}
}

// totpCode is what an authenticator app shows at the test clock's time at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return c
}

// wrongCode is a 6-digit code valid at none of the steps around at.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := false
		for d := -2; d <= 2; d++ {
			ok = ok || totpCode(t, secret, at.Add(time.Duration(d)*30*time.Second)) == c
		}
		if !ok {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// enrolTOTP sets up TOTP for a signed-in browser and returns the secret and recovery codes.
func enrolTOTP(t *testing.T, e *env, b *browser) (string, []string) {
	t.Helper()
	en := b.must("POST", "/v1/me/mfa/totp", nil, 200)
	secret := en.str("secret")
	out := b.must("POST", "/v1/me/mfa/totp/confirm", obj{"code": totpCode(t, secret, e.clock.Now())}, 200)
	var codes []string
	for _, c := range out.list("recovery_codes") {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

// breathe moves the clock a minute on: the per-address allowance of sign-in
// attempts (20, one more every 3 s) is full again.
func (e *env) breathe() { e.clock.Advance(time.Minute) }

func TestInvitationLinkSetsThePasswordOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		u := p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy", "family_name": "Ives"}, 201)
		ivy := u.str("id")
		if u.str("status") != "invited" {
			t.Fatalf("invited user status = %q, want invited", u.str("status"))
		}
		if m := p.mailTo("ivy@acme.example", "invitation"); m == nil || m.str("status") != "pending" {
			t.Fatalf("outbox after inviting = %v, want a pending invitation to ivy", p.mails())
		}
		if sent, failed := mb.deliver(t); sent != 1 || failed != 0 {
			t.Fatalf("deliver = %d sent, %d failed; want 1 sent", sent, failed)
		}
		msgs := mb.to("ivy@acme.example")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "invited") {
			t.Fatalf("mail to ivy = %+v, want one invitation", msgs)
		}
		if m := p.mailTo("ivy@acme.example", "invitation"); m.str("status") != "sent" {
			t.Errorf("invitation status after delivery = %q, want sent", m.str("status"))
		}
		token := mb.link(t, "ivy@acme.example", "/invitations/accept")

		// A weak password is refused and the link still works.
		before := p.head()
		got, out, _ := e.call("", "POST", "/v1/invitations/accept", obj{"token": token, "password": "password1"})
		if got != 400 || out.str("code") != "weak_password" || out.str("fields.password") == "" {
			t.Fatalf("accept with password1 = %d %v, want 400 weak_password naming the password field", got, out)
		}
		if p.head() != before || p.status(ivy) != "invited" {
			t.Fatalf("a refused acceptance changed the directory (head %d→%d, status %s)", before, p.head(), p.status(ivy))
		}

		out = p.must("", "POST", "/v1/invitations/accept", obj{"token": token, "password": pwOne}, 200)
		if out.str("user_id") != ivy || out.str("email") != "ivy@acme.example" {
			t.Errorf("accept = %v, want ivy's id and email", out)
		}
		if s := p.status(ivy); s != "active" {
			t.Errorf("status after accepting = %q, want active", s)
		}
		if m := p.mailTo("ivy@acme.example", "welcome"); m == nil || m.str("status") != "pending" {
			t.Errorf("outbox after accepting = %v, want a pending welcome mail", p.mails())
		}
		e.browser(firefoxOnWindows).mustLogin("acme", "ivy@acme.example", pwOne)

		// The link works once.
		before = p.head()
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": token, "password": pwTwo}, 400, "invalid_link")
		if p.head() != before {
			t.Errorf("a replayed link changed the directory")
		}
		if got, _, _ := e.browser(curlUA).login("acme", "ivy@acme.example", pwTwo); got != 401 {
			t.Errorf("sign in with the replayed link's password = %d, want 401", got)
		}

		// A link past its expiry is refused.
		jay := p.must(p.admin, "POST", org+"/invitations", obj{"email": "jay@acme.example", "given_name": "Jay"}, 201).str("id")
		mb.deliver(t)
		late := mb.link(t, "jay@acme.example", "/invitations/accept")
		e.clock.Advance(8 * 24 * time.Hour)
		before = p.head()
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": late, "password": pwOne}, 400, "invalid_link")
		if p.head() != before || p.status(jay) != "invited" {
			t.Errorf("an expired link changed the directory (status %s)", p.status(jay))
		}
		// A made-up token is the same answer.
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": "made-up-token", "password": pwOne}, 400, "invalid_link")
	})
}

func TestInvitationsFromCSVAreAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		bad := "email,first_name,last_name\nkai@acme.example,Kai,Kim\nnot-an-email,Bad,Row\n"
		before, mails := p.head(), len(p.mails())
		got, out := p.postCSV(p.admin, org+"/invitations", bad)
		if got != 400 || out.str("code") != "csv_invalid" {
			t.Fatalf("invite a file with a bad row = %d %v, want 400 csv_invalid", got, out)
		}
		if p.head() != before || len(p.mails()) != mails {
			t.Fatalf("a refused file changed something: head %d→%d, mails %d→%d", before, p.head(), mails, len(p.mails()))
		}

		good := "email,first_name,last_name\nkai@acme.example,Kai,Kim\nlou@acme.example,Lou,Li\nmo@acme.example,Mo,Ma\n"
		got, out = p.postCSV(p.admin, org+"/invitations", good)
		if got != 200 || out.num("imported") != 3 {
			t.Fatalf("invite three = %d %v, want 200 and 3 imported", got, out)
		}
		for _, c := range out.list("created") {
			if u := obj(c.(map[string]any)); u.str("status") != "invited" {
				t.Errorf("created %s with status %q, want invited", u.str("email"), u.str("status"))
			}
		}
		if sent, _ := mb.deliver(t); sent != 3 {
			t.Fatalf("delivered %d, want 3 invitations", sent)
		}
		seen := map[string]bool{}
		for _, to := range []string{"kai@acme.example", "lou@acme.example", "mo@acme.example"} {
			tok := mb.link(t, to, "/invitations/accept")
			if seen[tok] {
				t.Errorf("two invitations carry the same link")
			}
			seen[tok] = true
		}
		tok := mb.link(t, "lou@acme.example", "/invitations/accept")
		p.must("", "POST", "/v1/invitations/accept", obj{"token": tok, "password": pwTwo}, 200)
	})
}

func TestSignInWithCookieAndCSRF(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("sam@acme.example", pwOne)

		// Session fixation: a cookie planted before sign-in never becomes the session.
		const planted = "planted-by-an-attacker-0123456789"
		b := e.browser(firefoxOnWindows)
		b.setCookie(planted)
		got, out, resp := b.login("acme", "sam@acme.example", pwOne)
		if got != 200 {
			t.Fatalf("sign in = %d %v, want 200", got, out)
		}
		c := sessionCookieOf(resp)
		if c == nil || c.Value == "" || c.Value == planted || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Fatalf("session cookie = %+v, want a new value, HttpOnly, SameSite=Lax, Path=/", c)
		}
		if b.cookie() != c.Value {
			t.Fatalf("the browser keeps %q, want the new cookie", b.cookie())
		}
		if out.str("csrf_token") == "" || out.str("session_id") == "" || out.get("mfa_required") != false {
			t.Errorf("sign-in answer = %v, want a CSRF token, a session id and no MFA", out)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		fixed := e.browser(firefoxOnWindows)
		fixed.setCookie(planted)
		fixed.refused("GET", "/v1/me", nil, 401, "invalid_credentials")

		me := b.must("GET", "/v1/me", nil, 200)
		if me.str("user.email") != "sam@acme.example" || me.str("session.id") != out.str("session_id") {
			t.Errorf("/v1/me = %v, want sam and the new session", me)
		}

		// A request that changes something needs the session's own CSRF token.
		other := e.browser(curlUA)
		other.mustLogin("acme", "sam@acme.example", pwOne)
		before := p.head()
		token := b.csrf
		for _, csrf := range []string{"", "not-the-token", other.csrf} {
			got, out, _ := b.call("POST", "/v1/logout", nil, "X-CSRF-Token", csrf)
			if got != 403 || out.str("code") != "csrf" {
				t.Errorf("logout with CSRF token %q = %d %v, want 403 csrf", csrf, got, out)
			}
		}
		b.csrf = ""
		b.refused("POST", "/v1/me/mfa/totp", nil, 403, "csrf")
		b.csrf = token
		b.must("GET", "/v1/me", nil, 200)
		if p.head() != before {
			t.Errorf("refused requests changed the directory")
		}
		if en := b.must("POST", "/v1/me/mfa/totp", nil, 200); en.str("secret") == "" {
			t.Errorf("with the CSRF token: %v, want an enrolment", en)
		}

		// Signing out ends the session: the old cookie is worth nothing.
		_, _, resp = b.call("POST", "/v1/logout", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("logout = %d, want 200", resp.StatusCode)
		}
		if c := sessionCookieOf(resp); c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("logout cookie = %+v, want it cleared", c)
		}
		if b.cookie() != "" {
			t.Errorf("the browser still holds a session cookie after logout")
		}
		stolen := e.browser(firefoxOnWindows)
		stolen.setCookie(c.Value)
		stolen.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		other.must("GET", "/v1/me", nil, 200) // the other session is untouched

		// Without the organization, when the email is unique.
		e.browser(curlUA).mustLogin("", "sam@acme.example", pwOne)
		// The same email in two organizations needs the organization.
		_, otherAdmin := e.org("other")
		twin := e.user(otherAdmin, "/v1/orgs/other", "sam@acme.example")
		e.must(otherAdmin, "POST", "/v1/orgs/other/users/"+twin+"/password", obj{"password": pwOne}, 200)
		if got, out, _ := e.browser(curlUA).login("", "sam@acme.example", pwOne); got != 401 {
			t.Errorf("sign in without the organization, email in two = %d %v, want 401", got, out)
		}
		twinB := e.browser(curlUA)
		twinB.mustLogin("other", "sam@acme.example", pwOne)
		if id := twinB.must("GET", "/v1/me", nil, 200).str("user.id"); id != twin {
			t.Errorf("signed in at other as %s, want %s", id, twin)
		}
	})
}

func TestSignInFailuresLookAlike(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("ann@acme.example", pwOne)
		dan := p.member("dan@acme.example", pwOne)
		p.must(p.admin, "PATCH", org+"/users/"+dan, obj{"status": "disabled"}, 200)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ina@acme.example", "given_name": "Ina"}, 201)

		cases := []struct{ name, org, email, password string }{
			{"wrong password", "acme", "ann@acme.example", pwWrong},
			{"unknown organization", "nowhere", "ann@acme.example", pwOne},
			{"unknown email", "acme", "nobody@acme.example", pwOne},
			{"unknown email, no organization", "", "nobody@acme.example", pwOne},
			{"disabled user, right password", "acme", "dan@acme.example", pwOne},
			{"invited user without a password", "acme", "ina@acme.example", pwOne},
			{"empty password", "acme", "ann@acme.example", ""},
		}
		var want obj
		var wantAuth string
		for i, c := range cases {
			got, out, resp := e.browser(firefoxOnWindows).login(c.org, c.email, c.password)
			if got != 401 || out.str("code") != "invalid_credentials" {
				t.Errorf("%s: sign in = %d %v, want 401 invalid_credentials", c.name, got, out)
			}
			if sessionCookieOf(resp) != nil {
				t.Errorf("%s: a refused sign-in set a session cookie", c.name)
			}
			if i == 0 {
				want, wantAuth = out, resp.Header.Get("WWW-Authenticate")
				continue
			}
			sameAnswer(t, c.name, out, want)
			if h := resp.Header.Get("WWW-Authenticate"); h != wantAuth {
				t.Errorf("%s: WWW-Authenticate = %q, want %q", c.name, h, wantAuth)
			}
		}
		// A suspended organization's users get the same answer too.
		p.must(p.operator, "PATCH", org, obj{"status": "suspended"}, 200)
		_, out, _ := e.browser(firefoxOnWindows).login("acme", "ann@acme.example", pwOne)
		sameAnswer(t, "suspended organization", out, want)
	})
}

func TestRepeatedWrongPasswordsLockTheAccount(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		kim := p.member("kim@acme.example", pwOne)
		p.policy(obj{"lockout_threshold": 3, "lockout_minutes": 15, "security_contacts": []string{"soc@acme.example"}})

		const attackerUA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
		b := e.browser(attackerUA)
		var wrong obj
		for i := range 3 {
			got, out, _ := b.login("acme", "kim@acme.example", pwWrong)
			if got != 401 {
				t.Fatalf("wrong password %d = %d %v, want 401", i+1, got, out)
			}
			wrong = out
		}
		got, out, resp := b.login("acme", "kim@acme.example", pwOne)
		if got != 401 || sessionCookieOf(resp) != nil {
			t.Fatalf("right password while locked = %d %v, want 401 and no cookie", got, out)
		}
		sameAnswer(t, "right password while locked", out, wrong)

		evs := p.must(p.admin, "GET", org+"/events?action=login.lockout", nil, 200).list("items")
		if len(evs) != 1 {
			t.Fatalf("lockout events = %d, want 1", len(evs))
		}
		ev := obj(evs[0].(map[string]any))
		if ev.str("target.id") != kim || ev.str("source.ip") != "127.0.0.1" || ev.str("source.user_agent") != attackerUA {
			t.Errorf("lockout event = %v, want target %s, source 127.0.0.1 and the attacker's user agent", ev, kim)
		}

		if sent, _ := mb.deliver(t); sent < 1 {
			t.Fatalf("delivered %d, want the security notice", sent)
		}
		var locked []smtptest.Message
		for _, m := range mb.to("soc@acme.example") {
			if strings.Contains(m.Subject, "locked") {
				locked = append(locked, m)
			}
		}
		if len(locked) != 1 || !strings.Contains(locked[0].Subject, "kim@acme.example") || !strings.Contains(locked[0].Body, "127.0.0.1") {
			t.Fatalf("lockout notices to the security contact = %+v, want one naming kim and the address", locked)
		}

		e.clock.Advance(14 * time.Minute)
		if got, _, _ := b.login("acme", "kim@acme.example", pwOne); got != 401 {
			t.Errorf("right password 14 minutes into the lockout = %d, want 401", got)
		}
		e.clock.Advance(2 * time.Minute)
		e.browser(firefoxOnWindows).mustLogin("acme", "kim@acme.example", pwOne)
	})
}

func TestManySignInAttemptsAreRateLimited(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("ray@acme.example", pwOne)
		b := e.browser(curlUA)
		// One address: 20 attempts, then refusals. A forged X-Forwarded-For
		// (no proxy is trusted) does not make the attempts come from elsewhere.
		var got int
		var out obj
		n := 0
		for ; n < 40; n++ {
			got, out, _ = b.login("acme", fmt.Sprintf("guess%d@acme.example", n), pwWrong,
				"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", n+1))
			if got != 401 {
				break
			}
		}
		if got != 429 || out.str("code") != "too_many_attempts" || n != 20 {
			t.Fatalf("attempt %d = %d %v, want 429 too_many_attempts after 20", n+1, got, out)
		}
		// The right password is refused too while the limit holds; the reset form as well.
		if got, out, _ := b.login("acme", "ray@acme.example", pwOne); got != 429 {
			t.Errorf("right password while limited = %d %v, want 429", got, out)
		}
		if got, out, _ := b.call("POST", "/v1/password/reset", obj{"org": "acme", "email": "ray@acme.example"}); got != 429 {
			t.Errorf("reset request while limited = %d %v, want 429", got, out)
		}
		e.breathe()
		b.mustLogin("acme", "ray@acme.example", pwOne)

		// One account: 10 attempts, whatever the address allows.
		e.breathe()
		for n = 0; n < 20; n++ {
			if got, out, _ = b.login("acme", "nobody@acme.example", pwWrong); got != 401 {
				break
			}
		}
		if got != 429 || out.str("code") != "too_many_attempts" || n != 10 {
			t.Fatalf("attempt %d at one account = %d %v, want 429 after 10", n+1, got, out)
		}
		if got, _, _ := b.login("acme", "ray@acme.example", pwOne); got != 200 {
			t.Errorf("another account from the same address = %d, want 200", got)
		}
	})
}

// Two nodes behind one load balancer share the limits: an address gets 20
// attempts in all, not 20 on each node.
func TestRateLimitsHoldAcrossNodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, a *env) {
		p := newPartner(t, a)
		p.member("ray@acme.example", pwOne)
		b := newEnv(t, a.store) // a second node on the same database
		nodes := []*browser{a.browser(curlUA), b.browser(curlUA)}
		var got int
		var out obj
		n := 0
		for ; n < 40; n++ {
			if got, out, _ = nodes[n%2].login("acme", fmt.Sprintf("guess%d@acme.example", n), pwWrong); got != 401 {
				break
			}
		}
		if got != 429 || out.str("code") != "too_many_attempts" || n != 20 {
			t.Fatalf("attempt %d, alternating between two nodes = %d %v, want 429 after 20 in all", n+1, got, out)
		}
		if got, _, _ := nodes[1].login("acme", "ray@acme.example", pwOne); got != 429 {
			t.Errorf("the other node lets the limited address sign in: %d, want 429", got)
		}
	})
}

func TestSessionsAreListedAndEnded(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		uma := p.member("uma@acme.example", pwOne)
		p.member("val@acme.example", pwOne)
		a := e.browser(firefoxOnWindows)
		a.mustLogin("acme", "uma@acme.example", pwOne)
		b := e.browser(curlUA)
		bID := b.mustLogin("acme", "uma@acme.example", pwOne).str("session_id")

		list := a.must("GET", "/v1/me/sessions", nil, 200).list("items")
		byUA := map[string]obj{}
		for _, it := range list {
			s := obj(it.(map[string]any))
			byUA[s.str("user_agent")] = s
		}
		if len(list) != 2 || byUA[firefoxOnWindows].str("device") != "Firefox on Windows" || byUA[curlUA].str("device") != "curl" ||
			byUA[curlUA].str("ip") != "127.0.0.1" || byUA[curlUA].str("id") != bID {
			t.Fatalf("sessions = %v, want both, with device, address and user agent", list)
		}

		// Another user's session cannot be ended through /v1/me.
		v := e.browser(curlUA)
		vID := v.mustLogin("acme", "val@acme.example", pwOne).str("session_id")
		a.refused("DELETE", "/v1/me/sessions/"+vID, nil, 404, "session_not_found")
		v.must("GET", "/v1/me", nil, 200)

		a.must("DELETE", "/v1/me/sessions/"+bID, nil, 200)
		b.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		a.must("GET", "/v1/me", nil, 200)

		// An admin ends one of the user's sessions.
		b2 := b.mustLogin("acme", "uma@acme.example", pwOne).str("session_id")
		if n := len(p.must(p.admin, "GET", org+"/users/"+uma+"/sessions", nil, 200).list("items")); n != 2 {
			t.Errorf("the admin sees %d sessions, want 2", n)
		}
		p.must(p.admin, "DELETE", org+"/users/"+uma+"/sessions/"+b2, nil, 200)
		b.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		a.must("GET", "/v1/me", nil, 200)

		// Idle sessions end; activity keeps a session alive.
		e.clock.Advance(50 * time.Minute)
		a.must("GET", "/v1/me", nil, 200)
		e.clock.Advance(50 * time.Minute)
		a.must("GET", "/v1/me", nil, 200)
		e.clock.Advance(61 * time.Minute)
		a.refused("GET", "/v1/me", nil, 401, "invalid_credentials")

		// However active, a session ends after session_absolute_hours (12).
		abs := e.browser(curlUA)
		abs.mustLogin("acme", "uma@acme.example", pwOne)
		for range 14 {
			e.clock.Advance(50 * time.Minute)
			abs.must("GET", "/v1/me", nil, 200)
		}
		e.clock.Advance(50 * time.Minute) // 12 h 30 min after signing in
		abs.refused("GET", "/v1/me", nil, 401, "invalid_credentials")

		// Disabling the user ends its session and its key at once, for good.
		c := e.browser(firefoxOnWindows)
		c.mustLogin("acme", "uma@acme.example", pwOne)
		key := p.key("acme", uma)
		p.must(key, "GET", org+"/workspaces", nil, 200)
		c.must("GET", org+"/workspaces", nil, 200)
		p.must(p.admin, "PATCH", org+"/users/"+uma, obj{"status": "disabled"}, 200)
		c.refused("GET", org+"/workspaces", nil, 401, "invalid_credentials")
		p.refused(key, "GET", org+"/workspaces", nil, 401, "invalid_credentials")
		p.must(p.admin, "PATCH", org+"/users/"+uma, obj{"status": "active"}, 200)
		c.refused("GET", "/v1/me", nil, 401, "invalid_credentials")

		// Changing the password ends the other sessions, not this one.
		d, f := e.browser(firefoxOnWindows), e.browser(curlUA)
		d.mustLogin("acme", "uma@acme.example", pwOne)
		f.mustLogin("acme", "uma@acme.example", pwOne)
		d.must("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwTwo}, 200)
		d.must("GET", "/v1/me", nil, 200)
		f.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		if got, _, _ := e.browser(curlUA).login("acme", "uma@acme.example", pwOne); got != 401 {
			t.Errorf("old password after a change = %d, want 401", got)
		}
		e.browser(curlUA).mustLogin("acme", "uma@acme.example", pwTwo)
	})
}

func TestTOTPSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mo := p.member("mo@acme.example", pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "mo@acme.example", pwOne)

		en := b.must("POST", "/v1/me/mfa/totp", nil, 200)
		secret := en.str("secret")
		png, err := base64.StdEncoding.DecodeString(en.str("qr_png_base64"))
		if secret == "" || !strings.HasPrefix(en.str("otpauth_uri"), "otpauth://totp/") || !strings.Contains(en.str("otpauth_uri"), "secret="+secret) ||
			err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("enrolment = secret %q, uri %q, png %d bytes (%v); want a secret, its otpauth:// URI and a PNG", secret, en.str("otpauth_uri"), len(png), err)
		}
		b.refused("POST", "/v1/me/mfa/totp/confirm", obj{"code": wrongCode(t, secret, e.clock.Now())}, 400, "wrong_code")
		codes := b.must("POST", "/v1/me/mfa/totp/confirm", obj{"code": totpCode(t, secret, e.clock.Now())}, 200).list("recovery_codes")
		if len(codes) != 10 {
			t.Fatalf("recovery codes = %v, want 10", codes)
		}
		if me := b.must("GET", "/v1/me", nil, 200); me.get("mfa_enrolled") != true || me.num("recovery_codes_left") != 10 {
			t.Errorf("/v1/me after enrolling = %v, want enrolled with 10 recovery codes", me)
		}
		// A session cannot swap the confirmed factor for another.
		b.refused("POST", "/v1/me/mfa/totp", nil, 409, "mfa_enrolled")
		b.must("POST", "/v1/logout", nil, 200)

		// The password alone opens only the door to the second factor.
		e.clock.Advance(30 * time.Second)
		b = e.browser(firefoxOnWindows)
		if out := b.mustLogin("acme", "mo@acme.example", pwOne); out.get("mfa_required") != true {
			t.Fatalf("sign in with MFA = %v, want mfa_required", out)
		}
		pending, pendingCSRF := b.cookie(), b.csrf
		b.refused("GET", org+"/workspaces", nil, 401, "mfa_required")
		b.refused("POST", "/v1/me/mfa/totp", nil, 401, "mfa_required")
		b.must("GET", "/v1/me", nil, 200)
		before := p.head()
		if got, out := b.mfa(wrongCode(t, secret, e.clock.Now())); got != 401 || out.str("code") != "invalid_credentials" {
			t.Errorf("wrong code = %d %v, want 401 invalid_credentials", got, out)
		}
		b.refused("GET", org+"/workspaces", nil, 401, "mfa_required")
		now := totpCode(t, secret, e.clock.Now())
		if got, out := b.mfa(now); got != 200 || out.get("mfa_required") != false {
			t.Fatalf("right code = %d %v, want 200", got, out)
		}
		if b.cookie() == pending || b.cookie() == "" {
			t.Errorf("the session cookie did not change with the second factor")
		}
		b.must("GET", org+"/workspaces", nil, 200)
		if got, out, _ := b.call("POST", "/v1/logout", nil, "X-CSRF-Token", pendingCSRF); got != 403 || out.str("code") != "csrf" {
			t.Errorf("the CSRF token from before the second factor = %d %v, want 403 csrf", got, out)
		}
		old := e.browser(firefoxOnWindows)
		old.setCookie(pending)
		old.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		if p.head() == before {
			t.Errorf("no audit event for the second factor")
		}

		// A code is never accepted twice, even within its step.
		c := e.browser(curlUA)
		c.mustLogin("acme", "mo@acme.example", pwOne)
		if got, out := c.mfa(now); got != 401 {
			t.Errorf("the same code again = %d %v, want 401", got, out)
		}
		// A code one step old, not used yet, is accepted once.
		e.clock.Advance(60 * time.Second)
		prev := totpCode(t, secret, e.clock.Now().Add(-30*time.Second))
		c = e.browser(curlUA)
		c.mustLogin("acme", "mo@acme.example", pwOne)
		if got, out := c.mfa(prev); got != 200 {
			t.Errorf("a code one step old = %d %v, want 200", got, out)
		}
		c = e.browser(curlUA)
		c.mustLogin("acme", "mo@acme.example", pwOne)
		if got, out := c.mfa(prev); got != 401 {
			t.Errorf("the step-old code again = %d %v, want 401", got, out)
		}

		// A recovery code works once.
		e.breathe()
		rc := codes[3].(string)
		r := e.browser(curlUA)
		r.mustLogin("acme", "mo@acme.example", pwOne)
		if got, out := r.mfa(rc); got != 200 {
			t.Fatalf("recovery code = %d %v, want 200", got, out)
		}
		if left := r.must("GET", "/v1/me", nil, 200).num("recovery_codes_left"); left != 9 {
			t.Errorf("recovery codes left = %d, want 9", left)
		}
		again := e.browser(curlUA)
		again.mustLogin("acme", "mo@acme.example", pwOne)
		if got, out := again.mfa(rc); got != 401 {
			t.Errorf("the recovery code again = %d %v, want 401", got, out)
		}
		if n := len(p.must(p.admin, "GET", org+"/events?action=mfa.recovery_code.use", nil, 200).list("items")); n != 1 {
			t.Errorf("recovery code use events = %d, want 1", n)
		}

		// An admin's reset of the factor ends the user's sessions.
		p.must(p.admin, "POST", org+"/users/"+mo+"/mfa/reset", nil, 200)
		for _, s := range []*browser{b, r, again} {
			s.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		}
		if out := e.browser(curlUA).mustLogin("acme", "mo@acme.example", pwOne); out.get("mfa_required") != false {
			t.Errorf("sign in after the reset = %v, want no second factor", out)
		}

		// Policy "everyone": a user without a factor may only enrol one.
		e.breathe()
		p.policy(obj{"mfa": "everyone"})
		n := e.browser(firefoxOnWindows)
		if out := n.mustLogin("acme", "mo@acme.example", pwOne); out.get("mfa_enrolment_required") != true {
			t.Fatalf("sign in under mfa: everyone = %v, want mfa_enrolment_required", out)
		}
		before = p.head()
		n.refused("GET", org+"/workspaces", nil, 403, "mfa_enrolment_required")
		n.refused("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwTwo}, 403, "mfa_enrolment_required")
		n.refused("GET", "/v1/me/sessions", nil, 403, "mfa_enrolment_required")
		if p.head() != before {
			t.Errorf("requests refused at the enrolment gate changed the directory")
		}
		n.must("GET", "/v1/me", nil, 200)
		enrolTOTP(t, e, n)
		n.must("GET", org+"/workspaces", nil, 200)
	})
}

func TestPasswordRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		tia := p.member("tia@acme.example", pwFive)
		p.policy(obj{"password_history": 2, "password_complexity": true})

		// A temporary password lets the user do nothing but change it; setting
		// it ends the user's sessions.
		earlier := e.browser(curlUA)
		earlier.mustLogin("acme", "tia@acme.example", pwFive)
		p.must(p.admin, "POST", org+"/users/"+tia+"/password", obj{"password": pwOne, "temporary": true}, 200)
		earlier.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		b := e.browser(firefoxOnWindows)
		if out := b.mustLogin("acme", "tia@acme.example", pwOne); out.get("password_change_required") != true {
			t.Fatalf("sign in with a temporary password = %v, want password_change_required", out)
		}
		before := p.head()
		b.refused("GET", org+"/workspaces", nil, 403, "password_change_required")
		b.refused("POST", "/v1/me/mfa/totp", nil, 403, "password_change_required")
		b.must("GET", "/v1/me", nil, 200)
		b.refused("POST", "/v1/me/password", obj{"current_password": pwWrong, "password": pwTwo}, 400, "wrong_password")
		b.refused("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwOne}, 400, "weak_password")
		b.refused("POST", "/v1/me/password", obj{"current_password": pwOne, "password": "all-lower-case-letters"}, 400, "weak_password")
		b.refused("POST", "/v1/me/password", obj{"current_password": pwOne, "password": "Password1"}, 400, "weak_password")
		if p.head() != before {
			t.Fatalf("refused password changes changed the directory")
		}
		b.refused("GET", org+"/workspaces", nil, 403, "password_change_required")
		b.must("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwTwo}, 200)
		b.must("GET", org+"/workspaces", nil, 200)

		// History 2: the last two passwords (the current one and the one
		// before) do not come back; the one before those may.
		b.must("POST", "/v1/me/password", obj{"current_password": pwTwo, "password": pwThree}, 200)
		e.breathe()
		for _, old := range []string{pwThree, pwTwo} {
			out := b.refused("POST", "/v1/me/password", obj{"current_password": pwThree, "password": old}, 400, "weak_password")
			if !strings.Contains(out.str("fields.password"), "used recently") {
				t.Errorf("reusing a password: %v, want it said it was used recently", out)
			}
		}
		b.must("POST", "/v1/me/password", obj{"current_password": pwThree, "password": pwOne}, 200)
		b.must("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwFour}, 200)

		// A common password is refused everywhere one can be set.
		const common = "Password1" // on the list of leaked passwords, three character classes
		before = p.head()
		p.refused(p.admin, "POST", org+"/users/"+tia+"/password", obj{"password": common}, 400, "weak_password")
		b.refused("POST", "/v1/me/password", obj{"current_password": pwFour, "password": common}, 400, "weak_password")
		p.must("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "tia@acme.example"}, 202)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "uli@acme.example", "given_name": "Uli"}, 201)
		mb.deliver(t)
		before = p.head()
		reset := mb.link(t, "tia@acme.example", "/password/reset")
		p.refused("", "POST", "/v1/password/reset/confirm", obj{"token": reset, "password": common}, 400, "weak_password")
		invite := mb.link(t, "uli@acme.example", "/invitations/accept")
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": common}, 400, "weak_password")
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": "lowercase-only-words"}, 400, "weak_password")
		if p.head() != before {
			t.Errorf("refused passwords changed the directory")
		}
		// The refusals used up no link.
		p.must("", "POST", "/v1/password/reset/confirm", obj{"token": reset, "password": pwFive}, 200)
		p.must("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": pwFive}, 200)
	})
}

func TestPasswordResetByEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.member("rex@acme.example", pwOne)
		p.policy(obj{"lockout_threshold": 3})
		a, b := e.browser(firefoxOnWindows), e.browser(curlUA)
		a.mustLogin("acme", "rex@acme.example", pwOne)
		b.mustLogin("acme", "rex@acme.example", pwOne)

		// The same answer whether the email exists or not; only a real one gets mail.
		_, unknown, r1 := e.call("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "nobody@acme.example"})
		// Links come from the configured public URL, never from the request.
		_, known, r2 := e.call("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "rex@acme.example"},
			"X-Forwarded-Host", "evil.example", "Forwarded", "host=evil.example;proto=https")
		if r1.StatusCode != 202 || r2.StatusCode != 202 {
			t.Fatalf("reset requests = %d and %d, want 202", r1.StatusCode, r2.StatusCode)
		}
		sameAnswer(t, "reset for an unknown email", unknown, known)
		// Rex was also told of the password an admin set and of the second device.
		sent, _ := mb.deliver(t)
		resets := 0
		for _, m := range mb.to("rex@acme.example") {
			if strings.Contains(m.Body, "/password/reset?token=") {
				resets++
			}
		}
		if resets != 1 || sent != len(mb.to("rex@acme.example")) {
			t.Fatalf("delivered %d (%d to rex, %d resets), want only mail to rex and one reset link", sent, len(mb.to("rex@acme.example")), resets)
		}
		token := mb.link(t, "rex@acme.example", "/password/reset")
		if body := mb.to("rex@acme.example")[0].Body; strings.Contains(body, "evil.example") {
			t.Errorf("the reset mail follows the request's forwarded host:\n%s", body)
		}

		// Locked out meanwhile.
		for range 3 {
			b.login("acme", "rex@acme.example", pwWrong)
		}
		if got, _, _ := e.browser(curlUA).login("acme", "rex@acme.example", pwOne); got != 401 {
			t.Fatalf("right password when locked = %d, want 401", got)
		}

		before := p.head()
		p.refused("", "POST", "/v1/password/reset/confirm", obj{"token": token, "password": "password1"}, 400, "weak_password")
		if p.head() != before {
			t.Errorf("a refused reset changed the directory")
		}
		p.must("", "POST", "/v1/password/reset/confirm", obj{"token": token, "password": pwTwo}, 200)
		a.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		b.refused("GET", "/v1/me", nil, 401, "invalid_credentials")
		if got, _, _ := e.browser(curlUA).login("acme", "rex@acme.example", pwOne); got != 401 {
			t.Errorf("the old password after a reset = %d, want 401", got)
		}
		e.browser(curlUA).mustLogin("acme", "rex@acme.example", pwTwo) // the lockout is lifted
		p.refused("", "POST", "/v1/password/reset/confirm", obj{"token": token, "password": pwThree}, 400, "invalid_link")

		// A link older than an hour is refused.
		e.breathe()
		p.must("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "rex@acme.example"}, 202)
		mb.deliver(t)
		late := mb.link(t, "rex@acme.example", "/password/reset")
		if late == token {
			t.Fatalf("the second reset mail carries the first link")
		}
		e.clock.Advance(2 * time.Hour)
		before = p.head()
		p.refused("", "POST", "/v1/password/reset/confirm", obj{"token": late, "password": pwThree}, 400, "invalid_link")
		if p.head() != before {
			t.Errorf("an expired link changed the directory")
		}
		e.browser(curlUA).mustLogin("acme", "rex@acme.example", pwTwo)
		// An invitation link is no reset link.
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "sol@acme.example", "given_name": "Sol"}, 201)
		mb.deliver(t)
		inv := mb.link(t, "sol@acme.example", "/invitations/accept")
		p.refused("", "POST", "/v1/password/reset/confirm", obj{"token": inv, "password": pwThree}, 400, "invalid_link")
	})
}

func TestAllowedAddressRanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ada := p.member("ada@acme.example", pwOne)
		key := p.key("acme", ada)
		live := e.browser(firefoxOnWindows)
		live.mustLogin("acme", "ada@acme.example", pwOne)
		p.lockOut()

		b := e.browser(firefoxOnWindows)
		_, wrong, _ := b.login("acme", "ada@acme.example", pwWrong)
		for _, xff := range []string{"", "10.1.2.3"} { // no proxy is trusted: the header changes nothing
			got, out, resp := b.login("acme", "ada@acme.example", pwOne, "X-Forwarded-For", xff)
			if got != 401 || sessionCookieOf(resp) != nil {
				t.Errorf("sign in from outside the ranges (X-Forwarded-For %q) = %d %v, want 401", xff, got, out)
			}
			sameAnswer(t, "sign in from outside the ranges", out, wrong)
		}
		live.refused("GET", "/v1/me", nil, 401, "invalid_credentials")

		before := p.head()
		for _, k := range []string{key, p.admin} {
			p.refused(k, "GET", org+"/workspaces", nil, 403, "address_not_allowed")
			p.refused(k, "POST", org+"/workspaces", obj{"name": "Delta"}, 403, "address_not_allowed")
			if got, out, _ := p.call(k, "GET", org+"/workspaces", nil, "X-Forwarded-For", "10.1.2.3"); got != 403 {
				t.Errorf("a key with a forged X-Forwarded-For = %d %v, want 403", got, out)
			}
		}
		if p.head() != before {
			t.Errorf("refused requests changed the directory")
		}

		// The operator is not the organization's: its key works, and its
		// recovery key lets the admin lift the ranges.
		p.must(p.operator, "GET", org+"/workspaces", nil, 200)
		recovery := p.must(p.operator, "POST", org+"/recover", obj{}, 201).str("key")
		p.must(recovery, "PATCH", org, obj{"policy": obj{"allowed_cidrs": nil}}, 200)
		p.must(key, "GET", org+"/workspaces", nil, 200)
		e.browser(curlUA).mustLogin("acme", "ada@acme.example", pwOne)
	})
}

// keepAlive moves the clock on by d in steps of a few minutes, with a request
// of the browser at each, so that its session never idles.
func keepAlive(e *env, b *browser, d time.Duration) {
	e.t.Helper()
	for ; d > 0; d -= 4 * time.Minute {
		e.clock.Advance(min(d, 4*time.Minute))
		b.must("GET", "/v1/me", nil, 200)
	}
}

func TestSensitiveActionsNeedARecentSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ola := p.create(p.admin, org+"/users", obj{"email": "ola@acme.example", "given_name": "Ola", "org_role": "admin"})
		p.must(p.admin, "POST", org+"/users/"+ola+"/password", obj{"password": pwOne}, 200)
		bo := p.member("bo@acme.example", pwTwo)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "ola@acme.example", pwOne)
		keys := org + "/users/" + bo + "/keys"
		assign := org + "/workspaces/alpha/assignments"
		admin := obj{"principal": obj{"type": "user", "id": bo}, "role": "admin"}

		keepAlive(e, b, 16*time.Minute)
		before := p.head()
		b.refused("POST", keys, obj{"name": "ci"}, 403, "reauthentication_required")
		b.refused("POST", assign, admin, 403, "reauthentication_required")
		b.refused("PATCH", org+"/users/"+bo, obj{"org_role": "admin"}, 403, "reauthentication_required")
		if p.head() != before {
			t.Fatalf("refused sensitive actions changed the directory")
		}
		// What is not sensitive still works.
		b.must("POST", assign, obj{"principal": obj{"type": "user", "id": bo}, "role": "incident_analyst"}, 201)

		b.refused("POST", "/v1/me/reauthenticate", obj{"password": pwWrong}, 401, "invalid_credentials")
		b.refused("POST", keys, obj{"name": "ci"}, 403, "reauthentication_required")
		b.must("POST", "/v1/me/reauthenticate", obj{"password": pwOne}, 200)
		if k := b.must("POST", keys, obj{"name": "ci"}, 201); k.str("key") == "" {
			t.Errorf("key after re-authenticating = %v, want its secret", k)
		}
		b.must("POST", assign, admin, 200)

		// With a second factor, the password alone does not re-authenticate.
		secret, _ := enrolTOTP(t, e, b)
		keepAlive(e, b, 16*time.Minute)
		b.refused("POST", keys, obj{"name": "ci2"}, 403, "reauthentication_required")
		b.refused("POST", "/v1/me/mfa/recovery-codes", nil, 403, "reauthentication_required")
		b.refused("POST", "/v1/me/reauthenticate", obj{"password": pwOne}, 401, "invalid_credentials")
		b.must("POST", "/v1/me/reauthenticate", obj{"password": pwOne, "code": totpCode(t, secret, e.clock.Now())}, 200)
		b.must("POST", keys, obj{"name": "ci2"}, 201)
		if codes := b.must("POST", "/v1/me/mfa/recovery-codes", nil, 200).list("recovery_codes"); len(codes) != 10 {
			t.Errorf("new recovery codes = %v, want 10", codes)
		}
	})
}

// Requests that rewrite the session (re-authenticating, confirming TOTP,
// entering the second factor) are activity like any other: the idle clock
// starts again from them.
func TestSessionUpdatesCountAsActivity(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		cases := []struct {
			name   string
			before func(b *browser) string // signs in; returns a TOTP secret when one is needed
			action func(b *browser, secret string)
		}{
			{"re-authenticate", func(b *browser) string {
				b.mustLogin("acme", "u1@acme.example", pwOne)
				return ""
			}, func(b *browser, _ string) {
				b.must("POST", "/v1/me/reauthenticate", obj{"password": pwOne}, 200)
			}},
			{"confirm TOTP", func(b *browser) string {
				b.mustLogin("acme", "u2@acme.example", pwOne)
				return b.must("POST", "/v1/me/mfa/totp", nil, 200).str("secret")
			}, func(b *browser, secret string) {
				b.must("POST", "/v1/me/mfa/totp/confirm", obj{"code": totpCode(t, secret, e.clock.Now())}, 200)
			}},
			{"second factor", func(b *browser) string {
				b.mustLogin("acme", "u3@acme.example", pwOne)
				secret, _ := enrolTOTP(t, e, b)
				e.clock.Advance(30 * time.Second)
				b.mustLogin("acme", "u3@acme.example", pwOne)
				return secret
			}, func(b *browser, secret string) {
				if got, out := b.mfa(totpCode(t, secret, e.clock.Now())); got != 200 {
					t.Fatalf("second factor = %d %v, want 200", got, out)
				}
			}},
		}
		for i, c := range cases { // one env, so no subtests: its helpers fail the test that made it
			p.member(fmt.Sprintf("u%d@acme.example", i+1), pwOne)
			b := e.browser(firefoxOnWindows)
			secret := c.before(b)
			e.clock.Advance(50 * time.Minute) // idle for 50 of the 60 minutes allowed
			c.action(b, secret)
			e.clock.Advance(15 * time.Minute) // 15 minutes after the last request
			if got, out, _ := b.call("GET", "/v1/me", nil); got != 200 {
				t.Errorf("%s: GET /v1/me 15 minutes after it (65 after the request before) = %d %s, want 200", c.name, got, out.str("code"))
			}
		}
	})
}

func TestNoSecretReachesAuditOrLogs(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		lea := p.must(p.admin, "POST", org+"/invitations", obj{"email": "lea@acme.example", "given_name": "Lea"}, 201).str("id")
		mb.deliver(t)
		invite := mb.link(t, "lea@acme.example", "/invitations/accept")
		p.refused("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": "password1"}, 400, "weak_password")
		p.must("", "POST", "/v1/invitations/accept", obj{"token": invite, "password": pwOne}, 200)

		var cookies, csrfs []string
		keep := func(b *browser) {
			cookies, csrfs = append(cookies, b.cookie()), append(csrfs, b.csrf)
		}
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "lea@acme.example", pwOne)
		keep(b)
		en := b.must("POST", "/v1/me/mfa/totp", nil, 200)
		secret, uri := en.str("secret"), en.str("otpauth_uri")
		var recovery []string
		for _, c := range b.must("POST", "/v1/me/mfa/totp/confirm", obj{"code": totpCode(t, secret, e.clock.Now())}, 200).list("recovery_codes") {
			recovery = append(recovery, c.(string))
		}
		b.must("POST", "/v1/me/password", obj{"current_password": pwOne, "password": pwTwo}, 200)
		b.refused("POST", "/v1/me/password", obj{"current_password": pwWrong, "password": pwThree}, 400, "wrong_password")
		b.must("POST", "/v1/logout", nil, 200)
		e.browser(curlUA).login("acme", "lea@acme.example", pwWrong)

		e.clock.Advance(30 * time.Second)
		b = e.browser(firefoxOnWindows)
		b.mustLogin("acme", "lea@acme.example", pwTwo)
		keep(b)
		if got, out := b.mfa(recovery[0]); got != 200 {
			t.Fatalf("recovery code = %d %v", got, out)
		}
		keep(b)
		b.must("POST", "/v1/me/reauthenticate", obj{"password": pwTwo, "code": totpCode(t, secret, e.clock.Now())}, 200)

		p.must("", "POST", "/v1/password/reset", obj{"org": "acme", "email": "lea@acme.example"}, 202)
		mb.deliver(t)
		reset := mb.link(t, "lea@acme.example", "/password/reset")
		p.must("", "POST", "/v1/password/reset/confirm", obj{"token": reset, "password": pwThree}, 200)

		e.clock.Advance(30 * time.Second)
		b = e.browser(curlUA)
		b.mustLogin("acme", "lea@acme.example", pwThree)
		keep(b)
		if got, out := b.mfa(totpCode(t, secret, e.clock.Now())); got != 200 {
			t.Fatalf("TOTP code = %d %v", got, out)
		}
		keep(b)
		p.must(p.admin, "POST", org+"/users/"+lea+"/password", obj{"password": pwFour, "temporary": true}, 200)
		key := p.must(p.admin, "POST", org+"/users/"+lea+"/keys", obj{"name": "ci"}, 201).str("key")

		secrets := map[string]string{"password 1": pwOne, "password 2": pwTwo, "password 3": pwThree, "temporary password": pwFour,
			"wrong password": pwWrong, "TOTP secret": secret, "otpauth URI": uri, "invitation token": invite, "reset token": reset,
			"admin key": p.admin, "user key": key}
		for i, c := range cookies {
			secrets[fmt.Sprintf("session cookie %d", i+1)] = c
		}
		for i, c := range csrfs {
			secrets[fmt.Sprintf("CSRF token %d", i+1)] = c
		}
		for i, c := range recovery {
			secrets[fmt.Sprintf("recovery code %d", i+1)] = c
			secrets[fmt.Sprintf("recovery code %d without its hyphen", i+1)] = strings.ReplaceAll(c, "-", "")
		}
		places := map[string]string{
			"audit events": e.raw(p.admin, org+"/events?limit=1000"),
			"server logs":  e.logs.String(),
			"mail list":    e.raw(p.admin, org+"/mail"),
		}
		if !strings.Contains(places["audit events"], "mfa.recovery_code.use") || !strings.Contains(places["audit events"], "password.reset") {
			t.Fatalf("the audit log lacks the events of this test")
		}
		for where, text := range places {
			for what, s := range secrets {
				if s == "" {
					t.Fatalf("%s is empty", what)
				}
				if strings.Contains(text, s) {
					t.Errorf("the %s contain the %s", where, what)
				}
			}
		}
	})
}

func TestMailWaitsWhileSMTPIsDown(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		mb.Stop()
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "zoe@acme.example", "given_name": "Zoe"}, 201)
		if sent, failed := mb.deliver(t); sent != 0 || failed != 0 {
			t.Fatalf("deliver with SMTP down = %d sent, %d failed; want neither", sent, failed)
		}
		m := p.mailTo("zoe@acme.example", "invitation")
		created, _ := time.Parse(time.RFC3339Nano, m.str("created_at"))
		next, err := time.Parse(time.RFC3339Nano, m.str("next_attempt_at"))
		if m.str("status") != "pending" || m.num("attempts") != 1 || m.str("last_error") == "" || err != nil || !next.After(created) {
			t.Fatalf("invitation after a failed attempt = %v, want pending, 1 attempt, the error and a later next attempt", m)
		}
		if sent, _ := mb.deliver(t); sent != 0 || p.mailTo("zoe@acme.example", "invitation").num("attempts") != 1 {
			t.Errorf("a message was tried again before its next attempt was due")
		}

		mb.Restart(t)
		e.clock.Advance(next.Sub(e.clock.Now()) + time.Second)
		if sent, _ := mb.deliver(t); sent != 1 {
			t.Fatalf("deliver after restart = %d sent, want 1", sent)
		}
		m = p.mailTo("zoe@acme.example", "invitation")
		if m.str("status") != "sent" || m.num("attempts") != 2 || m.str("last_error") != "" {
			t.Errorf("invitation after delivery = %v, want sent after 2 attempts", m)
		}
		p.must("", "POST", "/v1/invitations/accept", obj{"token": mb.link(t, "zoe@acme.example", "/invitations/accept"), "password": pwOne}, 200)
		if sent, _ := mb.deliver(t); sent != 1 || len(mb.to("zoe@acme.example")) != 2 {
			t.Fatalf("delivered %d, want zoe's welcome", sent)
		}

		// A temporary refusal is retried; a permanent one fails at once.
		mb.FailNext(1, 451)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "xia@acme.example", "given_name": "Xia"}, 201)
		mb.deliver(t)
		if m := p.mailTo("xia@acme.example", "invitation"); m.str("status") != "pending" || m.num("attempts") != 1 || !strings.Contains(m.str("last_error"), "451") {
			t.Errorf("invitation after a 451 = %v, want pending after 1 attempt, naming 451", m)
		}
		e.clock.Advance(time.Minute)
		mb.deliver(t)
		if m := p.mailTo("xia@acme.example", "invitation"); m.str("status") != "sent" {
			t.Errorf("invitation after the 451 passed = %v, want sent", m)
		}

		mb.FailNext(1, 550)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "yan@acme.example", "given_name": "Yan"}, 201)
		if sent, failed := mb.deliver(t); sent != 0 || failed != 1 {
			t.Errorf("deliver with a 550 = %d sent, %d failed; want 1 failed", sent, failed)
		}
		if m := p.mailTo("yan@acme.example", "invitation"); m.str("status") != "failed" || m.num("attempts") != 1 || !strings.Contains(m.str("last_error"), "550") {
			t.Errorf("invitation after a 550 = %v, want failed after 1 attempt, naming 550", m)
		}
		e.clock.Advance(time.Hour)
		if sent, failed := mb.deliver(t); sent != 0 || failed != 0 || len(mb.to("yan@acme.example")) != 0 {
			t.Errorf("a failed message was tried again")
		}
	})
}

// A workspace's admin manages the workspace's own users, and no one else's
// sign-in: not an Organization Admin's password, factor or sessions.
func TestWorkspaceAdminCannotTakeOverOtherAccounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.must(p.admin, "POST", org+"/users/"+p.adminID+"/password", obj{"password": pwThree}, 200)
		boss := e.browser(firefoxOnWindows)
		boss.mustLogin("acme", "admin@acme.example", pwThree)
		bossSession := boss.must("GET", "/v1/me", nil, 200).str("session.id")

		ws := org + "/workspaces/alpha"
		wes := p.create(p.admin, ws+"/users", obj{"email": "wes@alpha.example", "given_name": "Wes"})
		p.must(p.admin, "POST", ws+"/users/"+wes+"/password", obj{"password": pwOne}, 200)
		p.assign(p.admin, "acme", "alpha", "user", wes, "admin")
		cy := p.create(p.admin, ws+"/users", obj{"email": "cy@alpha.example", "given_name": "Cy"})
		other := p.create(p.admin, org+"/workspaces/beta/users", obj{"email": "oz@beta.example", "given_name": "Oz"})

		b := e.browser(curlUA)
		b.mustLogin("acme", "wes@alpha.example", pwOne)
		b.must("POST", ws+"/users/"+cy+"/password", obj{"password": pwTwo}, 200) // its own workspace's user

		before := p.head()
		for _, target := range []struct{ base, id string }{{ws, p.adminID}, {org, p.adminID}, {ws, other}, {org + "/workspaces/beta", other}} {
			for _, req := range []struct {
				method, path string
				body         any
			}{
				{"POST", "/password", obj{"password": pwFour}},
				{"POST", "/mfa/reset", nil},
				{"GET", "/sessions", nil},
				{"DELETE", "/sessions/" + bossSession, nil},
			} {
				path := target.base + "/users/" + target.id + req.path
				if got, out, _ := b.call(req.method, path, req.body); got != 403 && got != 404 {
					t.Errorf("workspace admin %s %s = %d %v, want 403 or 404", req.method, path, got, out)
				}
			}
		}
		if p.head() != before {
			t.Errorf("refused requests changed the directory")
		}
		boss.must("GET", "/v1/me", nil, 200)
		if got, _, _ := e.browser(curlUA).login("acme", "admin@acme.example", pwFour); got != 401 {
			t.Errorf("the Organization Admin's password was changed")
		}
	})
}

// Step-up guards what gives lasting access (keys, Admin). Setting another
// user's password or removing its second factor gives the same, so it needs a
// recent sign-in too: otherwise a stale (say, stolen) admin session sets
// another admin's password, signs in as that admin with a fresh session and
// does everything step-up was to prevent.
func TestTakingOverAnotherAccountNeedsARecentSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ola := p.create(p.admin, org+"/users", obj{"email": "ola@acme.example", "given_name": "Ola", "org_role": "admin"})
		p.must(p.admin, "POST", org+"/users/"+ola+"/password", obj{"password": pwOne}, 200)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "ola@acme.example", pwOne)
		keepAlive(e, b, 16*time.Minute)
		b.refused("POST", org+"/users/"+p.adminID+"/keys", obj{"name": "x"}, 403, "reauthentication_required")

		before := p.head()
		for _, req := range []struct {
			path string
			body any
		}{
			{org + "/users/" + p.adminID + "/password", obj{"password": pwTwo}},
			{org + "/users/" + p.adminID + "/mfa/reset", nil},
		} {
			if got, out, _ := b.call("POST", req.path, req.body); got != 403 || out.str("code") != "reauthentication_required" {
				t.Errorf("stale session POST %s = %d %v, want 403 reauthentication_required", req.path, got, out)
			}
		}
		if p.head() != before {
			t.Errorf("a stale session changed another admin's sign-in (head %d→%d)", before, p.head())
		}
		b.must("POST", "/v1/me/reauthenticate", obj{"password": pwOne}, 200)
		b.must("POST", org+"/users/"+p.adminID+"/password", obj{"password": pwTwo}, 200)
	})
}

// race sends the same request from every browser at once and returns the
// statuses (0 for a transport error); it calls no t method off the test goroutine.
func race(bs []*browser, method, path string, body any) []int {
	raw, _ := json.Marshal(body)
	statuses := make([]int, len(bs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, b := range bs {
		req, _ := http.NewRequest(method, b.e.srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", b.ua)
		req.Header.Set("X-CSRF-Token", b.csrf)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := b.c.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// A code works once even when it arrives on several pending sign-ins at once,
// as it does when a phished password and code are replayed in parallel.
func TestOneCodeAtOnceOnManySignInsWorksOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("vic@acme.example", pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "vic@acme.example", pwOne)
		secret, recovery := enrolTOTP(t, e, b)
		e.clock.Advance(30 * time.Second)

		for _, c := range []struct {
			name string
			code func() string
		}{
			{"TOTP code", func() string { return totpCode(t, secret, e.clock.Now()) }},
			{"recovery code", func() string { return recovery[0] }},
		} {
			e.breathe()
			var pending []*browser
			for range 8 {
				s := e.browser(curlUA)
				s.mustLogin("acme", "vic@acme.example", pwOne)
				pending = append(pending, s)
			}
			statuses := race(pending, "POST", "/v1/login/mfa", obj{"code": c.code()})
			ok := 0
			for _, st := range statuses {
				if st == 200 {
					ok++
				}
			}
			if ok != 1 {
				t.Errorf("one %s sent on 8 pending sign-ins at once: %d accepted (statuses %v), want 1", c.name, ok, statuses)
			}
		}
	})
}

func TestExpiredPasswordIsReportedAfterTheSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("eva@acme.example", pwOne)
		b := e.browser(firefoxOnWindows)
		b.mustLogin("acme", "eva@acme.example", pwOne)
		secret, _ := enrolTOTP(t, e, b)
		p.policy(obj{"password_expiry_days": 1})
		e.clock.Advance(49 * time.Hour)

		b = e.browser(firefoxOnWindows)
		if out := b.mustLogin("acme", "eva@acme.example", pwOne); out.get("mfa_required") != true || out.get("password_change_required") != true {
			t.Fatalf("sign in with an expired password = %v, want mfa_required and password_change_required", out)
		}
		got, out := b.mfa(totpCode(t, secret, e.clock.Now()))
		if got != 200 {
			t.Fatalf("second factor = %d %v, want 200", got, out)
		}
		b.refused("GET", org+"/workspaces", nil, 403, "password_change_required")
		if out.get("password_change_required") != true {
			t.Errorf("answer to the second factor = %v, want password_change_required: true (the session may do nothing else)", out)
		}
	})
}

// Wrong passwords sent in parallel count like wrong passwords sent one by one.
func TestParallelWrongPasswordsStillLock(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("gus@acme.example", pwOne)
		p.policy(obj{"lockout_threshold": 3})
		var guessers []*browser
		for range 8 {
			guessers = append(guessers, e.browser(curlUA))
		}
		statuses := race(guessers, "POST", "/v1/login", obj{"org": "acme", "email": "gus@acme.example", "password": pwWrong})
		for _, st := range statuses {
			if st != 401 {
				t.Fatalf("parallel wrong passwords = %v, want all 401", statuses)
			}
		}
		if got, out, _ := e.browser(firefoxOnWindows).login("acme", "gus@acme.example", pwOne); got != 401 {
			t.Errorf("right password after 8 wrong ones (threshold 3) = %d %v, want 401: the account should be locked", got, out)
		}
		if n := len(p.must(p.admin, "GET", org+"/events?action=login.lockout", nil, 200).list("items")); n < 1 {
			t.Errorf("lockout events = %d, want at least 1", n)
		}
	})
}
