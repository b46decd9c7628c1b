package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatehouse.dev/gatehouse/sms"
	"gatehouse.dev/gatehouse/smtp/smtptest"
	"gatehouse.dev/gatehouse/webhook"
)

// TestConsoleSignInWithAnEmailedCode: the admin allows codes by email in the
// policy; an analyst turns them on in My account, signs out, and signs in
// again with the code the real outbox mailed to a real SMTP server.
func TestConsoleSignInWithAnEmailedCode(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			mail := smtptest.Start(t)
			s := startConsoleWith(t, store(t), func(m *Main) { m.Config.SMTPURL = mail.URL() })
			admin := newBrowser(t, s.url, 1280)
			admin.signIn("admin@northwind.example", s.adminPassword)
			admin.visit("/settings/policy")
			admin.want("the policy page", "Second factors people may use", "Codes by email")
			admin.run(chromedp.Click(`#policy input[name=mfa_methods][value=email]`, chromedp.ByQuery))
			admin.press(`#policy button[type=submit]`)
			admin.want("the saved policy", "Security policy saved.")

			const who = "sam.okafor@northwind.example"
			pw := s.givePassword(t, who, "")
			b := newBrowser(t, s.url, 1280)
			b.signIn(who, pw)
			b.visit("/account")
			b.want("My account", "Codes by email", "Off.")
			b.press(`form[action="/account/mfa/email"] button[type=submit]`)
			b.want("email codes on", "Codes by email are on", "On: signing in can send a code to "+who)

			b.press(`form[action="/signout"] button[type=submit]`)
			b.signIn(who, pw)
			b.want("the second step", "the code we sent you")
			b.press(`form[action="/signin/mfa/code"] button[value=email]`)
			b.want("the code sent", "We sent a code to s•••@northwind.example")
			code := mailedCode(t, mail, who)
			b.fill(`input[name=code]`, code)
			b.press(`form[action="/signin/mfa"] button[type=submit]`)
			if loc := b.location(); !strings.HasSuffix(loc, "/workspaces") {
				t.Fatalf("the emailed code led to %s, want /workspaces", loc)
			}
			b.want("the console", "Workspaces")
		})
	}
}

var mailedDigits = regexp.MustCompile(`\b(\d{6})\b`)

// mailedCode waits for the sign-in code mailed to addr and returns it.
func mailedCode(t *testing.T, mail *smtptest.Server, addr string) string {
	t.Helper()
	for range 100 {
		for _, m := range mail.Messages() {
			if len(m.To) == 1 && m.To[0] == addr && m.Subject == "Your sign-in code" {
				if c := mailedDigits.FindStringSubmatch(m.Body); c != nil {
					return c[1]
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no sign-in code mailed to %s; got %d messages", addr, len(mail.Messages()))
	return ""
}

// TestConsoleAccountAddsAndRemovesAPhone: with an SMS gateway configured and
// SMS allowed, a person adds a phone from My account with the code the
// gateway received (signed), then removes it.
func TestConsoleAccountAddsAndRemovesAPhone(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			texts := make(chan sms.Message, 4)
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				ts, _ := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64)
				if r.Header.Get(webhook.SignatureHeader) != webhook.Sign("console-test-sms-secret", ts, body) {
					t.Errorf("the gateway got a request without a valid signature: %s", body)
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				var m sms.Message
				_ = json.Unmarshal(body, &m)
				texts <- m
			}))
			t.Cleanup(gw.Close)
			s := startConsoleWith(t, store(t), func(m *Main) {
				m.Config.SMSURL, m.Config.SMSSecret = gw.URL, "console-test-sms-secret"
			})
			admin := newBrowser(t, s.url, 1280)
			admin.signIn("admin@northwind.example", s.adminPassword)
			admin.visit("/settings/policy")
			admin.run(chromedp.Click(`#policy input[name=mfa_methods][value=sms]`, chromedp.ByQuery))
			admin.press(`#policy button[type=submit]`)
			admin.want("the saved policy", "Security policy saved.")

			const who = "lee.chen@northwind.example"
			b := newBrowser(t, s.url, 768)
			b.signIn(who, s.givePassword(t, who, ""))
			b.visit("/account")
			b.want("My account", "Codes by text message", "Mobile number")
			b.fill(`#add-phone input[name=phone]`, "+44 7700 900123")
			b.press(`#add-phone button[type=submit]`)
			b.want("the code texted", "We texted a code to", "Code we texted you")
			var m sms.Message
			select {
			case m = <-texts:
			case <-time.After(5 * time.Second):
				t.Fatal("the gateway got no text")
			}
			if m.To != "+447700900123" {
				t.Errorf("text to %q, want +447700900123", m.To)
			}
			b.fill(`#confirm-phone input[name=code]`, mailedDigits.FindString(m.Message))
			b.press(`#confirm-phone button[type=submit]`)
			b.want("the phone added", "Your phone is added", "Codes are texted to", "23")
			b.run(chromedp.Evaluate(`window.confirm = () => true`, nil))
			b.press(`form[action="/account/mfa/sms/delete"] button[type=submit]`)
			b.want("the phone removed", "Your phone is removed.", "Mobile number")
		})
	}
}
