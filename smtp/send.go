package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	gh "gatehouse.dev/gatehouse"
	gomail "github.com/wneessen/go-mail"
)

// Send delivers m as a plain-text UTF-8 message to m.To with m.Subject and m.Body (ended
// with a line break if it is not), from the configured sender, with a Message-ID and a Date.
// It uses one new connection, closed before it returns, and gives up after Timeout or when
// ctx ends, whichever comes first.
//
// A nil error means the relay accepted the message. Otherwise the error is KindInvalid when
// retrying cannot help (the relay answered the message with a 5xx code, or m.To is not an
// address), and KindUnavailable when it may (the relay is unreachable, answered 4xx, failed
// TLS or authentication, or the time ran out); Permanent tells the two apart. The body,
// which may hold a one-time link, is never part of an error.
func (c *Client) Send(ctx context.Context, m *gh.Mail) error {
	msg, err := c.message(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	mc, err := gomail.NewClient(c.host, c.options(ctx)...)
	if err != nil {
		return gh.Internal(fmt.Errorf("smtp client: %w", err))
	}
	err = mc.DialAndSendWithContext(ctx, msg)
	// Once the relay has taken the message, a failing RSET or QUIT must not make the outbox
	// send it again.
	if err == nil || msg.IsDelivered() {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return c.sendError(err)
}

func (c *Client) options(ctx context.Context) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(c.port),
		gomail.WithTimeout(Timeout),
		gomail.WithTLSPolicy(c.tlsPolicy()),
		gomail.WithTLSConfig(c.tlsConfig),
		gomail.WithDialContextFunc(c.dialer(ctx)),
	}
	if c.user != "" {
		// Discovery picks the strongest mechanism offered and, on a connection without TLS,
		// none that would reveal the password (PLAIN, LOGIN).
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.user), gomail.WithPassword(c.pass))
	}
	return opts
}

// dialer connects to the relay, with TLS first for smtps. go-mail gives each step its own
// deadline but stops watching the context once connected, so the connection is closed when
// sendCtx ends: that bounds the whole exchange and makes cancellation prompt.
func (c *Client) dialer(sendCtx context.Context) gomail.DialContextFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		// c.addr and not go-mail's address, which lacks the brackets of an IPv6 host.
		var conn net.Conn
		var err error
		if c.implicitTLS {
			conn, err = (&tls.Dialer{Config: c.tlsConfig}).DialContext(ctx, network, c.addr())
		} else {
			conn, err = (&net.Dialer{}).DialContext(ctx, network, c.addr())
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(sendCtx, func() { conn.Close() })
		return conn, nil
	}
}

// message builds the RFC 5322 message. go-mail writes the body as quoted-printable, which
// keeps every line short (a long link gets soft breaks that readers undo) and 7-bit clean.
func (c *Client) message(m *gh.Mail) (*gomail.Msg, error) {
	if m == nil {
		return nil, gh.Internal(errors.New("smtp: send of a nil mail"))
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(c.from)
	if err := msg.To(m.To); err != nil {
		return nil, &gh.Error{Kind: gh.KindInvalid, Code: "invalid_recipient",
			Message: fmt.Sprintf("recipient %q is not an email address", m.To),
			Err:     permanentError{err}}
	}
	msg.Subject(m.Subject)
	body := m.Body
	if !strings.HasSuffix(body, "\n") {
		// SMTP ends the data with a line break anyway; adding it here keeps what arrives
		// equal to what was sent.
		body += "\n"
	}
	msg.SetBodyString(gomail.TypeTextPlain, body)
	msg.SetMessageIDWithValue(c.messageID(m.ID) + "@" + c.idDomain)
	msg.SetDate()
	return msg, nil
}

// idText matches outbox IDs fit for a Message-ID: dot-atom text (RFC 5322 §3.6.4), long
// enough to be unique as gatehouse.NewID's are, not a short counter.
var idText = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// messageID derives the Message-ID from the outbox ID when it is fit, so that a message sent
// twice (the relay took it but its answer was lost) can be recognized as one.
func (c *Client) messageID(mailID string) string {
	if idText.MatchString(mailID) {
		return mailID
	}
	return rand.Text()
}

// permanentError marks a failure that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent reports whether err, from Send, means the message will never be accepted, so
// the outbox should stop retrying it.
func Permanent(err error) bool {
	_, ok := errors.AsType[permanentError](err)
	return ok
}

// sendError classifies a failed exchange. Only a 5xx answer to the message itself (MAIL,
// RCPT, DATA) is permanent; go-mail reports those as *SendError. A 5xx before that, in the
// greeting, EHLO, STARTTLS or AUTH, speaks of the relay or of our settings, not of this
// message, so it stays retryable, as does 530 "authentication required" (RFC 4954 §6):
// failing every queued message for a missing password would lose them all.
func (c *Client) sendError(err error) error {
	err = fmt.Errorf("smtp %s: %w", c.addr(), err)
	if se, ok := errors.AsType[*gomail.SendError](err); ok {
		if code := se.ErrorCode(); code >= 500 && code < 600 && code != 530 {
			return &gh.Error{Kind: gh.KindInvalid, Code: "smtp_rejected",
				Message: "mail server rejected the message", Err: permanentError{err}}
		}
	}
	return &gh.Error{Kind: gh.KindUnavailable, Code: "smtp_unavailable",
		Message: "mail not sent, retry later", Err: err}
}
