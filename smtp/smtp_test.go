package smtp_test

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/smtp"
	"gatehouse.dev/gatehouse/smtp/smtptest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const wait = 5 * time.Second

func newClient(t *testing.T, rawURL, from string) *smtp.Client {
	t.Helper()
	c, err := smtp.New(rawURL, from)
	if err != nil {
		t.Fatalf("New(%q) = %v", rawURL, err)
	}
	return c
}

func TestSendDelivers(t *testing.T) {
	link := "https://gatehouse.example/reset?token=" + strings.Repeat("AbC123-_", 120) + "&org=acme"
	tests := []struct {
		name     string
		mail     gh.Mail
		wantBody string // "" for mail.Body
	}{
		{name: "ascii", mail: gh.Mail{To: "ada@example.com", Subject: "Welcome", Body: "Hello Ada.\n"}},
		{name: "non-ASCII", mail: gh.Mail{To: "joerg@example.com",
			Subject: "Passwort zurücksetzen – 日本語 ✓",
			Body:    "Grüße, Jörg!\nПривет, 世界. Ünïcödé at the end of a line: é\n"}},
		{name: "long link", mail: gh.Mail{To: "bob@example.com", Subject: "Reset your password",
			Body: "Open this link within an hour:\n\n" + link + "\n\nIgnore this mail if you did not ask.\n"}},
		{name: "long subject", mail: gh.Mail{To: "eve@example.com",
			Subject: strings.Repeat("A rather long subject line that goes on ", 5) + "and ends here",
			Body:    "no final line break"}, wantBody: "no final line break\n"},
		{name: "dots and blank lines", mail: gh.Mail{To: "dot@example.com", Subject: "Dots",
			Body: ".\n..leading dots\n\n\n.\r\nend\n"}, wantBody: ".\n..leading dots\n\n\n.\nend\n"},
	}
	srv := smtptest.Start(t)
	c := newClient(t, srv.URL(), "")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantBody == "" {
				tt.wantBody = tt.mail.Body
			}
			if err := c.Send(t.Context(), &tt.mail); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			got := srv.WaitFor(t, i+1, wait)[i]
			want := smtptest.Message{From: "no-reply@localhost", To: []string{tt.mail.To},
				Subject: tt.mail.Subject, Body: tt.wantBody, EnvelopeFrom: "no-reply@localhost",
				EnvelopeTo: []string{tt.mail.To}}
			ignore := cmpopts.IgnoreFields(smtptest.Message{}, "Header", "Raw")
			if diff := cmp.Diff(want, got, ignore); diff != "" {
				t.Errorf("received message differs (-want +got):\n%s", diff)
			}
			for n, line := range strings.Split(string(got.Raw), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line %d has %d characters, want at most 78 (RFC 5322 §2.1.1): %q",
						n+1, len(line), line)
				}
			}
		})
	}
}

func TestSendHeaders(t *testing.T) {
	tests := []struct {
		name, from, id    string
		wantFrom          mail.Address
		wantMessageIDHost string
		wantMessageID     string // exact, when derived from the outbox ID
	}{
		{name: "default sender", wantFrom: mail.Address{Name: "Gatehouse", Address: "no-reply@localhost"},
			wantMessageIDHost: "localhost"},
		{name: "configured sender", from: "Acme Login <login@acme.test>", id: "mail_01jd8k3v7wq2mzc5x9e4hn6rta",
			wantFrom:          mail.Address{Name: "Acme Login", Address: "login@acme.test"},
			wantMessageIDHost: "acme.test", wantMessageID: "<mail_01jd8k3v7wq2mzc5x9e4hn6rta@acme.test>"},
		{name: "outbox ID unfit for a Message-ID", from: "login@acme.test", id: "mail a<b>@c.example.com",
			wantFrom: mail.Address{Address: "login@acme.test"}, wantMessageIDHost: "acme.test"},
		{name: "outbox ID too short to be unique", from: "login@acme.test", id: "42",
			wantFrom: mail.Address{Address: "login@acme.test"}, wantMessageIDHost: "acme.test"},
	}
	srv := smtptest.Start(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			m := &gh.Mail{ID: tt.id, To: "ada@example.com", Subject: "Hi", Body: "Hello"}
			if err := newClient(t, srv.URL(), tt.from).Send(t.Context(), m); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			h := srv.WaitFor(t, i+1, wait)[i].Header
			from, err := mail.ParseAddress(h.Get("From"))
			if err != nil || *from != tt.wantFrom {
				t.Errorf("From = %q (%v), want %v", h.Get("From"), err, tt.wantFrom.String())
			}
			id := h.Get("Message-Id")
			if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@"+tt.wantMessageIDHost+">") {
				t.Errorf("Message-ID = %q, want <…@%s>", id, tt.wantMessageIDHost)
			}
			if tt.wantMessageID != "" && id != tt.wantMessageID {
				t.Errorf("Message-ID = %q, want %q", id, tt.wantMessageID)
			}
			if tt.wantMessageID == "" && tt.id != "" && strings.Contains(id, "<"+tt.id+"@") {
				t.Errorf("Message-ID = %q, want a random one, not the outbox ID", id)
			}
			if date, err := h.Date(); err != nil || date.Before(before) || date.After(time.Now()) {
				t.Errorf("Date = %q (%v), want the time of sending", h.Get("Date"), err)
			}
			for _, name := range []string{"User-Agent", "X-Mailer"} {
				if v := h.Get(name); v != "" {
					t.Errorf("%s = %q, want none", name, v)
				}
			}
		})
	}
}

