package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// TestConsoleAccountInvitationToTOTP: an invited person opens the emailed
// link, sets a password, signs in, sets up an authenticator app from My
// account (keeping the recovery codes shown once), and signs in again with
// password and code into the console.
func TestConsoleAccountInvitationToTOTP(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			link := s.invite(t, "kim@northwind.example", "Kim")

			b := newBrowser(t, s.url, 1280)
			b.visit(link)
			b.want("the invitation", "Set your password")
			const pw = "kim's own long passphrase for the console"
			b.fill(`input[name=password]`, pw)
			b.fill(`input[name=confirm]`, pw)
			b.press(`form[action="/invitations/accept"] button[type=submit]`)
			b.want("the accepted invitation", "Your password is set")

			b.signIn("kim@northwind.example", pw)
			if loc := b.location(); !strings.HasSuffix(loc, "/workspaces") {
				t.Fatalf("signing in led to %s, want /workspaces", loc)
			}
			b.visit("/account")
			b.want("My account", "kim@northwind.example", "Organization Member", "No authenticator app yet", "Sign out everywhere else", "this browser")
			b.press(`#mfa form[action="/account/mfa"] button[type=submit]`)
			b.want("the enrolment", "Scan the code", "Type the code the app shows now")
			secret := strings.ReplaceAll(b.text(`#totp-secret`), " ", "")
			if qr := b.fetch("/account/mfa/qr.png"); qr.status != 200 || qr.contentType != "image/png" || qr.cacheControl != "no-store" {
				t.Errorf("GET /account/mfa/qr.png = %d %q %q, want 200 image/png no-store", qr.status, qr.contentType, qr.cacheControl)
			}
			b.fill(`input[name=code]`, "000000")
			b.press(`form[action="/account/mfa/confirm"] button[type=submit]`)
			b.want("a wrong code", "is not the code your app shows now", "Type the code the app shows now")
			now := time.Now()
			b.fill(`input[name=code]`, code(t, secret, now))
			b.press(`form[action="/account/mfa/confirm"] button[type=submit]`)
			b.want("the recovery codes", "Your authenticator app is set up", "shown only now")
			if n := b.count(".codes li"); n != 10 {
				t.Errorf("the page shows %d recovery codes, want 10", n)
			}
			b.visit("/account")
			b.want("My account after enrolment", "An authenticator app is set up", "10 recovery codes are left")
			b.run(chromedp.Evaluate(`window.confirm = () => true`, nil))
			b.press(`form[action="/account/recovery-codes"] button[type=submit]`)
			b.want("new recovery codes", "the old ones no longer work", "shown only now")
			if n := b.count(".codes li"); n != 10 {
				t.Errorf("the page shows %d new recovery codes, want 10", n)
			}
			b.wantFetch("/account/mfa/qr.png", http.StatusNotFound)

			b.press(`form[action="/signout"] button[type=submit]`)
			b.signIn("kim@northwind.example", pw)
			b.want("the second step", "Code from your authenticator app")
			// The code of the next step: each code works once.
			b.fill(`input[name=code]`, code(t, secret, now.Add(30*time.Second)))
			b.press(`form[action="/signin/mfa"] button[type=submit]`)
			if loc := b.location(); !strings.HasSuffix(loc, "/workspaces") {
				t.Fatalf("the second factor led to %s, want /workspaces", loc)
			}
			b.want("the console", "Workspaces")
		})
	}
}

