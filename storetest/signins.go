package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testLastSignIns checks the last-sign-in summary the store keeps with the
// log: every kind of successful sign-in counts, failures do not, an older
// sign-in never replaces a newer one, appends one by one and all at once
// agree, a rolled-back transaction leaves nothing, and organizations stay apart.
func testLastSignIns(t *testing.T, h Harness) {
	s := h.Open(t)
	a, b := newWorld("a"), newWorld("b")
	mustCommit(t, s, a.created(), b.created())
	signIn := func(org gatehouse.OrgID, action string, u *gatehouse.User, hours int) *gatehouse.Event {
		ev := event(org, action, u)
		ev.Time = t0.Add(time.Duration(hours) * time.Hour)
		ev.Actor = gatehouse.Actor{Type: gatehouse.ActorUser, User: u.ID}
		if action == "login.sso" { // the provider is the target, the user the actor
			ev.Target = gatehouse.Target{Type: gatehouse.KindProvider, ID: "idp_x"}
		}
		return ev
	}
	mustCommit(t, s,
		signIn(a.org.ID, "login.success", a.wsUser, 3),
		signIn(a.org.ID, "login.success", a.wsUser, 1), // older: ignored
		signIn(a.org.ID, "login.failure", a.admin, 9),
		signIn(a.org.ID, "login.password_ok", a.admin, 9), // a second factor still to come
		signIn(b.org.ID, "login.passkey", b.admin, 4))
	err := s.Update(context.Background(), func(tx gatehouse.Tx) error {
		evs := []*gatehouse.Event{signIn(a.org.ID, "login.sso", a.admin, 2), signIn(a.org.ID, "login.success", a.wsUser, 5)}
		for i, ev := range evs {
			ev.Revision = tx.Next() + gatehouse.Revision(i)
		}
		return tx.AppendAll(evs)
	})
	if err != nil {
		t.Fatalf("AppendAll: %v", err)
	}
	if err := commitFailing(s, signIn(a.org.ID, "login.success", a.admin, 20)); err == nil {
		t.Fatalf("a failing transaction committed")
	}
	for _, c := range []struct {
		org  gatehouse.OrgID
		want map[gatehouse.UserID]time.Time
	}{
		{a.org.ID, map[gatehouse.UserID]time.Time{a.wsUser.ID: t0.Add(5 * time.Hour), a.admin.ID: t0.Add(2 * time.Hour)}},
		{b.org.ID, map[gatehouse.UserID]time.Time{b.admin.ID: t0.Add(4 * time.Hour)}},
		{"org_x", map[gatehouse.UserID]time.Time{}},
	} {
		got, err := s.LastSignIns(context.Background(), c.org, nil)
		if err != nil {
			t.Fatalf("LastSignIns(%s): %v", c.org, err)
		}
		if d := cmp.Diff(c.want, got, diffOpts...); d != "" {
			t.Errorf("LastSignIns(%s) mismatch (-want +got):\n%s", c.org, d)
		}
	}
	// Counts over a period, by workspace or the whole organization.
	for _, c := range []struct {
		name        string
		ws          gatehouse.WorkspaceID
		since, till int
		want        map[gatehouse.UserID]gatehouse.SignInCount
	}{
		{"all", "", 0, 24, map[gatehouse.UserID]gatehouse.SignInCount{a.wsUser.ID: {Successes: 3}, a.admin.ID: {Successes: 1, Failures: 1}}},
		{"until is exclusive", "", 0, 3, map[gatehouse.UserID]gatehouse.SignInCount{a.wsUser.ID: {Successes: 1}, a.admin.ID: {Successes: 1}}},
		{"since", "", 4, 24, map[gatehouse.UserID]gatehouse.SignInCount{a.wsUser.ID: {Successes: 1}, a.admin.ID: {Failures: 1}}},
		{"workspace", a.ws.ID, 0, 24, nil},
	} {
		got, err := s.SignInCounts(context.Background(), a.org.ID, c.ws, t0.Add(time.Duration(c.since)*time.Hour), t0.Add(time.Duration(c.till)*time.Hour))
		if err != nil {
			t.Fatalf("SignInCounts(%s): %v", c.name, err)
		}
		if d := cmp.Diff(c.want, got, diffOpts...); d != "" {
			t.Errorf("SignInCounts(%s) mismatch (-want +got):\n%s", c.name, d)
		}
	}
	// Named users: only those, and only of the organization asked.
	got, err := s.LastSignIns(context.Background(), a.org.ID, []gatehouse.UserID{a.wsUser.ID, b.admin.ID, "usr_never"})
	if err != nil {
		t.Fatalf("LastSignIns(named): %v", err)
	}
	want := map[gatehouse.UserID]time.Time{a.wsUser.ID: t0.Add(5 * time.Hour)}
	if d := cmp.Diff(want, got, diffOpts...); d != "" {
		t.Errorf("LastSignIns(named) mismatch (-want +got):\n%s", d)
	}
}

// commitFailing appends evs in a transaction that then fails.
func commitFailing(s gatehouse.Store, evs ...*gatehouse.Event) error {
	return s.Update(context.Background(), func(tx gatehouse.Tx) error {
		for _, ev := range evs {
			ev.Revision = tx.Next()
			if err := tx.Append(ev); err != nil {
				return err
			}
		}
		return errors.New("changed my mind")
	})
}
