package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"

	"gatehouse.dev/gatehouse"
)

// tx is a gatehouse.Tx: one write transaction holding the head lock.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	conn  *sql.Conn // tx's connection, for Dialect.Pipeline
	db    *DB
	stmts map[string]*sql.Stmt // prepared statements bound to tx
	d     *Dialect
	head  gatehouse.Revision // the head when the transaction began
	next  gatehouse.Revision
	err   error // the first failed Append; Update then writes nothing
	// last is the hash of each organization's newest event in this
	// transaction, so that chaining an event reads the log once per
	// organization and transaction rather than once per event.
	last map[gatehouse.OrgID]string
}

func (t *tx) exec(q string, args ...any) error {
	_, err := t.tx.ExecContext(t.ctx, t.d.rebind(q), args...)
	return err
}

// execPrepared runs one of the write path's fixed statements through a
// statement prepared once per connection: parsing SQL again for every write
// cost SQLite a sixth of a write's time inside the writer's lock.
func (t *tx) execPrepared(q string, args ...any) error {
	st, err := t.bound(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(t.ctx, args...)
	return err
}

// bound is q's prepared statement bound to the transaction, bound once.
func (t *tx) bound(q string) (*sql.Stmt, error) {
	if st := t.stmts[q]; st != nil {
		return st, nil
	}
	st, err := t.db.prepared(q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = t.tx.StmtContext(t.ctx, st)
	return t.stmts[q], nil
}

// Savepoint runs fn inside an SQL savepoint (SQLite and PostgreSQL spell it
// alike): a group of writes committed together lets each fail on its own.
func (t *tx) Savepoint(fn func() error) error {
	if t.err != nil {
		return t.err
	}
	if err := t.exec("SAVEPOINT part"); err != nil {
		return gatehouse.Internal(fmt.Errorf("savepoint: %w", err))
	}
	next, last := t.next, maps.Clone(t.last)
	err := fn()
	if err == nil && t.err != nil {
		err = t.err
	}
	if err != nil {
		t.next, t.err, t.last = next, nil, last
		if rerr := t.exec("ROLLBACK TO SAVEPOINT part"); rerr != nil {
			t.err = gatehouse.Internal(fmt.Errorf("roll back to savepoint: %w", rerr))
			return t.err
		}
	}
	if rerr := t.exec("RELEASE SAVEPOINT part"); rerr != nil {
		t.err = gatehouse.Internal(fmt.Errorf("release savepoint: %w", rerr))
		return t.err
	}
	return err
}

// Next is the revision the next appended event must carry.
func (t *tx) Next() gatehouse.Revision { return t.next }

// EventsAfter reads events inside the transaction, including those it appended.
func (t *tx) EventsAfter(after gatehouse.Revision, limit int) ([]*gatehouse.Event, error) {
	return eventsAfter(t.ctx, t.tx, t.d, after, limit)
}

// Append applies ev's changes to the state tables, chains ev to its
// organization's previous event and writes it. A wrong revision is
// KindInternal; a unique or foreign-key violation is KindConflict. After a
// failed Append the transaction is spoiled: later Appends return the same error.
func (t *tx) Append(ev *gatehouse.Event) error {
	if t.err != nil {
		return t.err
	}
	if err := t.append(ev); err != nil {
		t.err = err
		return err
	}
	t.next++
	return nil
}

func (t *tx) append(ev *gatehouse.Event) error {
	return t.appendOne(ev, t.next)
}

// appendOne writes one event, which must carry revision want, and its changes.
func (t *tx) appendOne(ev *gatehouse.Event, want gatehouse.Revision) error {
	if ev.Revision != want {
		return gatehouse.Internal(fmt.Errorf("append revision %d, want %d", ev.Revision, want))
	}
	for _, c := range ev.Changes {
		if err := t.apply(c); err != nil {
			return err
		}
	}
	if err := t.writeEvent(ev); err != nil {
		return gatehouse.Internal(fmt.Errorf("append event %d: %w", ev.Revision, err))
	}
	return nil
}

// apply writes one change to its state table.
func (t *tx) apply(c gatehouse.Change) error {
	sw, err := prepareWrite(c)
	if err != nil {
		return err
	}
	q := sw.tbl.upsert
	if sw.del {
		q = sw.tbl.delete
	}
	if err := t.execPrepared(q, sw.args...); err != nil {
		return t.d.conflict(c, err)
	}
	return nil
}

// conflict turns the driver error of a failed change into a domain error.
func (d *Dialect) conflict(c gatehouse.Change, err error) error {
	switch d.Violation(err) {
	case Unique:
		return &gatehouse.Error{Kind: gatehouse.KindConflict, Code: "conflict", Message: tables[c.Kind].clash, Err: err}
	case ForeignKey:
		msg := fmt.Sprintf("%s refers to an object that does not exist", c.Kind)
		if len(c.After) == 0 {
			msg = fmt.Sprintf("%s is still referred to", c.Kind)
		}
		return &gatehouse.Error{Kind: gatehouse.KindConflict, Code: "reference", Message: msg, Err: err}
	}
	return gatehouse.Internal(fmt.Errorf("write %s %s: %w", c.Kind, c.ID, err))
}

// lastHash is the hash of the organization's newest event, this
// transaction's included.
func (t *tx) lastHash(org gatehouse.OrgID) (string, error) {
	if prev, ok := t.last[org]; ok {
		return prev, nil
	}
	if prev, ok := t.db.hashes.get(t.head, org); ok {
		return prev, nil
	}
	var prev string
	err := t.tx.QueryRowContext(t.ctx, t.d.rebind(
		"SELECT hash FROM events WHERE org_id = ? ORDER BY revision DESC LIMIT 1"), string(org)).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return prev, err
}

const (
	insertEventSQL = `INSERT INTO events (revision, org_id, workspace_id, time, actor_id, action,
		target_type, target_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertEventObjectSQL = "INSERT INTO event_objects (object_id, revision) VALUES (?, ?) ON CONFLICT DO NOTHING"
)

// writeEvent chains ev to its organization's last event, stores its exact
// JSON and hash, and indexes the objects it changed.
func (t *tx) writeEvent(ev *gatehouse.Event) error {
	data, err := t.chain(ev)
	if err != nil {
		return err
	}
	err = t.execPrepared(insertEventSQL,
		int64(ev.Revision), string(ev.Org), string(ev.Workspace), ev.Time.UnixNano(), ev.Actor.ID(),
		ev.Action, string(ev.Target.Type), ev.Target.ID, string(data), ev.PrevHash, ev.Hash)
	if err != nil {
		return err
	}
	for _, id := range eventObjects(ev) {
		if err := t.execPrepared(insertEventObjectSQL, id, int64(ev.Revision)); err != nil {
			return err
		}
	}
	if err := t.noteSignIn(ev); err != nil {
		return err
	}
	return nil // the head moves once, when the transaction commits (DB.Update)
}

// eventObjects are the ids the audit log finds ev by: its target and every
// object it changed, each once. The target is usually among the changes, and
// keeping it here rather than in an index of its own spares every append one
// B-tree (migration 0012).
func eventObjects(ev *gatehouse.Event) []string {
	ids := make([]string, 0, len(ev.Changes)+1)
	target := ev.Target.ID
	for _, c := range ev.Changes {
		ids = append(ids, c.ID)
		if c.ID == target {
			target = ""
		}
	}
	if target != "" {
		ids = append(ids, target)
	}
	return ids
}
