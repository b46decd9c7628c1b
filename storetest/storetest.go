// Package storetest is the behavioural suite every gatehouse.Store runs: what
// Update writes and refuses, the revision order of the log, the event filters
// and the hash chain. A store's own test calls Run with a Harness.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gatehouse.dev/gatehouse"
)

// Harness is how a store plugs into the suite.
type Harness struct {
	// Open returns a new, empty, migrated store; the harness closes it when t ends.
	Open func(t *testing.T) gatehouse.Store
	// Exec runs query on s's database behind the store's back: the tamper tests
	// use it to play an attacker with write access to the database.
	Exec func(t *testing.T, s gatehouse.Store, query string)
	// Reopen, if set, closes s and opens the same database again, for the
	// durability test.
	Reopen func(t *testing.T, s gatehouse.Store) gatehouse.Store
	// Another, if set, opens a second store on s's database, as another node
	// would; the harness closes it when t ends.
	Another func(t *testing.T, s gatehouse.Store) gatehouse.Store
}

// Run runs the suite, one subtest per behaviour.
func Run(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"Conflict", testConflict},
		{"Allowed", testAllowed},
		{"Rollback", testRollback},
		{"Revisions", testRevisions},
		{"Savepoint", testSavepoint},
		{"EventsAfter", testEventsAfter},
		{"Concurrent", testConcurrent},
		{"ListEvents", testListEvents},
		{"ListEventsPaging", testListEventsPaging},
		{"AuditKeys", testAuditKeys},
		{"AuditKeysBackfill", testAuditKeysBackfill},
		{"TargetBackfill", testTargetBackfill},
		{"LastSignIns", testLastSignIns},
		{"Limits", testLimits},
		{"Chain", testChain},
		{"ChainAcrossHandles", testChainAcrossHandles},
		{"TablesRebuilt", testTablesRebuilt},
		{"VerifyChain", testVerifyChain},
		{"Durability", testDurability},
		{"VaultCredential", testVaultCredential},
		{"VaultSessions", testVaultSessions},
		{"VaultTokens", testVaultTokens},
		{"VaultOutbox", testVaultOutbox},
		{"VaultInUpdate", testVaultInUpdate},
		{"VaultTokenBuckets", testVaultTokenBuckets},
		{"VaultCeremonies", testVaultCeremonies},
		{"VaultKeptAnswers", testVaultKeptAnswers},
		{"Notes", testNotes},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, h) })
	}
}

// t0 has nanoseconds so a store that rounds times is caught.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// diffOpts compares stores' answers: an empty list and no list are the same,
// and what a change remembers of its decoding is not part of it.
var diffOpts = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(gatehouse.Change{})}

// event returns an event of org about target (a stored object, or nil).
func event(org gatehouse.OrgID, action string, target any, changes ...gatehouse.Change) *gatehouse.Event {
	ev := &gatehouse.Event{
		Org:     org,
		Time:    t0,
		Actor:   gatehouse.Actor{Type: gatehouse.ActorOperator},
		Source:  gatehouse.Source{Via: "storetest", RequestID: "req-1"},
		Action:  action,
		Changes: changes,
	}
	if target != nil {
		kind, id := identify(target)
		ev.Target = gatehouse.Target{Type: kind, ID: id}
	}
	return ev
}

// identify returns a stored object's kind and change id.
func identify(v any) (gatehouse.ObjectKind, string) {
	switch o := v.(type) {
	case *gatehouse.Org:
		return gatehouse.KindOrg, string(o.ID)
	case *gatehouse.Workspace:
		return gatehouse.KindWorkspace, string(o.ID)
	case *gatehouse.User:
		return gatehouse.KindUser, string(o.ID)
	case *gatehouse.Group:
		return gatehouse.KindGroup, string(o.ID)
	case *gatehouse.Membership:
		return gatehouse.KindMembership, o.Key()
	case *gatehouse.Role:
		return gatehouse.KindRole, string(o.ID)
	case *gatehouse.Assignment:
		return gatehouse.KindAssignment, string(o.ID)
	case *gatehouse.Template:
		return gatehouse.KindTemplate, string(o.ID)
	case *gatehouse.APIKey:
		return gatehouse.KindAPIKey, string(o.ID)
	}
	panic(fmt.Sprintf("storetest: not a stored object: %T", v))
}

