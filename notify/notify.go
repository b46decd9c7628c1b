// Package notify is the one path by which Gatehouse tells people things: a
// person's own notifications (kept for the console's list and mailed, each
// by the person's choice per category), the administrators' notices (to
// every Org Admin by their choice, and to the organization's security
// contacts and webhook always), and the announcements published to them.
// Everything is written in the transaction of the change that causes it,
// so a notice is sent exactly when its change commits.
package notify

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/webhook"
)

// MailKind is the outbox kind of a person's notification mail.
const MailKind = "notification"

// Service delivers notifications.
type Service struct {
	dir    *directory.Directory
	store  gh.Store
	log    *slog.Logger
	wake   func() // nudges the outbox worker after an administrators' notice is queued
	bursts *bursts
}

// New returns the service; wake is called after an administrators' notice is queued.
func New(dir *directory.Directory, store gh.Store, log *slog.Logger, wake func()) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if wake == nil {
		wake = func() {}
	}
	return &Service{dir: dir, store: store, log: log, wake: wake, bursts: newBursts(BurstCount, BurstWindow)}
}

// Tell delivers one notification to u in ch's transaction, where u chose
// for its category. Only active people are told: an invited one has not
// chosen yet and a disabled one reads nothing.
//
// The notice is delivered with the others of its commit (Deliver), where the
// choices of everyone told are read at once.
func (s *Service) Tell(ch *directory.Change, u *gh.User, cat gh.NoteCategory, title, body string) error {
	if u == nil || u.Status != gh.StatusActive {
		return nil
	}
	ch.Notice(gh.Notice{Org: u.Org, User: u.ID, Email: u.Email, Category: cat, Title: title, Body: body, At: ch.Now()})
	return nil
}

// Deliver delivers the notices of one commit in its transaction: to each
// person's list and by mail, where each chose for the notice's category.
// Everyone's choices are read in one query and the list rows written in
// one statement, so a busy commit pays for its notices once, not per person.
func (s *Service) Deliver(v gh.VaultTx, notices []gh.Notice) error {
	users := make([]gh.UserID, 0, len(notices))
	for _, n := range notices {
		users = append(users, n.User)
	}
	slices.Sort(users)
	prefs, err := v.NotePrefsOf(slices.Compact(users))
	if err != nil { // the defaults, then: a notice is better sent against a choice than lost
		s.log.Warn("notification preferences", "err", err)
	}
	var rows []*gh.Notification
	for _, n := range notices {
		p := choice(prefs[n.User], n.Category)
		if p.Console {
			rows = append(rows, &gh.Notification{ID: gh.NewID("note"), Org: n.Org, User: n.User, Category: n.Category,
				Title: n.Title, Body: n.Body, CreatedAt: n.At})
		}
		if p.Email && n.Email != "" {
			if err := queueIn(v, n.At, n.Org, n.Email, MailKind, "[Gatehouse] "+n.Title, n.Body); err != nil {
				return err
			}
		}
	}
	return v.PutNotifications(rows)
}

// choice is the preference among prefs for cat, or the default.
func choice(prefs []gh.NotePref, cat gh.NoteCategory) gh.NotePref {
	for _, p := range prefs {
		if p.Category == cat {
			return p
		}
	}
	return gh.DefaultNotePref(cat)
}

// pref is u's choice for cat, read now. A failed read falls back to the
// default: a notice is better sent against a choice than lost.
func (s *Service) pref(ch *directory.Change, u gh.UserID, cat gh.NoteCategory) gh.NotePref {
	prefs, err := ch.Vault().NotePrefs(u)
	if err != nil {
		s.log.Warn("notification preferences", "user_id", u, "err", err)
	}
	return choice(prefs, cat)
}

// TellAdmins tells an organization's administrators: every active Org
// Admin (category security, by their choice), and the security contacts and
// the webhook, which have no choice to make. A contact who is also an admin
// told by email gets one message.
func (s *Service) TellAdmins(ch *directory.Change, org gh.OrgID, kind, subject, body string) error {
	mailed := map[string]bool{}
	idx := s.dir.Index()
	for _, id := range idx.ActiveOrgAdmins(org) {
		u := idx.User(id)
		if u == nil {
			continue
		}
		if err := s.Tell(ch, u, gh.NoteSecurity, subject, body); err != nil {
			return err
		}
		if s.pref(ch, id, gh.NoteSecurity).Email {
			mailed[strings.ToLower(u.Email)] = true
		}
	}
	p := s.policy(org)
	for _, to := range p.SecurityContacts {
		if !mailed[strings.ToLower(to)] {
			if err := s.queue(ch, org, to, "security_notice", "[Gatehouse] "+subject, body); err != nil {
				return err
			}
		}
	}
	if p.WebhookURL == "" {
		s.wake()
		return nil
	}
	notice, _ := json.Marshal(struct {
		Type    string    `json:"type"`
		Org     gh.OrgID  `json:"org_id"`
		Subject string    `json:"subject"`
		Text    string    `json:"text"`
		Time    time.Time `json:"time"`
	}{kind, org, subject, body, ch.Now()})
	if err := s.queue(ch, org, p.WebhookURL, webhook.Kind, kind, string(notice)); err != nil {
		return err
	}
	s.wake()
	return nil
}

func (s *Service) policy(org gh.OrgID) gh.SecurityPolicy {
	if o := s.dir.Index().Org(org); o != nil {
		return o.Policy.WithDefaults()
	}
	return gh.SecurityPolicy{}.WithDefaults()
}

// queue adds one message to the outbox in the change's transaction. It
// does not wake the outbox worker: a person's notification can wait for its
// next round (seconds), and waking it for each of a busy node's writes would
// have it compete with them for the database. Administrators' notices wake it.
func (s *Service) queue(ch *directory.Change, org gh.OrgID, to, kind, subject, body string) error {
	return queueIn(ch.Vault(), ch.Now(), org, to, kind, subject, body)
}

func queueIn(v gh.VaultTx, now time.Time, org gh.OrgID, to, kind, subject, body string) error {
	return v.EnqueueMail(&gh.Mail{ID: gh.NewID("mail"), Org: org, To: to, Subject: subject, Body: body, Kind: kind,
		Status: gh.MailPending, NextAttempt: now, CreatedAt: now})
}
