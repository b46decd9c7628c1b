package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sqlite"
)

// Under writes that never pause, the WAL still starts over: the checkpointer
// copies it back beside the writer and finishes between two transactions.
// Without it the WAL below grows to SQLite's own net, 20,000 pages.
func TestWALStartsOverUnderConstantWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	detail := strings.Repeat("x", 3000) // about a page an event
	for i := range 6000 {
		err := db.Update(context.Background(), func(tx gatehouse.Tx) error {
			return tx.Append(&gatehouse.Event{Revision: tx.Next(), Org: "org_a", Time: time.Now().UTC(),
				Actor: gatehouse.Actor{Type: gatehouse.ActorOperator}, Action: "test.write", Detail: detail})
		})
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if pages := st.Size() / 4096; pages > 6000 {
		t.Errorf("the WAL grew to %d pages while writing; it should start over past a few thousand", pages)
	}
}
