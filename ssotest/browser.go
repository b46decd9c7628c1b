package ssotest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Browser is a person's web client without a screen: it keeps cookies and
// walks the round trip of a single sign-on from Gatehouse's start URL to
// the provider's login form and back. It follows redirects itself, so it
// stops at the first answer Gatehouse gives after the provider, whose
// Location and Set-Cookie the test can then read.
type Browser struct {
	jar *cookiejar.Jar
	c   *http.Client
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{jar: jar, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Jar is the browser's cookie jar.
func (b *Browser) Jar() http.CookieJar { return b.jar }

// Client is the browser's client: its cookies, no redirect followed.
func (b *Browser) Client() *http.Client { return b.c }

// SAMLPost is the form a SAML IdP has the browser post to an ACS.
type SAMLPost struct {
	ACS          string
	SAMLResponse string
	RelayState   string
}

// AuthorizeOIDC goes from Gatehouse's start URL to the OP, signs in there
// as username and returns the callback URL the OP sends the browser back
// to, without opening it.
func (b *Browser) AuthorizeOIDC(startURL, username, password string) (*url.URL, error) {
	home, page, back, err := b.toProvider(startURL)
	if err != nil {
		return nil, err
	}
	if back != nil {
		return nil, fmt.Errorf("the provider sent the browser straight back to %s", back)
	}
	return b.login(page, home, username, password)
}

// AuthorizeAt opens an OP's authorization URL (one a relying party made),
// signs in there as username and returns the URL the OP sends the browser
// back to, on another host, without opening it.
func (b *Browser) AuthorizeAt(authURL, username, password string) (*url.URL, error) {
	at, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	away := func(u *url.URL) bool { return u.Host != at.Host }
	resp, err := b.c.Get(authURL)
	if err != nil {
		return nil, err
	}
	p, back, err := b.walk(resp, away)
	if err != nil {
		return nil, err
	}
	if back != nil {
		return nil, fmt.Errorf("the OP sent the browser straight back to %s", back)
	}
	return b.login(p, away, username, password)
}

// login fills and posts the OP's login form and returns where it sends
// the browser back to.
func (b *Browser) login(p *page, back func(*url.URL) bool, username, password string) (*url.URL, error) {
	action, fields, err := form(p)
	if err != nil {
		return nil, err
	}
	fields.Set("username", username)
	fields.Set("password", password)
	resp, err := b.c.PostForm(action, fields)
	if err != nil {
		return nil, err
	}
	p, to, err := b.walk(resp, back)
	if err != nil {
		return nil, err
	}
	if to == nil {
		return nil, fmt.Errorf("the OP's login answered %s at %s: %s", p.status, p.url, trimmed(p.body))
	}
	return to, nil
}

// SignInOIDC signs username in through the OP that Gatehouse's start URL
// leads to and returns Gatehouse's answer at its callback, unfollowed.
func (b *Browser) SignInOIDC(startURL, username, password string) (*http.Response, error) {
	back, err := b.AuthorizeOIDC(startURL, username, password)
	if err != nil {
		return nil, err
	}
	return b.Get(back.String())
}

// CaptureSAML goes from Gatehouse's start URL to the SAML IdP, signs in
// there and returns the form the IdP has the browser post, unposted.
func (b *Browser) CaptureSAML(startURL, username, password string) (*SAMLPost, error) {
	_, page, back, err := b.toProvider(startURL)
	if err != nil {
		return nil, err
	}
	if back != nil {
		return nil, fmt.Errorf("the IdP sent the browser straight back to %s", back)
	}
	return b.postLogin(page, username, password)
}

// CaptureSAMLAt opens a SAML IdP's single sign-on URL (an AuthnRequest a
// service provider made), signs in there and returns the form the IdP has
// the browser post, unposted. An IdP that answers at once (a passive
// request, a session it has already) is not asked to sign in.
func (b *Browser) CaptureSAMLAt(authURL, username, password string) (*SAMLPost, error) {
	at, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	resp, err := b.c.Get(authURL)
	if err != nil {
		return nil, err
	}
	p, back, err := b.walk(resp, func(u *url.URL) bool { return u.Host != at.Host })
	if err != nil {
		return nil, err
	}
	if back != nil {
		return nil, fmt.Errorf("the IdP sent the browser to %s", back)
	}
	if action, fields, err := form(p); err == nil && fields.Get("SAMLResponse") != "" {
		return &SAMLPost{ACS: action, SAMLResponse: fields.Get("SAMLResponse"), RelayState: fields.Get("RelayState")}, nil
	}
	return b.postLogin(p, username, password)
}

// postLogin fills and posts a SAML IdP's login form.
func (b *Browser) postLogin(p *page, username, password string) (*SAMLPost, error) {
	action, fields, err := form(p)
	if err != nil {
		return nil, err
	}
	fields.Set("user", username)
	fields.Set("password", password)
	resp, err := b.c.PostForm(action, fields)
	if err != nil {
		return nil, err
	}
	return samlPostOf(resp)
}

// SignInSAML signs username in through the IdP that Gatehouse's start URL
// leads to and returns Gatehouse's answer at its ACS, unfollowed.
func (b *Browser) SignInSAML(startURL, username, password string) (*http.Response, error) {
	p, err := b.CaptureSAML(startURL, username, password)
	if err != nil {
		return nil, err
	}
	return b.PostSAML(p.ACS, p.SAMLResponse, p.RelayState)
}

// PostSAML posts a SAMLResponse and RelayState to an ACS, as an IdP's
// auto-posting form does, and returns the answer unfollowed.
func (b *Browser) PostSAML(acs, samlResponse, relayState string) (*http.Response, error) {
	v := url.Values{"SAMLResponse": {samlResponse}}
	if relayState != "" {
		v.Set("RelayState", relayState)
	}
	resp, err := b.c.PostForm(acs, v)
	if err != nil {
		return nil, err
	}
	return buffered(resp)
}

// Get opens a URL and returns the answer unfollowed, its body readable.
func (b *Browser) Get(u string) (*http.Response, error) {
	resp, err := b.c.Get(u)
	if err != nil {
		return nil, err
	}
	return buffered(resp)
}

// page is an answer read in full.
type page struct {
	url    *url.URL
	status string
	code   int
	body   string
}

// toProvider opens Gatehouse's start URL and follows its redirect to the
// provider, up to the provider's first page.
func (b *Browser) toProvider(startURL string) (home func(*url.URL) bool, p *page, back *url.URL, err error) {
	start, err := url.Parse(startURL)
	if err != nil {
		return nil, nil, nil, err
	}
	resp, err := b.c.Get(startURL)
	if err != nil {
		return nil, nil, nil, err
	}
	if resp.StatusCode/100 != 3 {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, nil, nil, fmt.Errorf("%s answered %s, not a redirect to the provider: %s", startURL, resp.Status, trimmed(string(body)))
	}
	loc, err := resp.Location()
	drain(resp)
	if err != nil {
		return nil, nil, nil, err
	}
	if loc.Host == start.Host {
		return nil, nil, nil, fmt.Errorf("%s sent the browser to %s, not to a provider", startURL, loc)
	}
	resp, err = b.c.Get(loc.String())
	if err != nil {
		return nil, nil, nil, err
	}
	home = func(u *url.URL) bool { return u.Host == start.Host }
	p, back, err = b.walk(resp, home)
	return home, p, back, err
}

// walk follows redirects from resp until a page answers (p) or a redirect
// leads where stop says (back, not opened).
func (b *Browser) walk(resp *http.Response, stop func(*url.URL) bool) (p *page, back *url.URL, err error) {
	for range 20 {
		if resp.StatusCode/100 != 3 {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return &page{url: resp.Request.URL, status: resp.Status, code: resp.StatusCode, body: string(body)}, nil, nil
		}
		loc, err := resp.Location()
		drain(resp)
		if err != nil {
			return nil, nil, err
		}
		if stop(loc) {
			return nil, loc, nil
		}
		if resp, err = b.c.Get(loc.String()); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, errors.New("too many redirects")
}

var (
	inputRe  = regexp.MustCompile(`<input[^>]*>`)
	nameRe   = regexp.MustCompile(`\bname="([^"]*)"`)
	valueRe  = regexp.MustCompile(`\bvalue="([^"]*)"`)
	actionRe = regexp.MustCompile(`<form[^>]*\baction="([^"]*)"`)
)

// form reads a page's first form: its action, resolved, and its fields.
func form(p *page) (string, url.Values, error) {
	if p.code != http.StatusOK {
		return "", nil, fmt.Errorf("%s answered %s: %s", p.url, p.status, trimmed(p.body))
	}
	m := actionRe.FindStringSubmatch(p.body)
	if m == nil {
		return "", nil, fmt.Errorf("no form at %s: %s", p.url, trimmed(p.body))
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return "", nil, err
	}
	fields := url.Values{}
	for _, in := range inputRe.FindAllString(p.body, -1) {
		n := nameRe.FindStringSubmatch(in)
		if n == nil {
			continue
		}
		v := ""
		if m := valueRe.FindStringSubmatch(in); m != nil {
			v = html.UnescapeString(m[1])
		}
		fields.Set(html.UnescapeString(n[1]), v)
	}
	return action.String(), fields, nil
}

// samlPostOf reads the IdP's auto-posting form.
func samlPostOf(resp *http.Response) (*SAMLPost, error) {
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action, fields, err := form(&page{url: resp.Request.URL, status: resp.Status, code: resp.StatusCode, body: string(body)})
	if err != nil {
		return nil, err
	}
	if fields.Get("SAMLResponse") == "" {
		return nil, fmt.Errorf("the IdP's form at %s carries no SAMLResponse: %s", resp.Request.URL, trimmed(string(body)))
	}
	return &SAMLPost{ACS: action, SAMLResponse: fields.Get("SAMLResponse"), RelayState: fields.Get("RelayState")}, nil
}

// buffered reads resp's body so that it can be read after the connection is gone.
func buffered(resp *http.Response) (*http.Response, error) {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func trimmed(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

func randomText(n int) string { return rand.Text()[:n] }
