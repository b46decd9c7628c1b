package sqlstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"gatehouse.dev/gatehouse"
)

// AppendAll appends events as Append would one by one, in far fewer
// statements: upserts into one table run together as multi-row statements,
// and the events and their object index go in multi-row inserts. A batch of a
// thousand changes is then tens of round trips to PostgreSQL, not thousands.
// Any failure spoils the transaction, as a failed Append does.
func (t *tx) AppendAll(evs []*gatehouse.Event) error {
	if t.err != nil {
		return t.err
	}
	if err := t.appendAll(evs); err != nil {
		t.err = err
		return err
	}
	t.next += gatehouse.Revision(len(evs))
	return nil
}

func (t *tx) appendAll(evs []*gatehouse.Event) error {
	for i, ev := range evs {
		if ev.Revision != t.next+gatehouse.Revision(i) {
			return gatehouse.Internal(fmt.Errorf("append revision %d, want %d", ev.Revision, t.next+gatehouse.Revision(i)))
		}
	}
	if !t.d.MultiRow {
		for i, ev := range evs {
			if err := t.appendOne(ev, t.next+gatehouse.Revision(i)); err != nil {
				return err
			}
		}
		return nil
	}
	p := &pipe{t: t}
	if err := t.writeStates(p, evs); err != nil {
		return err
	}
	if err := t.writeEvents(p, evs); err != nil {
		return err
	}
	return p.send()
}

// stateWrite is one change ready for its table.
type stateWrite struct {
	c    gatehouse.Change
	tbl  *table
	del  bool
	args []any // the typed columns, then data (upserts) or the key alone (deletes)
}

// writeStates writes every change in order, a run of upserts into one table
// with distinct keys as one statement; deletes one by one.
func (t *tx) writeStates(p *pipe, evs []*gatehouse.Event) error {
	var run []stateWrite
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := t.upsertRun(p, run)
		run = run[:0]
		return err
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		for _, c := range ev.Changes {
			sw, err := prepareWrite(c)
			if err != nil {
				return err
			}
			key := fmt.Sprint(sw.tbl.name, sw.args[:sw.tbl.nkey])
			if sw.del || seen[key] || (len(run) > 0 && (run[0].tbl != sw.tbl || len(run) >= maxRun(sw.tbl))) {
				if err := flush(); err != nil {
					return err
				}
				clear(seen)
			}
			if sw.del {
				if err := p.add(sw.tbl.delete, sw.args, t.conflictOf(sw.c)); err != nil {
					return err
				}
				continue
			}
			seen[key] = true
			run = append(run, sw)
		}
	}
	return flush()
}

// prepareWrite decodes a change into the values of its table's columns.
func prepareWrite(c gatehouse.Change) (stateWrite, error) {
	tbl, ok := tables[c.Kind]
	if !ok {
		return stateWrite{}, gatehouse.Internal(fmt.Errorf("change of unknown kind %q", c.Kind))
	}
	sw := stateWrite{c: c, tbl: tbl, del: len(c.After) == 0}
	obj := c.Stored()
	if sw.del {
		obj = c.Before
	}
	if len(obj) == 0 {
		return sw, gatehouse.Internal(fmt.Errorf("%s %s: change has neither before nor after", c.Kind, c.ID))
	}
	args, err := tbl.keys(&c, !sw.del)
	if err != nil {
		return sw, gatehouse.Internal(fmt.Errorf("decode %s %s: %w", c.Kind, c.ID, err))
	}
	if sw.del {
		sw.args = args[:tbl.nkey]
	} else {
		sw.args = append(args, string(obj))
	}
	return sw, nil
}

// maxRun keeps a statement under both databases' limits on parameters.
func maxRun(tbl *table) int { return 30000 / (len(tbl.cols) + 1) }

// conflictOf reads a failed write of c as conflict does.
func (t *tx) conflictOf(c gatehouse.Change) func(error) error {
	return func(err error) error { return t.d.conflict(c, err) }
}

