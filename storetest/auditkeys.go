package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testAuditKeys checks the filters a store may answer from an index written
// behind the log: commits of many sizes leave part of the log indexed and a
// tail that is not, and every filter, page and limit still answers exactly
// what a scan of the log would.
func testAuditKeys(t *testing.T, h Harness) {
	s := h.Open(t)
	orgs := []gatehouse.OrgID{"org_a", "org_b"}
	wss := []gatehouse.WorkspaceID{"", "ws_1", "ws_2", "ws_3"}
	actors := []gatehouse.UserID{"usr_1", "usr_2", "usr_3"}
	actions := []string{"user.create", "user.update", "group.member.add", "assignment.create"}
	var all []*gatehouse.Event
	n := 0
	for _, size := range []int{1, 100, 300, 50, 149, 7} {
		evs := make([]*gatehouse.Event, size)
		for i := range evs {
			n++
			ev := event(orgs[n%2], actions[n%4], nil)
			ev.Workspace, ev.Actor = wss[n%3+n%2], gatehouse.Actor{Type: gatehouse.ActorUser, User: actors[n%5%3]}
			evs[i] = ev
		}
		mustCommit(t, s, evs...)
		all = append(all, evs...)
	}

	var filters []gatehouse.EventFilter
	for _, org := range orgs {
		for _, ws := range wss[1:] {
			filters = append(filters, gatehouse.EventFilter{Org: org, Workspace: ws})
		}
		for _, u := range actors {
			filters = append(filters, gatehouse.EventFilter{Org: org, Actor: u}, gatehouse.EventFilter{Org: org, ActorID: string(u)})
		}
		for _, a := range actions {
			filters = append(filters, gatehouse.EventFilter{Org: org, Action: a})
		}
		filters = append(filters, gatehouse.EventFilter{Org: org, Workspace: "ws_2", Actor: "usr_1", Action: "user.update"})
	}
	for _, f := range filters {
		for _, before := range []gatehouse.Revision{0, 2, 101, 257, 300, 401, 451, 600, 607} {
			for _, limit := range []int{7, 1000} {
				f.Before, f.Limit = before, limit
				got, err := s.ListEvents(context.Background(), f)
				if err != nil {
					t.Fatalf("ListEvents(%+v): %v", f, err)
				}
				if d := cmp.Diff(scan(all, f), revisions(got), diffOpts...); d != "" {
					t.Fatalf("ListEvents(%+v) mismatch (-scan +got):\n%s", f, d)
				}
			}
		}
	}
}

// scan is what a filter selects, newest first, found by reading every event.
func scan(all []*gatehouse.Event, f gatehouse.EventFilter) []gatehouse.Revision {
	var out []gatehouse.Revision
	for i := len(all) - 1; i >= 0 && len(out) < f.Limit; i-- {
		ev := all[i]
		switch {
		case ev.Org != f.Org, f.Before > 0 && ev.Revision >= f.Before,
			f.Workspace != "" && ev.Workspace != f.Workspace,
			f.Actor != "" && ev.Actor.ID() != string(f.Actor),
			f.ActorID != "" && ev.Actor.ID() != f.ActorID,
			f.Action != "" && ev.Action != f.Action:
			continue
		}
		out = append(out, ev.Revision)
	}
	return out
}

// testAuditKeysBackfill rolls a store back to before audit_keys (migration
// 18) and migrates it again: the log's existing events are found by
// workspace, actor and action through the keys the migration wrote.
func testAuditKeysBackfill(t *testing.T, h Harness) {
	s := h.Open(t)
	a, _ := auditLog(t, s)
	for _, q := range []string{"DROP TABLE audit_keys", "ALTER TABLE head DROP COLUMN indexed",
		"CREATE INDEX events_workspace ON events (org_id, workspace_id, revision)",
		"CREATE INDEX events_actor ON events (org_id, actor_id, revision)",
		"CREATE INDEX events_action ON events (org_id, action, revision)",
		"DELETE FROM schema_migrations WHERE version = 18"} {
		h.Exec(t, s, q)
	}
	s = h.Reopen(t, s)
	for _, tc := range []struct {
		f    gatehouse.EventFilter
		want []gatehouse.Revision
	}{
		{gatehouse.EventFilter{Org: a.org.ID, Workspace: a.ws.ID}, []gatehouse.Revision{9, 6, 5, 2}},
		{gatehouse.EventFilter{Org: a.org.ID, Actor: a.admin.ID}, []gatehouse.Revision{6, 5, 2}},
		{gatehouse.EventFilter{Org: a.org.ID, Action: "user.create"}, []gatehouse.Revision{5, 3}},
	} {
		got, err := s.ListEvents(context.Background(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, revisions(got), diffOpts...); diff != "" {
			t.Errorf("ListEvents(%+v) after the migration (-want +got):\n%s", tc.f, diff)
		}
	}
}