// TestSendFailures checks how each failure is classified, and that the server is usable
// again afterwards, as the outbox's next attempt needs.
func TestSendFailures(t *testing.T) {
	tests := []struct {
		name          string
		prepare       func(srv *smtptest.Server)
		to            string
		wantPermanent bool
		wantKind      gh.Kind
		wantText      string
	}{
		{name: "451 is temporary", prepare: func(s *smtptest.Server) { s.FailNext(1, 451) },
			wantKind: gh.KindUnavailable, wantText: "451"},
		{name: "421 is temporary", prepare: func(s *smtptest.Server) { s.FailNext(1, 421) },
			wantKind: gh.KindUnavailable, wantText: "421"},
		{name: "550 is permanent", prepare: func(s *smtptest.Server) { s.FailNext(1, 550) },
			wantPermanent: true, wantKind: gh.KindInvalid, wantText: "550"},
		{name: "554 is permanent", prepare: func(s *smtptest.Server) { s.FailNext(1, 554) },
			wantPermanent: true, wantKind: gh.KindInvalid, wantText: "554"},
		{name: "server down is temporary", prepare: (*smtptest.Server).Stop,
			wantKind: gh.KindUnavailable, wantText: "connection refused"},
		{name: "bad recipient is permanent", prepare: func(*smtptest.Server) {}, to: "not an address",
			wantPermanent: true, wantKind: gh.KindInvalid, wantText: "not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			c := newClient(t, srv.URL(), "")
			tt.prepare(srv)
			m := &gh.Mail{To: "ada@example.com", Subject: "Sign in", Body: "https://secret.example/one-time-link"}
			if tt.to != "" {
				m.To = tt.to
			}
			err := c.Send(t.Context(), m)
			if err == nil {
				t.Fatalf("Send() = nil, want an error")
			}
			if got := smtp.Permanent(err); got != tt.wantPermanent {
				t.Errorf("Permanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			if got := gh.KindOf(err); got != tt.wantKind {
				t.Errorf("KindOf(%v) = %v, want %v", err, got, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Send() = %q, want it to mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "one-time-link") {
				t.Errorf("Send() = %q, want no part of the body in it", err)
			}
			if got := srv.Messages(); len(got) != 0 {
				t.Errorf("server recorded %d messages, want 0", len(got))
			}
			srv.Restart(t)
			m.To = "ada@example.com"
			if err := c.Send(t.Context(), m); err != nil {
				t.Fatalf("Send() after the failure = %v, want nil", err)
			}
			srv.WaitFor(t, 1, wait)
		})
	}
}

// TestSendQueuedWhileDown plays the outbox against a relay that is away for a while: every
// attempt meanwhile is a temporary failure, and the retries deliver once it is back.
func TestSendQueuedWhileDown(t *testing.T) {
	srv := smtptest.Start(t)
	c := newClient(t, srv.URL(), "")
	srv.Stop()
	queue := []*gh.Mail{
		{To: "a@example.com", Subject: "one", Body: "1"},
		{To: "b@example.com", Subject: "two", Body: "2"},
	}
	for _, m := range queue {
		if err := c.Send(t.Context(), m); err == nil || smtp.Permanent(err) {
			t.Fatalf("Send(%s) while down = %v, want a temporary error", m.Subject, err)
		}
	}
	srv.Restart(t)
	srv.FailNext(1, 451) // the first attempt after the restart is refused once more
	var failures int
	for _, m := range queue {
		for attempt := 1; ; attempt++ {
			err := c.Send(t.Context(), m)
			if err == nil {
				break
			}
			failures++
			if smtp.Permanent(err) || attempt == 3 {
				t.Fatalf("Send(%s) attempt %d = %v, want delivery after a retry", m.Subject, attempt, err)
			}
		}
	}
	if failures != 1 {
		t.Errorf("failures after the restart = %d, want 1", failures)
	}
	var got []string
	for _, m := range srv.WaitFor(t, 2, wait) {
		got = append(got, m.Subject)
	}
	if diff := cmp.Diff([]string{"one", "two"}, got); diff != "" {
		t.Errorf("subjects received (-want +got):\n%s", diff)
	}
}

// TestSendDeadline shows that a relay which accepts the connection and then says nothing
// costs no more than the caller's context allows (Timeout bounds it the same way).
func TestSendDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // a failure-injecting fake: it accepts and stays silent
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	c := newClient(t, "smtp://"+ln.Addr().String(), "")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Send(ctx, &gh.Mail{To: "ada@example.com", Subject: "Hi", Body: "x"})
	if err == nil || smtp.Permanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send() = %v, want a temporary error wrapping context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > smtp.Timeout/2 {
		t.Errorf("Send() returned after %v, want it to stop at the context's deadline", took)
	}
}

