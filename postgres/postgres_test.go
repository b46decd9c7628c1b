package postgres_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for Exec's own connection

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/storetest"
)

func TestStore(t *testing.T) {
	dsns := map[gatehouse.Store]string{} // the suite's subtests run one at a time
	open := func(t *testing.T, dsn string) gatehouse.Store {
		t.Helper()
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		dsns[db] = dsn
		return db
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) gatehouse.Store { return open(t, postgrestest.DSN(t)) },
		Exec: func(t *testing.T, s gatehouse.Store, query string) {
			t.Helper()
			db, err := sql.Open("pgx", dsns[s])
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
			return open(t, dsns[s])
		},
		Another: func(t *testing.T, s gatehouse.Store) gatehouse.Store { return open(t, dsns[s]) },
	})
}

// TestOpenConcurrently starts several nodes on one new database at once: the
// advisory lock lets exactly one of them apply each migration.
func TestOpenConcurrently(t *testing.T) {
	dsn := postgrestest.DSN(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			db, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, heads int
	if err := db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM head").Scan(&heads); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) || heads != 1 {
		t.Errorf("after %d concurrent Opens: %d migrations recorded, %d head rows; want %d and 1", nodes, applied, heads, len(files))
	}
}