// TestConsoleAccountTemporaryPassword: a user whose password an admin set as
// temporary lands on /account/setup, reaches nothing else until it changes
// the password, and then works in the console.
func TestConsoleAccountTemporaryPassword(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			temp := s.tempPassword(t, "sam.okafor@northwind.example")
			b := newBrowser(t, s.url, 768)
			b.signIn("sam.okafor@northwind.example", temp)
			b.wantAt("/account/setup")
			b.want("the setup page", "Change your password", "asks you to change your password")
			b.wantNot("the setup page", "Workspaces", "Access explorer")
			for _, p := range []string{"/workspaces", "/account", "/access", "/account/mfa", "/"} {
				b.visit(p)
				b.wantAt("/account/setup")
			}
			if st := b.fetch("/account/mfa/qr.png").status; st == http.StatusOK {
				t.Errorf("GET /account/mfa/qr.png with a password to change = %d, want no image", st)
			}
			b.fill(`input[name=current_password]`, temp)
			b.fill(`input[name=password]`, "sam's new and much longer passphrase")
			b.fill(`input[name=confirm]`, "not the same at all, sorry")
			b.press(`form[action="/account/password"] button[type=submit]`)
			b.want("two different passwords", "not the same password")
			b.fill(`input[name=current_password]`, temp)
			b.fill(`input[name=password]`, "sam's new and much longer passphrase")
			b.fill(`input[name=confirm]`, "sam's new and much longer passphrase")
			b.press(`form[action="/account/password"] button[type=submit]`)
			b.wantAt("/workspaces")
			b.want("the console after the change", "Your new password is set", "Contoso")
			b.visit("/account/setup")
			b.wantAt("/workspaces")
			b.visit("/account")
			b.want("My account", "Your workspaces", "Contoso", "Incident Analyst")
		})
	}
}

// TestConsoleAccountSetupEnrolsThenChanges: where the policy asks everyone
// for a second factor, a user with a temporary password first sets up an
// authenticator app on /account/setup (reaching nothing else), then changes
// the password there, then works in the console.
func TestConsoleAccountSetupEnrolsThenChanges(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			d := s.m.Directory()
			o := d.Index().OrgBySlug(demoSlug)
			in := directory.OrgPatch{Policy: directory.PolicyPatch{"mfa": json.RawMessage(`"everyone"`)}}
			if _, _, err := d.UpdateOrg(context.Background(), directory.SystemActor("test"), o, in, 0); err != nil {
				t.Fatal(err)
			}
			temp := s.tempPassword(t, "nina.berg@northwind.example")
			b := newBrowser(t, s.url, 1280)
			b.signIn("nina.berg@northwind.example", temp)
			b.wantAt("/account/setup")
			b.want("the setup page", "asks you to set up an authenticator app")
			for _, p := range []string{"/workspaces", "/account", "/access"} {
				b.visit(p)
				b.wantAt("/account/setup")
			}
			b.press(`form[action="/account/mfa"] button[type=submit]`)
			b.wantAt("/account/setup")
			b.want("the enrolment", "Type the code the app shows now")
			if qr := b.fetch("/account/mfa/qr.png"); qr.status != 200 || qr.contentType != "image/png" {
				t.Errorf("GET /account/mfa/qr.png while enrolling = %d %q, want 200 image/png", qr.status, qr.contentType)
			}
			secret := strings.ReplaceAll(b.text(`#totp-secret`), " ", "")
			b.fill(`input[name=code]`, code(t, secret, time.Now()))
			b.press(`form[action="/account/mfa/confirm"] button[type=submit]`)
			b.want("the recovery codes", "shown only now")
			b.press(`.codes ~ p a[role=button]`)
			b.wantAt("/account/setup")
			b.want("the next step", "asks you to change your password")
			const pw = "a quiet harbour at four in the morning"
			b.fill(`input[name=current_password]`, temp)
			b.fill(`input[name=password]`, pw)
			b.fill(`input[name=confirm]`, pw)
			b.press(`form[action="/account/password"] button[type=submit]`)
			b.wantAt("/workspaces")
			b.want("the console", "Your new password is set")
		})
	}
}

