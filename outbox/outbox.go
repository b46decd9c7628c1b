// Package outbox delivers the mail that changes enqueue in the store. A
// message is written in the same transaction as the change that causes it
// (an invitation, a reset), so nothing acknowledged is lost when SMTP is
// down: the worker retries with growing delays and admins see each message's status.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Sender delivers one message; Permanent reports errors not worth retrying.
type Sender interface {
	Send(ctx context.Context, m *gh.Mail) error
}

// ErrNotConfigured is what a Route answers for mail when no SMTP server is
// set: the message waits, without counting an attempt, until one is.
var ErrNotConfigured = errors.New("no SMTP server is configured (GATEHOUSE_SMTP_URL)")

// Route sends each message with the sender of its kind, and mail with Mail.
type Route struct {
	Mail  Sender // nil: mail waits in the outbox
	Kinds map[string]Sender
}

// Send implements Sender.
func (r Route) Send(ctx context.Context, m *gh.Mail) error {
	if s, ok := r.Kinds[m.Kind]; ok {
		return s.Send(ctx, m)
	}
	if r.Mail == nil {
		return ErrNotConfigured
	}
	return r.Mail.Send(ctx, m)
}

// Worker sends due messages of the outbox.
type Worker struct {
	Vault     gh.Vault
	Sender    Sender
	Permanent func(error) bool // nil: every error is retried
	Now       func() time.Time
	Log       *slog.Logger
	// MaxAttempts is how many tries a message gets before it is marked failed.
	MaxAttempts int
}

const (
	batch    = 10
	lease    = 4 * time.Minute // longer than a batch of sends that all time out (10 × 15 s); a node that dies frees its messages after this
	firstGap = 30 * time.Second
	maxGap   = time.Hour
)

// Backoff is the wait before attempt n+1 after n failed attempts: 30 s, 1 min, 2 min, … at most an hour.
func Backoff(n int) time.Duration {
	d := firstGap
	for i := 1; i < n && d < maxGap; i++ {
		d *= 2
	}
	return min(d, maxGap)
}

// RunOnce sends a batch of what is due now and returns how many were sent
// and how many failed for good.
func (w *Worker) RunOnce(ctx context.Context) (sent, failed int, err error) {
	_, sent, failed, err = w.runBatch(ctx)
	return sent, failed, err
}

// runBatch is RunOnce that also says how many messages it claimed.
func (w *Worker) runBatch(ctx context.Context) (claimed, sent, failed int, err error) {
	now := w.Now()
	due, err := w.Vault.ClaimMail(ctx, now, now.Add(lease), batch)
	if err != nil {
		return 0, 0, 0, err
	}
	claimed = len(due)
	for _, m := range due {
		m.Attempts++
		err := w.Sender.Send(ctx, m)
		switch {
		case errors.Is(err, ErrNotConfigured):
			m.Attempts-- // not the message's fault: it waits for a server
			m.NextAttempt, m.LastError = w.Now().Add(time.Minute), err.Error()
		case err == nil:
			m.Status, m.SentAt, m.LastError = gh.MailSent, w.Now(), ""
			sent++
		case (w.Permanent != nil && w.Permanent(err)) || m.Attempts >= w.maxAttempts():
			m.Status, m.LastError = gh.MailFailed, truncate(err.Error())
			failed++
			w.Log.Warn("mail given up", "mail_id", m.ID, "org_id", m.Org, "kind", m.Kind, "attempts", m.Attempts, "err", err)
		default:
			m.NextAttempt, m.LastError = w.Now().Add(Backoff(m.Attempts)), truncate(err.Error())
			w.Log.Info("mail will be retried", "mail_id", m.ID, "attempts", m.Attempts, "next_attempt_at", m.NextAttempt, "err", err)
		}
		if err := w.Vault.FinishMail(ctx, m); err != nil {
			return claimed, sent, failed, err
		}
	}
	return claimed, sent, failed, nil
}

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts > 0 {
		return w.MaxAttempts
	}
	return 10
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// Run sends due mail every interval, and at once when woken, until ctx ends.
// Each round takes batches until one comes back short, so that a backlog (a
// change that told many people) does not hold a later invitation for rounds.
func (w *Worker) Run(ctx context.Context, interval time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			claimed, _, _, err := w.runBatch(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Error("outbox", "err", err)
			}
			if err != nil || claimed < batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}
