// Package sqlite is the single-node gatehouse.Store: one SQLite file, no
// other process. The queries are sqlstore's; this package opens the file with
// the settings that make it safe and supplies the SQLite dialect.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"gatehouse.dev/gatehouse/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a gatehouse.Store on one SQLite file.
type DB struct {
	*sqlstore.DB
	side *sql.DB // the checkpointer's connection
	ckpt *checkpointer
	wal  string // the WAL's path, for Sync
}

// Open opens the database file at path, creating it if needed, and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: path %q: must not contain ?", path)
	}
	write, err := sql.Open("sqlite", connString(path, writer))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: this process's writers queue in Go rather than in
	// SQLite's busy loop, and BEGIN IMMEDIATE handles other processes.
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", connString(path, reader))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	side, err := sql.Open("sqlite", connString(path, checkpointing))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	side.SetMaxOpenConns(1)

	db := &DB{DB: sqlstore.New(write, read, dialect), side: side, wal: path + "-wal"}
	sub, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = db.Migrate(ctx, sub)
	}
	if err == nil {
		err = db.Sync()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.ckpt = startCheckpointer(side, write)
	return db, nil
}

// Close stops the checkpointer and closes the connections; the last one to
// close copies what is left of the WAL.
func (db *DB) Close() error {
	if db.ckpt != nil {
		db.ckpt.close()
	}
	return errors.Join(db.side.Close(), db.DB.Close())
}

// What each pool adds to the settings every connection has.
const (
	// A deferred transaction that reads the head and then writes fails with
	// SQLITE_BUSY if another process wrote in between, and busy_timeout cannot
	// cure that; BEGIN IMMEDIATE takes the write lock first, waiting for it.
	//
	// The writer also keeps its statement journals and sorts in memory
	// (temp_store): an upsert's journal of the pages it changes would
	// otherwise spill to a temporary file, created and removed again inside
	// the commit that every write waits for. And it caches 32 MiB of pages
	// rather than 2, so that the leaves a commit changes are mostly at hand.
	//
	// It commits with synchronous=NORMAL, and Sync puts its commits on disk
	// before they are acknowledged (durable.go).
	writer = "_txlock=immediate&_synchronous=NORMAL&_pragma=temp_store(2)&_pragma=cache_size(-32768)"
	// Snapshots and the event feed only read; make that a rule.
	reader = "_query_only=1&_synchronous=FULL"
	// The checkpointer syncs what it copies before SQLite may drop it from the WAL.
	checkpointing = "_synchronous=FULL"
)

// connString is the DSN of a connection to path. The driver strips the query
// from a plain path, so path is used as is, without URI escaping.
func connString(path, role string) string {
	// Every connection gets these settings:
	//   - WAL, so readers (snapshots, the event feed) never wait for the writer.
	//   - foreign_keys: SQLite leaves them off unless asked, per connection.
	//   - busy_timeout: another process (gatehouse migrate, a backup) may hold
	//     the lock for a moment; wait for it rather than fail.
	//   - wal_autocheckpoint: a net only; the checkpointer copies the WAL back.
	return path + "?_journal_mode=WAL&_foreign_keys=1&_busy_timeout=10000&" +
		"_pragma=wal_autocheckpoint(" + strconv.Itoa(ckptNet) + ")&" + role
}

var dialect = sqlstore.Dialect{
	// The write connection's BEGIN IMMEDIATE already holds the write lock.
	LockHead: "SELECT revision, indexed FROM head WHERE id = 1",
	// A read transaction in WAL mode sees one snapshot from its first read on.
	ReadTx:    &sql.TxOptions{ReadOnly: true},
	Violation: violation,
}

// violation classifies SQLite's extended result codes, which modernc enables.
func violation(err error) sqlstore.Violation {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.NoViolation
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Unique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey
	}
	return sqlstore.NoViolation
}