// TestConsoleAccountSignOutEverywhereElse: "sign out everywhere else" ends
// another browser's session, which is sent to sign in on its next page; the
// browser that asked stays signed in.
func TestConsoleAccountSignOutEverywhereElse(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			pw := s.givePassword(t, "lee.chen@northwind.example", "")
			a, other := newBrowser(t, s.url, 1280), newBrowser(t, s.url, 768)
			a.signIn("lee.chen@northwind.example", pw)
			other.signIn("lee.chen@northwind.example", pw)
			other.wantAt("/workspaces")
			a.visit("/account")
			a.press(`#sign-out-others button[type=submit]`)
			a.want("My account", "Signed out everywhere else: 1 session ended.")
			other.visit("/workspaces")
			if loc := other.location(); !strings.Contains(loc, "/signin") {
				t.Errorf("the other browser is at %s, want /signin", loc)
			}
			a.visit("/workspaces")
			a.wantAt("/workspaces")
		})
	}
}

// TestConsoleAccountKeysAndProfile: a user renames itself, makes a personal
// API key whose secret is shown once and works against the API, and revokes it.
func TestConsoleAccountKeysAndProfile(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			pw := s.givePassword(t, "omar.haddad@northwind.example", "")
			b := newBrowser(t, s.url, 1280)
			b.signIn("omar.haddad@northwind.example", pw)
			b.visit("/account")
			b.fill(`input[name=given_name]`, "Omar K.")
			b.press(`form[action="/account/profile"] button[type=submit]`)
			b.want("the renamed account", "Your name is saved.")
			if got := b.text(`header.top nav a[href="/account"]`); got != "Omar K. Haddad" {
				t.Errorf("the header names the user %q, want Omar K. Haddad", got)
			}

			b.fill(`#new-key input[name=name]`, "laptop CLI")
			b.press(`#new-key button[type=submit]`)
			b.want("the new key", "Copy its secret now", "laptop CLI")
			secret := b.text(`#key-secret`)
			if !strings.HasPrefix(secret, "ghk_") {
				t.Fatalf("the page shows the secret %q, want ghk_…", secret)
			}
			if st, body := s.me(t, secret); st != http.StatusOK || !strings.Contains(body, "omar.haddad@northwind.example") {
				t.Errorf("GET /v1/me with the new key = %d %s, want 200 and Omar", st, body)
			}
			b.visit("/account")
			b.want("the key list", "laptop CLI")
			b.wantNot("the key list", secret)
			b.run(chromedp.Evaluate(`window.confirm = () => true`, nil)) // the button asks first
			b.press(`#keys form[action$="/revoke"] button[type=submit]`)
			b.want("the revoked key", "The key is revoked.", "No keys.")
			if st, _ := s.me(t, secret); st != http.StatusUnauthorized {
				t.Errorf("GET /v1/me with the revoked key = %d, want 401", st)
			}
		})
	}
}

// TestConsoleAccountPasskeys: a user adds a passkey from My account with the
// browser's (virtual) authenticator, sees it listed, and removes it.
func TestConsoleAccountPasskeys(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			pw := s.givePassword(t, "julia.ross@northwind.example", "")
			// Passkeys belong to the public URL's host name, http://localhost:PORT by default.
			_, port, _ := net.SplitHostPort(s.m.Addr())
			b := newBrowser(t, "http://localhost:"+port, 1280)
			b.run(webauthn.Enable(), chromedp.ActionFunc(func(ctx context.Context) error {
				_, err := webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
					Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
					HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
				}).Do(ctx)
				return err
			}))
			b.signIn("julia.ross@northwind.example", pw)
			b.visit("/account")
			b.fill(`#add-passkey input[name=name]`, "work laptop")
			b.press(`#add-passkey button[type=submit]`)
			b.run(chromedp.Poll(`location.pathname === "/account" && document.querySelector("p.notice") !== null`, nil,
				chromedp.WithPollingTimeout(10*time.Second)))
			b.check("passkey-added")
			b.want("the added passkey", "Passkey work laptop is added.", "work laptop")

			// Signed out, the sign-in page's passkey button signs in again.
			b.press(`form[action="/signout"] button[type=submit]`)
			b.visit("/signin?next=/account")
			b.run(chromedp.Click(`#passkey-signin button`, chromedp.ByQuery, chromedp.NodeVisible))
			b.waitPath("/account")
			b.check("passkey-signin")
			b.want("signed in with the passkey", "julia.ross@northwind.example", "work laptop")
			b.run(chromedp.Evaluate(`window.confirm = () => true`, nil))
			b.press(`#mfa form[action$="/delete"] button[type=submit]`)
			b.want("the removed passkey", "The passkey is removed.", "No passkeys.")
		})
	}
}

