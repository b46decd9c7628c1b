// Package sqlstore is the gatehouse.Store both SQL stores share: the queries,
// the hash chain and the migration runner are written once here, and the
// sqlite and postgres packages supply only a Dialect and their migrations.
//
// State lives in one table per object kind: typed key columns carry the
// uniqueness and reference constraints, and a data column holds the object's
// JSON, which is what reads decode. Every write also appends an event whose
// exact JSON is kept with its SHA-256, chained per organization.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"

	"gatehouse.dev/gatehouse"
)

// Violation is the kind of constraint a failed statement broke.
type Violation int

const (
	NoViolation Violation = iota // not a constraint violation (or one we do not map)
	Unique                       // unique or primary key
	ForeignKey                   // a reference to a missing row, or from a row still there
)

// Dialect is what differs between the databases a DB runs on.
type Dialect struct {
	// Numbered rewrites the ? placeholders queries are written with into $1, $2, …
	Numbered bool
	// LockHead is the first statement of every write transaction: it returns the
	// head revision and the revision audit_keys is complete to (audit.go), and
	// must keep every other writer out until the transaction ends.
	LockHead string
	// LockMigrations, if set, runs first in each migration's transaction, to keep
	// migrators started at the same time from applying a migration twice.
	LockMigrations string
	// ReadTx are the options of the transaction Snapshot reads in; it must see
	// one consistent state across all its statements.
	ReadTx *sql.TxOptions
	// Violation classifies a driver error by its error code (never its text).
	Violation func(err error) Violation
	// MultiRow appends many events in multi-row statements (AppendAll): worth
	// it where each statement is a round trip to a server; in-process SQLite
	// runs its prepared one-row statements faster than it parses long ones.
	MultiRow bool
	// Pipeline, if set, sends a transaction's statements on its connection in
	// one round trip and runs them in order, stopping at the first that fails:
	// it returns that statement's index and error, or -1 and nil. AppendAll
	// sends a group's writes through it (pipe.go); without it they run one by one.
	Pipeline func(ctx context.Context, conn *sql.Conn, stmts []Stmt) (int, error)
	// Notify, if set, runs before a transaction that appended events commits,
	// with the last revision as its argument, to wake other nodes' followers.
	// It is a SELECT without FROM: the head's update is joined to it.
	Notify string
}

// rebind turns a query written with ? placeholders into the dialect's form.
// Queries here never hold a literal "?", so a plain scan is enough.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DB is a gatehouse.Store over database/sql.
type DB struct {
	write *sql.DB // Update and migrations
	read  *sql.DB // Snapshot, Head, events; may be the same pool as write
	d     Dialect
	// stmts are the write path's fixed statements, prepared on the write
	// pool before the first write transaction begins: preparing one inside a
	// transaction would wait for a connection the transaction holds.
	stmts    map[string]*sql.Stmt
	stmtsErr error
	stmtOnce sync.Once
	hashes   lastHashes
}

// lastHashes keeps each organization's newest event hash as this node's
// last commit left it, so that the next transaction chains its events
// without reading the log back: valid while the head is still that commit's
// (no other node wrote since).
type lastHashes struct {
	mu   sync.Mutex
	asOf gatehouse.Revision
	last map[gatehouse.OrgID]string
}

func (h *lastHashes) get(head gatehouse.Revision, org gatehouse.OrgID) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.asOf != head {
		return "", false
	}
	prev, ok := h.last[org]
	return prev, ok
}

// committed records the hashes of a transaction that moved the head from
// head to to; what was known before it stays true only if the head was
// still where it was known.
func (h *lastHashes) committed(head, to gatehouse.Revision, last map[gatehouse.OrgID]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.asOf != head || h.last == nil {
		h.last = map[gatehouse.OrgID]string{}
	}
	maps.Copy(h.last, last)
	h.asOf = to
}

// writeStatements are the statements every write runs, with ? placeholders.
func (db *DB) writeStatements() []string {
	qs := []string{db.d.LockHead, db.moveHeadSQL(), insertEventSQL, insertEventObjectSQL, upsertSignInSQL, insertNotificationSQL, notePrefsOfSQL + "?)"}
	for _, t := range tables {
		qs = append(qs, t.upsert, t.delete)
	}
	return qs
}

