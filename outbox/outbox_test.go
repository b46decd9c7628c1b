package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/outbox"
	"gatehouse.dev/gatehouse/sqlite"
)

// failing is a sender that injects the given errors, in order, then succeeds.
type failing struct {
	errs []error
	sent int
}

func (f *failing) Send(context.Context, *gh.Mail) error {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	f.sent++
	return nil
}

var errPermanent = errors.New("550 no such mailbox")

func TestWorkerRetriesWithBackoffAndGivesUp(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	enqueue := func(id string) {
		m := &gh.Mail{ID: id, Org: "org_a", To: "a@x.example", Subject: "s", Body: "b", Kind: "invitation",
			Status: gh.MailPending, NextAttempt: now, CreatedAt: now}
		if err := store.VaultUpdate(ctx, func(v gh.VaultTx) error { return v.EnqueueMail(m) }); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id string) *gh.Mail {
		list, _ := store.ListMail(ctx, "org_a", 10)
		for _, m := range list {
			if m.ID == id {
				return m
			}
		}
		t.Fatalf("mail %s not listed", id)
		return nil
	}
	sender := &failing{errs: []error{errors.New("451 try later"), errors.New("451 try later")}}
	w := &outbox.Worker{Vault: store, Sender: sender, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Permanent: func(err error) bool { return errors.Is(err, errPermanent) }}

	enqueue("m1")
	for i, wantAttempts := range []int{1, 2} {
		if _, _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		m := status("m1")
		if m.Status != gh.MailPending || m.Attempts != wantAttempts || m.LastError == "" || !m.NextAttempt.Equal(now.Add(outbox.Backoff(wantAttempts))) {
			t.Fatalf("after failure %d: %+v, want pending, %d attempts, the error, and the next try after %v", i+1, m, wantAttempts, outbox.Backoff(wantAttempts))
		}
		if sent, _, _ := w.RunOnce(ctx); sent != 0 {
			t.Fatalf("sent before the backoff ended")
		}
		now = m.NextAttempt
	}
	if sent, _, _ := w.RunOnce(ctx); sent != 1 || status("m1").Status != gh.MailSent {
		t.Fatalf("third try: sent %d, status %s; want delivered", sent, status("m1").Status)
	}

	sender.errs = []error{errPermanent}
	enqueue("m2")
	if _, failed, _ := w.RunOnce(ctx); failed != 1 || status("m2").Status != gh.MailFailed {
		t.Errorf("a permanent error: %+v, want failed at once", status("m2"))
	}

	// Without an SMTP server mail waits, and no attempt is counted against it.
	w.Sender = outbox.Route{}
	enqueue("m3")
	_, _, _ = w.RunOnce(ctx)
	if m := status("m3"); m.Status != gh.MailPending || m.Attempts != 0 || m.LastError == "" {
		t.Errorf("no SMTP: %+v, want pending with no attempt counted and the reason shown", m)
	}
	if got := outbox.Backoff(20); got != time.Hour {
		t.Errorf("Backoff(20) = %v, want capped at an hour", got)
	}
}