// me asks the API who key is.
func (s *consoleServer) me(t *testing.T, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// invite invites an org member through the CLI and returns the path of the
// invitation link the demo's mail catcher kept.
func (s *consoleServer) invite(t *testing.T, email, given string) string {
	t.Helper()
	org := []string{"--org", demoSlug}
	s.mustRun(t, s.admin, append([]string{"users", "invite", email, "--given-name", given}, org...)...)
	var id string
	re := regexp.MustCompile(`sent\s+invitation\s+` + regexp.QuoteMeta(email) + `.*(mail_\S+)`)
	for deadline := time.Now().Add(10 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.mustRun(t, s.admin, append([]string{"mail", "list"}, org...)...)); m != nil {
			id = m[1]
		}
	}
	if id == "" {
		t.Fatalf("the invitation of %s was never delivered to the demo's catcher", email)
	}
	out := s.mustRun(t, s.admin, append([]string{"mail", "show", id}, org...)...)
	m := regexp.MustCompile(`https?://\S+(/invitations/accept\?token=\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the invitation has no link:\n%s", out)
	}
	return m[1]
}

// tempPassword sets a temporary password for an org user, as an admin would.
func (s *consoleServer) tempPassword(t *testing.T, email string) string {
	t.Helper()
	d := s.m.Directory()
	o := d.Index().OrgBySlug(demoSlug)
	u := d.Index().UserByEmail(gh.Home{Org: o.ID}, email)
	if u == nil {
		t.Fatalf("no demo user %s", email)
	}
	const pw = "a temporary passphrase from the admin"
	in := signin.SetPasswordInput{Password: pw, Temporary: true}
	if _, err := s.m.signin.SetPassword(context.Background(), directory.SystemActor("test"), directory.Scope{Org: o}, u.ID, in); err != nil {
		t.Fatal(err)
	}
	return pw
}

// code is what an authenticator app shows at time at.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("totp code of the secret the page showed (%d characters): %v", len(secret), err)
	}
	return c
}

// wantAt fails unless the browser is at path (the query aside).
func (b *browser) wantAt(path string) {
	b.t.Helper()
	u, err := url.Parse(b.location())
	if err != nil || u.Path != path {
		b.t.Fatalf("the browser is at %s, want %s", b.location(), path)
	}
}

type fetched struct {
	status                    int
	contentType, cacheControl string
}

// fetch requests path with the browser's cookies (as an <img> would) and
// reports the answer's status and headers.
func (b *browser) fetch(path string) fetched {
	b.t.Helper()
	var f struct {
		Status       int    `json:"status"`
		ContentType  string `json:"contentType"`
		CacheControl string `json:"cacheControl"`
	}
	js := `fetch(` + jsString(path) + `, {redirect: "manual"}).then(r => ({status: r.status, contentType: r.headers.get("Content-Type") || "", cacheControl: r.headers.get("Cache-Control") || ""}))`
	b.run(chromedp.Evaluate(js, &f, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return fetched{f.Status, f.ContentType, f.CacheControl}
}

// wantFetch fails unless path answers status.
func (b *browser) wantFetch(path string, status int) {
	b.t.Helper()
	if got := b.fetch(path).status; got != status {
		b.t.Errorf("GET %s = %d, want %d", path, got, status)
	}
}

// count is how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.run(chromedp.Evaluate(`document.querySelectorAll(`+jsString(sel)+`).length`, &n))
	return n
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
