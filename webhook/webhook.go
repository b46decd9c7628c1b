// Package webhook delivers security notices to an organization's HTTP
// endpoint, each signed with HMAC-SHA256 so the receiver can tell them from
// forgeries. Notices travel through the outbox like mail: written with the
// change that causes them, retried until delivered.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Kind is the outbox kind of webhook notices.
const Kind = "webhook"

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the timestamp,
// a dot and the body, keyed by the organization's webhook secret; the
// timestamp (Unix seconds) is in TimestampHeader, so a receiver can refuse replays.
const (
	SignatureHeader = "X-Gatehouse-Signature"
	TimestampHeader = "X-Gatehouse-Timestamp"
)

// Sign returns the signature of body sent at ts with secret.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Sender posts notices. Mail.To is the URL and Mail.Body the JSON notice.
type Sender struct {
	Vault gh.Vault
	Now   func() time.Time
	// Unseal turns a stored secret into the key (auth.Sealer.Open); nil: stored as is.
	Unseal func(string) (string, error)
	// AllowPrivate lets notices go to loopback and private addresses. Off by
	// default: an admin-set URL must not reach into the service's own network.
	AllowPrivate bool
	Client       *http.Client
}

// errPermanent marks answers that retrying will not change.
type errPermanent struct{ error }

// Permanent reports whether err is not worth retrying.
func Permanent(err error) bool {
	var p errPermanent
	return errors.As(err, &p)
}

// Send posts one notice.
func (s *Sender) Send(ctx context.Context, m *gh.Mail) error {
	secret, err := s.Vault.WebhookSecret(ctx, m.Org)
	if err != nil {
		return errPermanent{fmt.Errorf("no webhook secret: make one with POST /v1/orgs/{org}/webhook/secret")}
	}
	if s.Unseal != nil {
		if secret, err = s.Unseal(secret); err != nil {
			return err
		}
	}
	u, err := url.Parse(m.To)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errPermanent{fmt.Errorf("webhook URL %q is not http(s)", m.To)}
	}
	ts := s.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.To, bytes.NewReader([]byte(m.Body)))
	if err != nil {
		return errPermanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-Webhook")
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(SignatureHeader, Sign(secret, ts, []byte(m.Body)))
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return errPermanent{fmt.Errorf("webhook answered %s", resp.Status)}
	}
	return fmt.Errorf("webhook answered %s", resp.Status)
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !s.AllowPrivate {
		// Checked on the address actually dialled, after name resolution.
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, _ := net.SplitHostPort(address)
			a, err := netip.ParseAddr(host)
			if err != nil || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
				return errPermanent{fmt.Errorf("webhook address %s is not public", host)}
			}
			return nil
		}
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
