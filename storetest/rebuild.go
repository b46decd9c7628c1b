package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testTablesRebuilt runs the migration that rebuilds event_objects in place
// (SQLite's 0019 copies its rows into a table clustered on its key) again
// over a store holding two organizations: nothing is lost or changed, and
// the log still finds events by the objects they changed.
func testTablesRebuilt(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen a store")
	}
	ctx := context.Background()
	s := h.Open(t)
	a, b := newWorld("a"), newWorld("b")
	mustCommit(t, s, a.created(), b.created())
	mustCommit(t, s, event(a.org.ID, "user.update", a.admin, update(a.admin, a.edited().admin)))
	byObject := gatehouse.EventFilter{Org: a.org.ID, Target: string(a.admin.ID)}
	found, err := s.ListEvents(ctx, byObject)
	if err != nil || len(found) != 2 {
		t.Fatalf("events of the admin before the rebuild = %d, %v; want 2", len(found), err)
	}
	before := readState(t, s)
	h.Exec(t, s, "DELETE FROM schema_migrations WHERE version = 19")
	s = h.Reopen(t, s)
	checkUnchanged(t, s, before)
	again, err := s.ListEvents(ctx, byObject)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(revisions(found), revisions(again)); d != "" {
		t.Errorf("events of the admin after the rebuild (-before +after):\n%s", d)
	}
}
