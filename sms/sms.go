// Package sms sends text messages through the HTTP gateway the operator
// configures: one signed JSON POST per message, so the gateway can tell
// Gatehouse's requests from forgeries and refuse replays.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/webhook"
)

// Message is the JSON body posted to the gateway.
type Message struct {
	To      string `json:"to"`      // E.164, e.g. +4915112345678
	Message string `json:"message"` // the text to deliver
	ID      string `json:"id"`      // unique per message: a gateway may drop repeats of one id
}

// Client posts messages to a gateway. The request carries the same headers
// as webhooks: X-Gatehouse-Timestamp (Unix seconds) and
// X-Gatehouse-Signature, "sha256=" and the hex HMAC-SHA256, keyed by Secret,
// of the timestamp, a dot and the body.
type Client struct {
	URL     string
	Secret  string
	Timeout time.Duration // per message; 10 seconds when zero
	HTTP    *http.Client  // http.DefaultClient when nil
	Now     func() time.Time
}

// Send posts one message and waits for a 2xx answer. Errors: KindUnavailable
// (code sms_failed) when the gateway cannot be reached in time or refuses,
// with the cause attached for the log.
func (c *Client) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return gh.Internal(err)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return failed(err)
	}
	ts := c.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse-SMS")
	req.Header.Set(webhook.TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(c.Secret, ts, body))
	resp, err := c.client().Do(req)
	if err != nil {
		return failed(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return failed(fmt.Errorf("gateway answered %s", resp.Status))
	}
	return nil
}

func failed(cause error) error {
	return &gh.Error{Kind: gh.KindUnavailable, Code: "sms_failed",
		Message: "the text message could not be sent; try again in a moment or choose another way",
		Err:     fmt.Errorf("sms gateway: %w", cause)}
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Text sends message to one number; it is how signin.Texter is met.
func (c *Client) Text(ctx context.Context, to, message, id string) error {
	return c.Send(ctx, Message{To: to, Message: message, ID: id})
}
