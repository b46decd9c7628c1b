package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testRevisions checks that the events of one Update get consecutive
// revisions, are visible inside it, and that the next Update goes on from there.
func testRevisions(t *testing.T, h Harness) {
	s := h.Open(t)
	a := newWorld("a")
	ctx := context.Background()
	var nexts []gatehouse.Revision
	var appended []*gatehouse.Event
	err := s.Update(ctx, func(tx gatehouse.Tx) error {
		for _, ev := range []*gatehouse.Event{a.created(), event(a.org.ID, "a.two", nil), event("", "op.three", nil)} {
			nexts = append(nexts, tx.Next())
			ev.Revision = tx.Next()
			if err := tx.Append(ev); err != nil {
				return err
			}
			appended = append(appended, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if want := []gatehouse.Revision{1, 2, 3}; !cmp.Equal(nexts, want) {
		t.Errorf("Next() before each Append = %v, want %v", nexts, want)
	}
	if head, err := s.Head(ctx); err != nil || head != 3 {
		t.Errorf("Head = %d, %v; want 3", head, err)
	}
	err = s.Update(ctx, func(tx gatehouse.Tx) error {
		if got := tx.Next(); got != 4 {
			t.Errorf("Next() in the second Update = %d, want 4", got)
		}
		ev := event(a.org.ID, "a.four", nil)
		ev.Revision = tx.Next()
		if err := tx.Append(ev); err != nil {
			return err
		}
		got, err := tx.EventsAfter(2, 10)
		if err != nil {
			return err
		}
		if d := cmp.Diff([]*gatehouse.Event{appended[2], ev}, got, diffOpts...); d != "" {
			t.Errorf("Tx.EventsAfter(2, 10) mismatch (-want +got):\n%s", d)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("second Update: %v", err)
	}
}

// testEventsAfter checks that EventsAfter returns events as appended, in
// revision order, within the limit.
func testEventsAfter(t *testing.T, h Harness) {
	s := h.Open(t)
	var all []*gatehouse.Event
	for i := range 10 {
		org := gatehouse.OrgID([]string{"org_a", "org_b", ""}[i%3])
		ev := event(org, fmt.Sprintf("test.e%d", i+1), nil)
		ev.Time = t0.Add(time.Duration(i) * time.Minute)
		all = append(all, ev)
	}
	mustCommit(t, s, all[:4]...)
	mustCommit(t, s, all[4:]...)
	for _, tc := range []struct {
		after gatehouse.Revision
		limit int
		want  []*gatehouse.Event
	}{
		{0, 3, all[:3]},
		{0, 10, all},
		{0, 0, all}, // no limit: up to the store's cap
		{3, 2, all[3:5]},
		{7, 100, all[7:]},
		{10, 5, nil},
		{99, 5, nil},
	} {
		got := eventsAfter(t, s, tc.after, tc.limit)
		if d := cmp.Diff(tc.want, got, diffOpts...); d != "" {
			t.Errorf("EventsAfter(%d, %d) mismatch (-want +got):\n%s", tc.after, tc.limit, d)
		}
	}
}

// testConcurrent runs many writers at once: revisions stay gap-free, every
// event is stored exactly once, and each writer's events keep its order.
func testConcurrent(t *testing.T, h Harness) {
	const writers, each = 8, 50
	s := h.Open(t)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			org := gatehouse.OrgID([]string{"org_a", "org_b"}[w%2])
			for i := range each {
				ev := event(org, "test.concurrent", nil)
				ev.Target = gatehouse.Target{Type: gatehouse.KindUser, ID: fmt.Sprintf("w%d-%03d", w, i)}
				if err := commit(s, ev); err != nil {
					errs <- fmt.Errorf("writer %d, Update %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	evs := eventsAfter(t, s, 0, writers*each)
	if len(evs) != writers*each {
		t.Fatalf("EventsAfter(0) returned %d events, want %d", len(evs), writers*each)
	}
	seen := map[string]gatehouse.Revision{}
	for i, ev := range evs {
		if want := gatehouse.Revision(i + 1); ev.Revision != want {
			t.Fatalf("event %d has revision %d, want %d (gap-free)", i, ev.Revision, want)
		}
		if prev, dup := seen[ev.Target.ID]; dup {
			t.Fatalf("event %s stored twice, at %d and %d", ev.Target.ID, prev, ev.Revision)
		}
		seen[ev.Target.ID] = ev.Revision
	}
	for w := range writers {
		for i := 1; i < each; i++ {
			prev, cur := fmt.Sprintf("w%d-%03d", w, i-1), fmt.Sprintf("w%d-%03d", w, i)
			if seen[prev] >= seen[cur] {
				t.Errorf("%s at revision %d, after %s at %d: a writer's events out of order", cur, seen[cur], prev, seen[prev])
			}
		}
	}
	if head, err := s.Head(context.Background()); err != nil || head != writers*each {
		t.Errorf("Head = %d, %v; want %d", head, err, writers*each)
	}
	for _, org := range []gatehouse.OrgID{"org_a", "org_b"} {
		rep, err := s.VerifyChain(context.Background(), org)
		if err != nil || !rep.OK || rep.Checked != writers*each/2 {
			t.Errorf("VerifyChain(%s) = %+v, %v; want OK with %d checked", org, rep, err, writers*each/2)
		}
	}
}

// auditLog commits a small history of organizations a and b and the
// operator, for the filter tests. Revisions are in the comments.
func auditLog(t *testing.T, s gatehouse.Store) (a, b *world) {
	a, b = newWorld("a"), newWorld("b")
	at := func(ev *gatehouse.Event, hours int, actor gatehouse.UserID, ws gatehouse.WorkspaceID) *gatehouse.Event {
		ev.Time = t0.Add(time.Duration(hours) * time.Hour)
		if actor != "" {
			ev.Actor = gatehouse.Actor{Type: gatehouse.ActorUser, User: actor}
		}
		ev.Workspace = ws
		return ev
	}
	ea := a.edited()
	mustCommit(t, s,
		at(event(a.org.ID, "org.create", a.org, create(a.org)), 0, "", ""),                                 // 1
		at(event(a.org.ID, "workspace.create", a.ws, create(a.ws)), 1, a.admin.ID, a.ws.ID),                // 2
		at(event(a.org.ID, "user.create", a.admin, create(a.admin)), 2, "", ""),                            // 3
		at(event(b.org.ID, "org.create", b.org, create(b.org)), 2, "", ""),                                 // 4
		at(event(a.org.ID, "user.create", a.wsUser, create(a.wsUser)), 3, a.admin.ID, a.ws.ID),             // 5
		at(event(a.org.ID, "workspace.update", a.ws, update(a.wsUser, ea.wsUser)), 4, a.admin.ID, a.ws.ID), // 6
		at(event("", "org.update", b.org, update(b.org, b.edited().org)), 5, "", ""),                       // 7
		at(event(a.org.ID, "users.import", a.org), 6, a.wsUser.ID, ""),                                     // 8
		at(event(a.org.ID, "userxx.odd", a.org), 7, a.wsUser.ID, a.ws.ID),                                  // 9
		at(event(a.org.ID, "user.update", a.admin, update(a.admin, ea.admin)), 8, a.wsUser.ID, ""),         // 10
	)
	return a, b
}

// testListEvents checks every field of EventFilter.
func testListEvents(t *testing.T, h Harness) {
	s := h.Open(t)
	a, b := auditLog(t, s)
	for _, tc := range []struct {
		name string
		f    gatehouse.EventFilter
		want []gatehouse.Revision
	}{
		{"org", gatehouse.EventFilter{Org: a.org.ID}, []gatehouse.Revision{10, 9, 8, 6, 5, 3, 2, 1}},
		{"other org", gatehouse.EventFilter{Org: b.org.ID}, []gatehouse.Revision{4}},
		{"operator", gatehouse.EventFilter{}, []gatehouse.Revision{7}},
		{"unknown org", gatehouse.EventFilter{Org: "org_x"}, nil},
		{"workspace", gatehouse.EventFilter{Org: a.org.ID, Workspace: a.ws.ID}, []gatehouse.Revision{9, 6, 5, 2}},
		{"workspace of another org", gatehouse.EventFilter{Org: b.org.ID, Workspace: a.ws.ID}, nil},
		{"actor", gatehouse.EventFilter{Org: a.org.ID, Actor: a.admin.ID}, []gatehouse.Revision{6, 5, 2}},
		{"target or changed object", gatehouse.EventFilter{Org: a.org.ID, Target: string(a.wsUser.ID)},
			[]gatehouse.Revision{6, 5}},
		{"target", gatehouse.EventFilter{Org: a.org.ID, Target: string(a.org.ID)}, []gatehouse.Revision{9, 8, 1}},
		{"exact action", gatehouse.EventFilter{Org: a.org.ID, Action: "user.create"}, []gatehouse.Revision{5, 3}},
		{"action prefix", gatehouse.EventFilter{Org: a.org.ID, Action: "user."}, []gatehouse.Revision{10, 5, 3}},
		{"action prefix is not a pattern", gatehouse.EventFilter{Org: a.org.ID, Action: "user_x."}, nil},
		{"action prefix is not a pattern either", gatehouse.EventFilter{Org: a.org.ID, Action: "%."}, nil},
		{"action prefix is case-sensitive", gatehouse.EventFilter{Org: a.org.ID, Action: "USER."}, nil},
		{"action without the dot is exact", gatehouse.EventFilter{Org: a.org.ID, Action: "user"}, nil},
		{"since", gatehouse.EventFilter{Org: a.org.ID, Since: t0.Add(4 * time.Hour)}, []gatehouse.Revision{10, 9, 8, 6}},
		{"until", gatehouse.EventFilter{Org: a.org.ID, Until: t0.Add(2 * time.Hour)}, []gatehouse.Revision{2, 1}},
		{"until is exclusive to the nanosecond", gatehouse.EventFilter{Org: a.org.ID,
			Until: t0.Add(2*time.Hour + time.Nanosecond)}, []gatehouse.Revision{3, 2, 1}},
		{"since and until", gatehouse.EventFilter{Org: a.org.ID, Since: t0.Add(time.Hour), Until: t0.Add(4 * time.Hour)},
			[]gatehouse.Revision{5, 3, 2}},
		{"before", gatehouse.EventFilter{Org: a.org.ID, Before: 6}, []gatehouse.Revision{5, 3, 2, 1}},
		{"limit", gatehouse.EventFilter{Org: a.org.ID, Limit: 3}, []gatehouse.Revision{10, 9, 8}},
		{"all together", gatehouse.EventFilter{Org: a.org.ID, Workspace: a.ws.ID, Actor: a.admin.ID,
			Target: string(a.wsUser.ID), Action: "user.", Since: t0, Until: t0.Add(24 * time.Hour), Before: 10,
			Limit: 5}, []gatehouse.Revision{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListEvents(context.Background(), tc.f)
			if err != nil {
				t.Fatalf("ListEvents: %v", err)
			}
			if d := cmp.Diff(tc.want, revisions(got), diffOpts...); d != "" {
				t.Errorf("ListEvents(%+v) revisions mismatch (-want +got):\n%s", tc.f, d)
			}
		})
	}

	// The events are those appended, hash included.
	all := eventsAfter(t, s, 0, 0)
	got, err := s.ListEvents(context.Background(), gatehouse.EventFilter{Org: a.org.ID, Target: string(a.wsUser.ID)})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	if d := cmp.Diff([]*gatehouse.Event{all[5], all[4]}, got, diffOpts...); d != "" {
		t.Errorf("ListEvents events mismatch (-want +got):\n%s", d)
	}
}

// testListEventsPaging pages through an organization's log with Before.
func testListEventsPaging(t *testing.T, h Harness) {
	s := h.Open(t)
	a, _ := auditLog(t, s)
	var pages [][]gatehouse.Revision
	f := gatehouse.EventFilter{Org: a.org.ID, Limit: 3}
	for range 10 {
		evs, err := s.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", f, err)
		}
		if len(evs) == 0 {
			break
		}
		pages = append(pages, revisions(evs))
		f.Before = evs[len(evs)-1].Revision
	}
	want := [][]gatehouse.Revision{{10, 9, 8}, {6, 5, 3}, {2, 1}}
	if d := cmp.Diff(want, pages); d != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", d)
	}
}

// testLimits checks the default and the cap of ListEvents and EventsAfter.
func testLimits(t *testing.T, h Harness) {
	s := h.Open(t)
	evs := make([]*gatehouse.Event, 1001)
	for i := range evs {
		evs[i] = event("org_a", "test.limit", nil)
	}
	mustCommit(t, s, evs...)
	for _, tc := range []struct {
		limit, want int
	}{{0, 100}, {-1, 100}, {7, 7}, {1000, 1000}, {5000, 1000}} {
		got, err := s.ListEvents(context.Background(), gatehouse.EventFilter{Org: "org_a", Limit: tc.limit})
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(got) != tc.want {
			t.Errorf("ListEvents(Limit: %d) returned %d events, want %d", tc.limit, len(got), tc.want)
		}
	}
	for _, tc := range []struct {
		limit, want int
	}{{0, 1000}, {7, 7}, {5000, 1000}} {
		if got := eventsAfter(t, s, 0, tc.limit); len(got) != tc.want {
			t.Errorf("EventsAfter(0, %d) returned %d events, want %d", tc.limit, len(got), tc.want)
		}
	}
}

// testSavepoint checks that a part of a transaction that fails — here on a
// unique constraint, after it wrote an event and a vault row — leaves
// nothing behind, that Next is back where it was, and that the transaction
// goes on and commits what the other parts wrote, gap-free.
func testSavepoint(t *testing.T, h Harness) {
	s := h.Open(t)
	a := newWorld("a")
	ctx := context.Background()
	mustCommit(t, s, a.created())
	before := readState(t, s)
	var kept []*gatehouse.Event
	err := s.Update(ctx, func(tx gatehouse.Tx) error {
		appendOne := func(ev *gatehouse.Event) error {
			ev.Revision = tx.Next()
			return tx.Append(ev)
		}
		fine := &gatehouse.Group{ID: "grp_a8", Home: gatehouse.Home{Org: a.org.ID}, Name: "Fine"}
		ok1 := event(a.org.ID, "group.create", fine, create(fine))
		if err := tx.Savepoint(func() error { return appendOne(ok1) }); err != nil {
			return err
		}
		next := tx.Next()
		err := tx.Savepoint(func() error {
			if err := tx.Vault().PutWebhookSecret(a.org.ID, "half-written"); err != nil {
				return err
			}
			other := &gatehouse.Group{ID: "grp_a7", Home: gatehouse.Home{Org: a.org.ID}, Name: "Other"}
			if err := appendOne(event(a.org.ID, "group.create", other, create(other))); err != nil {
				return err
			}
			dup := *a.orgGroup
			dup.ID = "grp_a6"
			return appendOne(event(a.org.ID, "group.create", &dup, create(&dup)))
		})
		if gatehouse.KindOf(err) != gatehouse.KindConflict {
			t.Errorf("the failing part = %v, want a conflict", err)
		}
		if tx.Next() != next {
			t.Errorf("Next() after the failed part = %d, want %d", tx.Next(), next)
		}
		fine2 := &gatehouse.Group{ID: "grp_a5", Home: gatehouse.Home{Org: a.org.ID}, Name: "Fine too"}
		ok2 := event(a.org.ID, "group.create", fine2, create(fine2))
		if err := tx.Savepoint(func() error { return appendOne(ok2) }); err != nil {
			return err
		}
		kept = []*gatehouse.Event{ok1, ok2}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	head, _ := s.Head(ctx)
	evs, err := s.EventsAfter(ctx, head-2, 10)
	if err != nil || len(evs) != 2 || evs[0].Revision != kept[0].Revision || evs[1].Revision != kept[0].Revision+1 {
		t.Fatalf("events after the savepoints = %v, %v; want the two kept parts, consecutive", evs, err)
	}
	if _, err := s.WebhookSecret(ctx, a.org.ID); gatehouse.KindOf(err) != gatehouse.KindNotFound {
		t.Errorf("the failed part's vault row = %v, want none", err)
	}
	after := readState(t, s)
	if len(after.snap.Groups) != len(before.snap.Groups)+2 {
		t.Errorf("groups after = %d, want %d (the two kept parts only)", len(after.snap.Groups), len(before.snap.Groups)+2)
	}
	if report, err := s.VerifyChain(ctx, a.org.ID); err != nil || !report.OK {
		t.Errorf("VerifyChain after savepoints = %+v, %v", report, err)
	}
}

// testTargetBackfill opens a log written before migration 0012, when an
// event's target was found through an index of its own rather than
// event_objects: the migration must carry every target over, so filtering by
// target finds the same events as before.
func testTargetBackfill(t *testing.T, h Harness) {
	s := h.Open(t)
	a, _ := auditLog(t, s)
	h.Exec(t, s, "DELETE FROM event_objects WHERE object_id = '"+string(a.org.ID)+"'")
	h.Exec(t, s, "CREATE INDEX events_target ON events (org_id, target_id, revision)")
	h.Exec(t, s, "DELETE FROM schema_migrations WHERE version = 12")
	s = h.Reopen(t, s)
	got, err := s.ListEvents(context.Background(), gatehouse.EventFilter{Org: a.org.ID, Target: string(a.org.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]gatehouse.Revision{9, 8, 1}, revisions(got), diffOpts...); diff != "" {
		t.Errorf("events by target after the migration (-want +got):\n%s", diff)
	}
}
