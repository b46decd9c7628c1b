package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sqlite"
	"gatehouse.dev/gatehouse/storetest"
)

func TestStore(t *testing.T) {
	paths := map[gatehouse.Store]string{} // the suite's subtests run one at a time
	open := func(t *testing.T, path string) gatehouse.Store {
		t.Helper()
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		t.Cleanup(func() { db.Close() })
		paths[db] = path
		return db
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) gatehouse.Store {
			return open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
		},
		Exec: func(t *testing.T, s gatehouse.Store, query string) {
			t.Helper()
			// A connection of its own, as an attacker with the file would have.
			db, err := sql.Open("sqlite", paths[s])
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(query); err != nil {
				t.Fatalf("Exec(%s): %v", query, err)
			}
		},
		Reopen: func(t *testing.T, s gatehouse.Store) gatehouse.Store {
			t.Helper()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, paths[s])
		},
		Another: func(t *testing.T, s gatehouse.Store) gatehouse.Store { return open(t, paths[s]) },
	})
}

// TestTwoProcesses writes to one file through two DBs at once, as two
// gatehouse processes would: BEGIN IMMEDIATE and the busy timeout must keep
// every Update and keep revisions gap-free.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	var dbs []*sqlite.DB
	for range 2 {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	const each = 50
	errs := make(chan error, 2*each)
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Go(func() {
			for range each {
				errs <- db.Update(context.Background(), func(tx gatehouse.Tx) error {
					return tx.Append(&gatehouse.Event{Revision: tx.Next(), Org: "org_a", Action: "test.write"})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	evs, err := dbs[0].EventsAfter(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Revision != gatehouse.Revision(i+1) {
			t.Fatalf("event %d has revision %d, want %d", i, ev.Revision, i+1)
		}
	}
	if len(evs) != 2*each {
		t.Errorf("%d events, want %d", len(evs), 2*each)
	}
	if rep, err := dbs[1].VerifyChain(context.Background(), "org_a"); err != nil || !rep.OK {
		t.Errorf("VerifyChain = %+v, %v; want OK", rep, err)
	}
}