// prepare prepares the write statements once, outside any transaction.
func (db *DB) prepare(ctx context.Context) error {
	db.stmtOnce.Do(func() {
		db.stmts = map[string]*sql.Stmt{}
		for _, q := range db.writeStatements() {
			st, err := db.write.PrepareContext(ctx, db.d.rebind(q))
			if err != nil {
				db.stmtsErr = gatehouse.Internal(fmt.Errorf("prepare %q: %w", q, err))
				return
			}
			db.stmts[q] = st
		}
	})
	return db.stmtsErr
}

// prepared returns the statement prepared for q.
func (db *DB) prepared(q string) (*sql.Stmt, error) {
	if st := db.stmts[q]; st != nil {
		return st, nil
	}
	return nil, gatehouse.Internal(fmt.Errorf("statement not prepared: %q", q))
}

var _ gatehouse.Store = (*DB)(nil)

// New returns a DB writing through write and reading through read, which may
// be the same pool. The schema must already be migrated (see Migrate).
func New(write, read *sql.DB, d Dialect) *DB {
	return &DB{write: write, read: read, d: d}
}

// Close closes both pools.
func (db *DB) Close() error {
	for _, st := range db.stmts {
		st.Close()
	}
	var err error
	if db.read != db.write {
		err = db.read.Close()
	}
	return errors.Join(err, db.write.Close())
}

// Head returns the last committed revision. Errors are KindInternal.
func (db *DB) Head(ctx context.Context) (gatehouse.Revision, error) {
	var rev gatehouse.Revision
	if err := db.read.QueryRowContext(ctx, "SELECT revision FROM head WHERE id = 1").Scan(&rev); err != nil {
		return 0, gatehouse.Internal(fmt.Errorf("read head: %w", err))
	}
	return rev, nil
}

// Update runs fn in one write transaction that holds the head lock from its
// first statement, so writers are serialised and revisions are handed out in
// commit order. If fn returns an error, or any Append failed (even one whose
// error fn ignored), nothing is written and that error is returned. Constraint
// violations are KindConflict; other failures are KindInternal.
func (db *DB) Update(ctx context.Context, fn func(gatehouse.Tx) error) error {
	if err := db.prepare(ctx); err != nil {
		return err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("begin: %w", err))
	}
	defer conn.Close() // back to the pool
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("begin: %w", err))
	}
	defer sqlTx.Rollback() // a no-op once committed
	t := &tx{ctx: ctx, tx: sqlTx, conn: conn, db: db, d: &db.d}
	var head, indexed gatehouse.Revision
	lock, err := t.bound(db.d.LockHead)
	if err == nil {
		err = lock.QueryRowContext(ctx).Scan(&head, &indexed)
	}
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("lock head: %w", err))
	}
	t.head, t.next = head, head+1
	if err := fn(t); err != nil {
		return err
	}
	// A failed statement leaves an SQLite transaction open with the change's
	// earlier rows in it; committing would write half an event.
	if t.err != nil {
		return t.err
	}
	if t.next > head+1 {
		var err error
		if indexed, err = t.indexAudit(indexed); err != nil {
			return err
		}
		if err := t.moveHead(t.next-1, indexed); err != nil {
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return gatehouse.Internal(fmt.Errorf("commit: %w", err))
	}
	if t.next > head+1 {
		db.hashes.committed(head, t.next-1, t.last)
	}
	return nil
}

// moveHead sets the head and the audit keys' mark and, where the dialect
// wakes other nodes, wakes them in the same statement: one round trip.
func (t *tx) moveHead(last, indexed gatehouse.Revision) error {
	args := []any{int64(last), int64(indexed)}
	if t.d.Notify != "" {
		args = append(args, strconv.FormatInt(int64(last), 10))
	}
	if err := t.execPrepared(t.db.moveHeadSQL(), args...); err != nil {
		return gatehouse.Internal(fmt.Errorf("move the head: %w", err))
	}
	return nil
}

// moveHeadSQL is moveHead's statement in the dialect.
func (db *DB) moveHeadSQL() string {
	q := "UPDATE head SET revision = ?, indexed = ? WHERE id = 1"
	if db.d.Notify != "" {
		q = "WITH moved AS (" + q + " RETURNING 1) " + db.d.Notify + " FROM moved"
	}
	return q
}

// querier is what both a pool and a transaction offer for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