// create, update and remove return the change that makes, alters or deletes v.
func create(v any) gatehouse.Change {
	kind, id := identify(v)
	return gatehouse.Change{Kind: kind, ID: id, After: gatehouse.MustJSON(v)}
}

func update(before, after any) gatehouse.Change {
	kind, id := identify(after)
	return gatehouse.Change{Kind: kind, ID: id, Before: gatehouse.MustJSON(before), After: gatehouse.MustJSON(after)}
}

func remove(v any) gatehouse.Change {
	kind, id := identify(v)
	return gatehouse.Change{Kind: kind, ID: id, Before: gatehouse.MustJSON(v)}
}

// commit appends evs in one Update, each at the next revision.
func commit(s gatehouse.Store, evs ...*gatehouse.Event) error {
	return s.Update(context.Background(), func(tx gatehouse.Tx) error {
		for _, ev := range evs {
			ev.Revision = tx.Next()
			if err := tx.Append(ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// commitAll appends evs in one Update through AppendAll.
func commitAll(s gatehouse.Store, evs ...*gatehouse.Event) error {
	return s.Update(context.Background(), func(tx gatehouse.Tx) error {
		for i, ev := range evs {
			ev.Revision = tx.Next() + gatehouse.Revision(i)
		}
		return tx.AppendAll(evs)
	})
}

func mustCommit(t *testing.T, s gatehouse.Store, evs ...*gatehouse.Event) {
	t.Helper()
	if err := commit(s, evs...); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// state is what a failed write must leave untouched.
type state struct {
	head gatehouse.Revision
	snap *gatehouse.Snapshot
	log  []*gatehouse.Event
}

func readState(t *testing.T, s gatehouse.Store) state {
	t.Helper()
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return state{head: head, snap: snapshot(t, s), log: eventsAfter(t, s, 0, 0)}
}

// checkUnchanged fails t if s no longer holds st.
func checkUnchanged(t *testing.T, s gatehouse.Store, st state) {
	t.Helper()
	now := readState(t, s)
	if now.head != st.head {
		t.Errorf("Head = %d, want %d (unchanged)", now.head, st.head)
	}
	if d := cmp.Diff(st.snap, now.snap, diffOpts...); d != "" {
		t.Errorf("Snapshot changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(st.log, now.log, diffOpts...); d != "" {
		t.Errorf("event log changed (-before +after):\n%s", d)
	}
}

func snapshot(t *testing.T, s gatehouse.Store) *gatehouse.Snapshot {
	t.Helper()
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return snap
}

func eventsAfter(t *testing.T, s gatehouse.Store, after gatehouse.Revision, limit int) []*gatehouse.Event {
	t.Helper()
	evs, err := s.EventsAfter(context.Background(), after, limit)
	if err != nil {
		t.Fatalf("EventsAfter(%d, %d): %v", after, limit, err)
	}
	return evs
}

func revisions(evs []*gatehouse.Event) []gatehouse.Revision {
	revs := make([]gatehouse.Revision, len(evs))
	for i, ev := range evs {
		revs[i] = ev.Revision
	}
	return revs
}

// checkError fails t unless err is a *gatehouse.Error of kind and code.
func checkError(t *testing.T, err error, kind gatehouse.Kind, code string) *gatehouse.Error {
	t.Helper()
	var e *gatehouse.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *gatehouse.Error of kind %s", err, err, kind)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("error = %v (kind %s, code %q), want kind %s, code %q", err, e.Kind, e.Code, kind, code)
	}
	return e
}
