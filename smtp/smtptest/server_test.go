package smtptest_test

import (
	"strings"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/smtp/smtptest"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

// send submits raw over a connection without TLS, with go-smtp's client.
func send(t *testing.T, srv *smtptest.Server, raw string) error {
	t.Helper()
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatalf("Dial(%s) = %v", srv.Addr(), err)
	}
	defer c.Close()
	return c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(raw))
}

// TestParse feeds raw messages in encodings that the smtp package does not produce, to show
// that Message decodes them all the same.
func TestParse(t *testing.T) {
	tests := []struct {
		name, raw             string
		wantSubject, wantBody string
	}{
		{name: "7bit",
			raw:         "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nHello\r\n",
			wantSubject: "Hi", wantBody: "Hello\n"},
		{name: "base64 with B-encoded subject",
			raw: "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?b?R3LDvMOfZQ==?=\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"R3LDvMOfZSwg\r\n5LiW55WMCg==\r\n",
			wantSubject: "Grüße", wantBody: "Grüße, 世界\n"},
		{name: "multipart with quoted-printable text",
			raw: "From: a@example.com\r\nTo: b@example.com\r\nSubject: Both\r\nMIME-Version: 1.0\r\n" +
				"Content-Type: multipart/alternative; boundary=XX\r\n\r\n" +
				"--XX\r\nContent-Type: text/html\r\n\r\n<p>no</p>\r\n" +
				"--XX\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"https://example.com/=\r\nlong=3Dlink\r\n--XX--\r\n",
			wantSubject: "Both", wantBody: "https://example.com/long=link"},
	}
	srv := smtptest.Start(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := send(t, srv, tt.raw); err != nil {
				t.Fatalf("SendMail() = %v, want nil", err)
			}
			got := srv.WaitFor(t, i+1, 5*time.Second)[i]
			if got.Subject != tt.wantSubject || got.Body != tt.wantBody {
				t.Errorf("Subject, Body = %q, %q; want %q, %q", got.Subject, got.Body, tt.wantSubject, tt.wantBody)
			}
			if got.From != "a@example.com" || len(got.To) != 1 || got.To[0] != "b@example.com" {
				t.Errorf("From, To = %q, %q; want a@example.com, [b@example.com]", got.From, got.To)
			}
		})
	}
}

// TestFailNext shows that exactly n messages are refused, with the code asked for.
func TestFailNext(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailNext(2, 451)
	raw := "From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"
	var codes []int
	for range 3 {
		err := send(t, srv, raw)
		code := 250
		if e, ok := err.(*smtp.SMTPError); ok {
			code = e.Code
		} else if err != nil {
			t.Fatalf("SendMail() = %v, want nil or an SMTP error", err)
		}
		codes = append(codes, code)
	}
	if diff := cmp.Diff([]int{451, 451, 250}, codes); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if got := len(srv.Messages()); got != 1 {
		t.Errorf("len(Messages()) = %d, want 1", got)
	}
}