func TestSendTLSAndAuth(t *testing.T) {
	tests := []struct {
		name      string
		opts      []smtptest.Option
		url       func(srv *smtptest.Server) string // default srv.URL()
		untrusted bool                              // do not trust the server's certificate
		wantErr   string                            // "" for delivery
		wantTLS   bool
		wantUser  string
	}{
		{name: "STARTTLS when offered", opts: []smtptest.Option{smtptest.WithStartTLS()}, wantTLS: true},
		{name: "STARTTLS required and offered",
			opts:    []smtptest.Option{smtptest.WithStartTLS()},
			url:     func(s *smtptest.Server) string { return s.URL() + "?starttls=required" },
			wantTLS: true},
		{name: "STARTTLS required but not offered",
			url:     func(s *smtptest.Server) string { return s.URL() + "?starttls=required" },
			wantErr: "STARTTLS"},
		{name: "STARTTLS never", opts: []smtptest.Option{smtptest.WithStartTLS()},
			url: func(s *smtptest.Server) string { return s.URL() + "?starttls=never" }},
		{name: "implicit TLS", opts: []smtptest.Option{smtptest.WithImplicitTLS()}, wantTLS: true},
		{name: "untrusted certificate", opts: []smtptest.Option{smtptest.WithStartTLS()},
			untrusted: true, wantErr: "certificate"},
		{name: "untrusted certificate with smtps", opts: []smtptest.Option{smtptest.WithImplicitTLS()},
			untrusted: true, wantErr: "certificate"},
		{name: "AUTH after STARTTLS",
			opts:    []smtptest.Option{smtptest.WithStartTLS(), smtptest.WithAuth("gatehouse", "s3cret!")},
			wantTLS: true, wantUser: "gatehouse"},
		{name: "AUTH with smtps",
			opts:    []smtptest.Option{smtptest.WithImplicitTLS(), smtptest.WithAuth("gatehouse", "p@ss:w/rd")},
			wantTLS: true, wantUser: "gatehouse"},
		{name: "wrong password",
			opts:    []smtptest.Option{smtptest.WithStartTLS(), smtptest.WithAuth("gatehouse", "s3cret!")},
			url:     func(s *smtptest.Server) string { return "smtp://gatehouse:wrong@" + s.Addr() },
			wantErr: "535"},
		{name: "credentials missing",
			opts:    []smtptest.Option{smtptest.WithStartTLS(), smtptest.WithAuth("gatehouse", "s3cret!")},
			url:     func(s *smtptest.Server) string { return "smtp://" + s.Addr() },
			wantErr: "530"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts...)
			rawURL := srv.URL()
			if tt.url != nil {
				rawURL = tt.url(srv)
			}
			c := newClient(t, rawURL, "")
			if !tt.untrusted && srv.RootCAs() != nil {
				c.SetRootCAs(srv.RootCAs())
			}
			err := c.Send(t.Context(), &gh.Mail{To: "ada@example.com", Subject: "Hi", Body: "x"})
			if tt.wantErr != "" {
				// None of these is the message's fault: the outbox must keep it.
				if err == nil || smtp.Permanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Send() = %v, want a temporary error mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("Send() = %q, want no password in it", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			got := srv.WaitFor(t, 1, wait)[0]
			if got.TLS != tt.wantTLS || got.User != tt.wantUser {
				t.Errorf("received with TLS %v, user %q; want TLS %v, user %q",
					got.TLS, got.User, tt.wantTLS, tt.wantUser)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		url, from string
		want      string // String() of the client
	}{
		{url: "smtp://127.0.0.1:2525", want: "smtp://127.0.0.1:2525"},
		{url: "smtp://mail.example.com", want: "smtp://mail.example.com:25"},
		{url: "smtp://user:pass@mail.example.com:587", want: "smtp://user@mail.example.com:587"},
		{url: "smtp://user%40example.com:p%3Ass@mail.example.com:587/",
			want: "smtp://user%40example.com@mail.example.com:587"},
		{url: "SMTP://mail.example.com:587?starttls=required", want: "smtp://mail.example.com:587?starttls=required"},
		{url: "smtp://mail.example.com?starttls=never", want: "smtp://mail.example.com:25?starttls=never"},
		{url: "smtps://mail.example.com", want: "smtps://mail.example.com:465"},
		{url: "smtps://[::1]:4650", want: "smtps://[::1]:4650"},
		{url: "smtp://localhost:25", from: "login@acme.test", want: "smtp://localhost:25"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := smtp.New(tt.url, tt.from)
			if err != nil {
				t.Fatalf("New(%q, %q) = %v, want nil", tt.url, tt.from, err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, url, from string
		wantSetting     string
		wantText        string
	}{
		{"empty", "", "", "GATEHOUSE_SMTP_URL", "not set"},
		{"other scheme", "http://mail.example.com", "", "GATEHOUSE_SMTP_URL", `not "http:"`},
		{"no scheme", "mail.example.com:25", "", "GATEHOUSE_SMTP_URL", "smtp://"},
		{"no host", "smtp://:25", "", "GATEHOUSE_SMTP_URL", "no host"},
		{"opaque", "smtp:mail.example.com", "", "GATEHOUSE_SMTP_URL", "no host"},
		{"bad port", "smtp://mail.example.com:99999", "", "GATEHOUSE_SMTP_URL", `port "99999"`},
		{"named port", "smtp://mail.example.com:smtp", "", "GATEHOUSE_SMTP_URL", "not a URL"},
		{"path", "smtp://mail.example.com/inbox", "", "GATEHOUSE_SMTP_URL", "path"},
		{"user without password", "smtp://user@mail.example.com", "", "GATEHOUSE_SMTP_URL", "password"},
		{"unknown parameter", "smtp://mail.example.com?tls=yes", "", "GATEHOUSE_SMTP_URL", `"tls"`},
		{"bad starttls", "smtp://mail.example.com?starttls=yes", "", "GATEHOUSE_SMTP_URL", `starttls="yes"`},
		{"starttls with smtps", "smtps://mail.example.com?starttls=required", "", "GATEHOUSE_SMTP_URL", "smtps"},
		{"unparseable, password withheld", "smtp://user:s3cret@mail.example.com:2x5", "",
			"GATEHOUSE_SMTP_URL", "not a URL"},
		{"bad sender", "smtp://mail.example.com", "Gatehouse", "GATEHOUSE_SMTP_FROM", "not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := smtp.New(tt.url, tt.from)
			if err == nil {
				t.Fatalf("New(%q, %q) = %v, want an error", tt.url, tt.from, c)
			}
			var e *gh.Error
			if !errors.As(err, &e) || e.Kind != gh.KindInvalid || e.Fields[tt.wantSetting] == "" {
				t.Fatalf("New(%q) = %#v, want a KindInvalid error for field %s", tt.url, err, tt.wantSetting)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.wantSetting+" ") || !strings.Contains(msg, tt.wantText) {
				t.Errorf("New(%q) = %q, want it to start with %s and mention %q",
					tt.url, msg, tt.wantSetting, tt.wantText)
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("New(%q) = %q, want the password withheld", tt.url, msg)
			}
		})
	}
}
