package http_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// page is one person's browser on the HTML pages: a cookie jar and no script.
type page struct {
	t   *testing.T
	e   *env
	c   *http.Client
	url string // the last page seen
}

func (e *env) pages() *page {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client()
	c.Jar = jar
	return &page{t: e.t, e: e, c: &c}
}

// open follows a link as an email shows it, on this test server.
func (p *page) open(link string) (int, string) {
	p.t.Helper()
	link = strings.Replace(link, "https://gatehouse.test", p.e.srv.URL, 1)
	resp, err := p.c.Get(link)
	if err != nil {
		p.t.Fatalf("GET %s: %v", link, err)
	}
	return p.read(resp)
}

// submit posts a form as a browser does, with the hidden fields of the last page.
func (p *page) submit(path, body string, fields url.Values, headers ...string) (int, string) {
	p.t.Helper()
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], unescapeHTML(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	req, _ := http.NewRequest("POST", p.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatalf("POST %s: %v", path, err)
	}
	return p.read(resp)
}

func (p *page) read(resp *http.Response) (int, string) {
	p.t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	p.url = resp.Request.URL.String()
	h := resp.Header
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		p.t.Fatalf("%s: Content-Type = %q, want text/html\n%s", p.url, ct, raw)
	}
	for k, want := range map[string]string{"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if !strings.Contains(h.Get(k), want) {
			p.t.Errorf("%s: %s = %q, want %q", p.url, k, h.Get(k), want)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		p.t.Errorf("%s: CSP %q forbids no framing", p.url, h.Get("Content-Security-Policy"))
	}
	return resp.StatusCode, string(raw)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

func unescapeHTML(s string) string {
	return strings.NewReplacer("&#43;", "+", "&#34;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}

func wantPage(t *testing.T, what string, status, wantStatus int, body string, want ...string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s = %d, want %d\n%s", what, status, wantStatus, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: the page does not say %q:\n%s", what, w, body)
		}
	}
}

// emailed is the whole link under path in the newest mail to addr.
func emailed(t *testing.T, mb *mailbox, addr, path string) string {
	t.Helper()
	return "https://gatehouse.test" + path + "?token=" + url.QueryEscape(mb.link(t, addr, path))
}

