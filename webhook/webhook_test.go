package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sqlite"
	"gatehouse.dev/gatehouse/webhook"
)

// receiver is a real HTTP endpoint that checks signatures the way a customer's would.
type receiver struct {
	srv    *httptest.Server
	got    chan string
	status int
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{got: make(chan string, 10), status: 200}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		ts, _ := strconv.ParseInt(req.Header.Get(webhook.TimestampHeader), 10, 64)
		if req.Header.Get(webhook.SignatureHeader) != webhook.Sign(secret, ts, body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(r.status)
		r.got <- string(body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestSendSignsAndClassifiesAnswers(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.VaultUpdate(ctx, func(v gh.VaultTx) error { return v.PutWebhookSecret("org_a", "s3cret") }); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, "s3cret")
	send := func(s *webhook.Sender, org gh.OrgID) error {
		return s.Send(ctx, &gh.Mail{Org: org, To: rcv.srv.URL, Kind: webhook.Kind, Body: `{"type":"lockout"}`})
	}
	sender := &webhook.Sender{Vault: store, Now: time.Now, AllowPrivate: true}

	if err := send(sender, "org_a"); err != nil {
		t.Fatalf("Send = %v, want delivered", err)
	}
	if got := <-rcv.got; got != `{"type":"lockout"}` {
		t.Errorf("received %q", got)
	}
	cases := []struct {
		name      string
		status    int
		org       gh.OrgID
		sender    *webhook.Sender
		permanent bool
	}{
		{"server error is retried", 503, "org_a", sender, false},
		{"too many requests is retried", 429, "org_a", sender, false},
		{"client error is final", 410, "org_a", sender, true},
		{"no secret is final", 200, "org_none", sender, true},
		{"a private address is refused", 200, "org_a", &webhook.Sender{Vault: store, Now: time.Now}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rcv.status = c.status
			err := send(c.sender, c.org)
			if err == nil || webhook.Permanent(err) != c.permanent {
				t.Errorf("Send = %v (permanent %v), want an error with permanent %v", err, webhook.Permanent(err), c.permanent)
			}
		})
	}
	// A wrong secret is what the receiver refuses: a forged notice never passes.
	if err := store.VaultUpdate(ctx, func(v gh.VaultTx) error { return v.PutWebhookSecret("org_a", "other") }); err != nil {
		t.Fatal(err)
	}
	rcv.status = 200
	if err := send(sender, "org_a"); err == nil || !webhook.Permanent(err) {
		t.Errorf("notice signed with another key = %v, want refused by the receiver", err)
	}
}
