package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestConnString checks that each pool's connections get the settings
// durability and correctness depend on; SQLite would silently run without them.
func TestConnString(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	for _, tc := range []struct {
		role            string
		queryOnly, sync int
	}{{writer, 0, 1}, {reader, 1, 2}, {checkpointing, 0, 2}} {
		db, err := sql.Open("sqlite", connString(path, tc.role))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var mode string
		var sync, fk, busy, queryOnly, autockpt int
		if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatalf("%s: %v", tc.role, err)
		}
		for _, p := range []struct {
			name string
			dst  *int
		}{{"synchronous", &sync}, {"foreign_keys", &fk}, {"busy_timeout", &busy}, {"query_only", &queryOnly}, {"wal_autocheckpoint", &autockpt}} {
			if err := db.QueryRow("PRAGMA " + p.name).Scan(p.dst); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", tc.role, p.name, err)
			}
		}
		got := []any{mode, sync, fk, busy > 0, queryOnly, autockpt}
		want := []any{"wal", tc.sync, 1, true, tc.queryOnly, ckptNet}
		for i, name := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout set", "query_only", "wal_autocheckpoint"} {
			if got[i] != want[i] {
				t.Errorf("%s connection: %s = %v, want %v", tc.role, name, got[i], want[i])
			}
		}
	}
}