// TestEmailedLinksLeadToWorkingPages: an invited person follows the emailed
// link, sets a password on the page and signs in on the sign-in page the
// welcome email names; a reset link does the same; a bad link says so.
func TestEmailedLinksLeadToWorkingPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy"}, 201)
		mb.deliver(t)
		link := emailed(t, mb, "ivy@acme.example", "/invitations/accept")
		ivy := e.pages()

		st, body := ivy.open(link)
		wantPage(t, "the invitation link", st, 200, body, "Set your password", `name="password"`, `action="/invitations/accept"`)
		st, body2 := ivy.submit("/invitations/accept", body, url.Values{"password": {pwOne}, "confirm": {pwTwo}})
		wantPage(t, "two different passwords", st, 400, body2, "not the same password", `name="password"`)
		st, body2 = ivy.submit("/invitations/accept", body, url.Values{"password": {"password1"}, "confirm": {"password1"}})
		wantPage(t, "a weak password", st, 400, body2, "password", `name="password"`)
		st, body2 = ivy.submit("/invitations/accept", body, url.Values{"password": {pwOne}, "confirm": {pwOne}})
		wantPage(t, "setting the password", st, 200, body2, "Your password is set", `href="/signin"`, "ivy@acme.example")

		// The link works once; a used, made-up or cut link is a clear page, not a 500.
		st, body2 = ivy.submit("/invitations/accept", body, url.Values{"password": {pwTwo}, "confirm": {pwTwo}})
		wantPage(t, "the used link", st, 400, body2, "This link no longer works", "unknown, used or expired")
		st, body2 = ivy.open("https://gatehouse.test/invitations/accept")
		wantPage(t, "a link without its token", st, 400, body2, "the link has no token")

		// The welcome email names the sign-in page; the root leads there too.
		mb.deliver(t)
		msgs := mb.to("ivy@acme.example")
		if welcome := msgs[len(msgs)-1].Body; !strings.Contains(welcome, "https://gatehouse.test/signin") {
			t.Errorf("welcome mail = %q, want it to name https://gatehouse.test/signin", welcome)
		}
		st, body = ivy.open("https://gatehouse.test/")
		wantPage(t, "the root", st, 200, body, "Sign in", `action="/signin"`)
		if !strings.HasSuffix(ivy.url, "/signin") {
			t.Errorf("the root led to %s, want /signin", ivy.url)
		}
		st, body2 = ivy.submit("/signin", body, url.Values{"email": {"ivy@acme.example"}, "password": {pwTwo}})
		wantPage(t, "a wrong password", st, 401, body2, "not right", `name="password"`)
		st, body2 = ivy.submit("/signin", body2, url.Values{"email": {"ivy@acme.example"}, "password": {pwOne}})
		wantPage(t, "signing in", st, 200, body2, "You are signed in as ivy@acme.example")
		resp, err := ivy.c.Get(e.srv.URL + "/v1/me")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /v1/me with the page's session = %v %v, want 200", resp.Status, err)
		}
		resp.Body.Close()

		// A reset asked for on the page arrives by email and its link sets a new password.
		e.breathe()
		forgot := e.pages()
		st, body = forgot.open("https://gatehouse.test/password/reset")
		wantPage(t, "the reset page", st, 200, body, "Reset your password", `name="email"`)
		st, body2 = forgot.submit("/password/reset", body, url.Values{"email": {"ivy@acme.example"}})
		wantPage(t, "asking for a reset", st, 200, body2, "a link to set a new password is on its way")
		mb.deliver(t)
		st, body = forgot.open(emailed(t, mb, "ivy@acme.example", "/password/reset"))
		wantPage(t, "the reset link", st, 200, body, "Choose a new password", `name="password"`)
		st, body2 = forgot.submit("/password/reset", body, url.Values{"password": {pwThree}, "confirm": {pwThree}})
		wantPage(t, "setting the new password", st, 200, body2, "Your new password is set")
		st, body = forgot.open("https://gatehouse.test/signin")
		wantPage(t, "the sign-in page", st, 200, body)
		st, body2 = forgot.submit("/signin", body, url.Values{"email": {"ivy@acme.example"}, "password": {pwThree}})
		wantPage(t, "signing in with the new password", st, 200, body2, "You are signed in as ivy@acme.example")

		// An expired invitation is a clear page too.
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "jay@acme.example", "given_name": "Jay"}, 201)
		mb.deliver(t)
		late := emailed(t, mb, "jay@acme.example", "/invitations/accept")
		e.clock.Advance(8 * 24 * time.Hour)
		jay := e.pages()
		st, body = jay.open(late)
		wantPage(t, "an expired link", st, 200, body, `name="password"`)
		st, body2 = jay.submit("/invitations/accept", body, url.Values{"password": {pwOne}, "confirm": {pwOne}})
		wantPage(t, "using an expired link", st, 400, body2, "This link no longer works")
	})
}

// TestSignInPageRefusesOtherSites: the sign-in form is accepted only with
// the value its page set in a cookie, and never from another origin.
func TestSignInPageRefusesOtherSites(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.member("mo@acme.example", pwOne)
		creds := url.Values{"email": {"mo@acme.example"}, "password": {pwOne}}

		stranger := e.pages() // never saw the page: no cookie, no hidden value
		st, body := stranger.submit("/signin", "", creds)
		wantPage(t, "a form posted without the page", st, 403, body, "another site")

		b := e.pages()
		_, form := b.open("https://gatehouse.test/signin")
		st, body = b.submit("/signin", form, creds, "Origin", "https://evil.example")
		wantPage(t, "a form posted from another origin", st, 403, body, "another site")
		st, body = b.submit("/signin", form, creds, "Sec-Fetch-Site", "cross-site")
		wantPage(t, "a cross-site form", st, 403, body, "another site")
		st, body = b.submit("/signin", form, creds, "Origin", e.srv.URL)
		wantPage(t, "the page's own form", st, 200, body, "You are signed in as mo@acme.example")
	})
}

// TestSignInPageKeepsNext: the console sends a signed-out browser to
// /signin?next=PATH; the page takes the parameter and carries it in its form.
func TestSignInPageKeepsNext(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		st, body := e.pages().open("https://gatehouse.test/signin?next=%2Fworkspaces%3Fq%3Dx")
		wantPage(t, "the sign-in page with next", st, 200, body, `action="/signin"`, `name="next" value="/workspaces?q=x"`)
	})
}