// upsertRun writes a run of rows into one table in one statement.
func (t *tx) upsertRun(p *pipe, run []stateWrite) error {
	tbl := run[0].tbl
	if len(run) == 1 {
		return p.add(tbl.upsert, run[0].args, t.conflictOf(run[0].c))
	}
	cols := append(append([]string(nil), tbl.cols...), "data")
	set := make([]string, 0, len(cols)-tbl.nkey)
	for _, c := range cols[tbl.nkey:] {
		set = append(set, c+" = excluded."+c)
	}
	args := make([]any, 0, len(run)*len(cols))
	for _, sw := range run {
		args = append(args, sw.args...)
	}
	q := "INSERT INTO " + tbl.name + " (" + strings.Join(cols, ", ") + ") VALUES " + rows(len(run), len(cols)) +
		" ON CONFLICT (" + strings.Join(cols[:tbl.nkey], ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	return p.add(q, args, t.conflictOf(run[0].c))
}

// rows is "(?, ?), (?, ?)" for n rows of k columns.
func rows(n, k int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// internal reads a failed statement of the log's as an internal error.
func internal(what string) func(error) error {
	return func(err error) error { return gatehouse.Internal(fmt.Errorf("%s: %w", what, err)) }
}

// writeEvents chains the events and writes them and their object index in
// multi-row inserts.
func (t *tx) writeEvents(p *pipe, evs []*gatehouse.Event) error {
	const perInsert = 1000 // 11 parameters a row
	type object struct {
		id  string
		rev int64
	}
	var objects []object
	args := make([]any, 0, perInsert*11)
	flush := func(n int) error {
		if n == 0 {
			return nil
		}
		q := `INSERT INTO events (revision, org_id, workspace_id, time, actor_id, action,
		target_type, target_id, data, prev_hash, hash) VALUES ` + rows(n, 11)
		err := p.add(q, args, internal("append events"))
		args = args[len(args):] // the pipe keeps these; the next rows go after them
		return err
	}
	n := 0
	for _, ev := range evs {
		data, err := t.chain(ev)
		if err != nil {
			return err
		}
		args = append(args, int64(ev.Revision), string(ev.Org), string(ev.Workspace), ev.Time.UnixNano(), ev.Actor.ID(),
			ev.Action, string(ev.Target.Type), ev.Target.ID, string(data), ev.PrevHash, ev.Hash)
		for _, id := range eventObjects(ev) {
			objects = append(objects, object{id, int64(ev.Revision)})
		}
		if n++; n == perInsert {
			if err := flush(n); err != nil {
				return err
			}
			n = 0
		}
	}
	if err := flush(n); err != nil {
		return err
	}
	for _, ev := range evs {
		if row, ok := signInRow(ev); ok {
			if err := p.add(upsertSignInSQL, row, internal("note sign-in")); err != nil {
				return err
			}
		}
	}
	for i := 0; i < len(objects); i += 10000 {
		chunk := objects[i:min(i+10000, len(objects))]
		oargs := make([]any, 0, 2*len(chunk))
		for _, o := range chunk {
			oargs = append(oargs, o.id, o.rev)
		}
		q := "INSERT INTO event_objects (object_id, revision) VALUES " + rows(len(chunk), 2) + " ON CONFLICT DO NOTHING"
		if err := p.add(q, oargs, internal("index event objects")); err != nil {
			return err
		}
	}
	return nil
}

// chain sets ev's PrevHash and Hash from its organization's last event and
// returns the JSON that was hashed, which is what the log keeps.
func (t *tx) chain(ev *gatehouse.Event) ([]byte, error) {
	prev, err := t.lastHash(ev.Org)
	if err != nil {
		return nil, err
	}
	ev.PrevHash, ev.Hash = prev, ""
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	sum := sha256.Sum256(data)
	ev.Hash = hex.EncodeToString(sum[:])
	if t.last == nil {
		t.last = map[gatehouse.OrgID]string{}
	}
	t.last[ev.Org] = ev.Hash
	return data, nil
}
