package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"gatehouse.dev/gatehouse"
)

// Limits on how many events one read returns.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// EventsAfter returns up to limit events with revision > after, in revision
// order. A limit outside 1…MaxLimit means MaxLimit. Errors are KindInternal.
func (db *DB) EventsAfter(ctx context.Context, after gatehouse.Revision, limit int) ([]*gatehouse.Event, error) {
	return eventsAfter(ctx, db.read, &db.d, after, limit)
}

func eventsAfter(ctx context.Context, q querier, d *Dialect, after gatehouse.Revision, limit int) ([]*gatehouse.Event, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	evs, err := queryEvents(ctx, q, d.rebind("SELECT data, hash FROM events WHERE revision > ? ORDER BY revision LIMIT ?"),
		int64(after), limit)
	if err == nil {
		err = withKeyState(ctx, q, d, evs)
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("events after %d: %w", after, err))
	}
	return evs, nil
}

// withKeyState gives every API key created in evs its stored row as State:
// the row alone carries the key's hash, and a node that learns the key from
// the feed must recognise its secret. A key deleted since has no row; the
// event that deleted it follows in the feed.
func withKeyState(ctx context.Context, q querier, d *Dialect, evs []*gatehouse.Event) error {
	for _, ev := range evs {
		for i := range ev.Changes {
			c := &ev.Changes[i]
			if c.Kind != gatehouse.KindAPIKey || len(c.After) == 0 {
				continue
			}
			rows, err := q.QueryContext(ctx, d.rebind("SELECT data FROM api_keys WHERE id = ?"), c.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var data []byte
				if err := rows.Scan(&data); err != nil {
					rows.Close()
					return err
				}
				c.State = data
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListEvents returns f.Org's events, newest first, filtered by every non-zero
// field of f. Limit defaults to DefaultLimit and is capped at MaxLimit; page
// on by passing the last revision seen as Before. Errors are KindInternal.
//
// A filter audit_keys answers (audit.go) reads the events not yet indexed
// from the log first, then the rest through the keys; anything else reads
// the log through its organization index, or event_objects for an object.
func (db *DB) ListEvents(ctx context.Context, f gatehouse.EventFilter) ([]*gatehouse.Event, error) {
	limit := clampLimit(f.Limit)
	key := auditKey(f)
	if key == "" {
		where, args := eventConds(f, "")
		return db.listEvents(ctx, "SELECT data, hash FROM events WHERE "+where+" ORDER BY revision DESC LIMIT ?", append(args, limit)...)
	}
	var indexed int64
	if err := db.read.QueryRowContext(ctx, "SELECT indexed FROM head WHERE id = 1").Scan(&indexed); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("list events: %w", err))
	}
	var evs []*gatehouse.Event
	if f.Before == 0 || int64(f.Before) > indexed+1 {
		// Whatever is committed after indexed was read is newer than the
		// query: the keys up to indexed are complete whatever happens next.
		where, args := eventConds(f, "")
		tail, err := db.listEvents(ctx, "SELECT data, hash FROM events WHERE revision > ? AND "+where+
			" ORDER BY revision DESC LIMIT ?", append(append([]any{indexed}, args...), limit)...)
		if err != nil || len(tail) == limit {
			return tail, err
		}
		evs, limit = tail, limit-len(tail)
	}
	where, args := eventConds(f, "e.")
	rest, err := db.listEvents(ctx, "SELECT e.data, e.hash FROM audit_keys k JOIN events e ON e.revision = k.revision "+
		"WHERE k.key = ? AND k.revision <= ? AND "+where+" ORDER BY k.revision DESC LIMIT ?",
		append(append([]any{key, indexed}, args...), limit)...)
	return append(evs, rest...), err
}

func (db *DB) listEvents(ctx context.Context, q string, args ...any) ([]*gatehouse.Event, error) {
	evs, err := queryEvents(ctx, db.read, db.d.rebind(q), args...)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("list events: %w", err))
	}
	return evs, nil
}

// eventConds is the WHERE clause of f's filters on the events table, its
// columns prefixed with p.
func eventConds(f gatehouse.EventFilter, p string) (string, []any) {
	where, args := []string{p + "org_id = ?"}, []any{string(f.Org)}
	add := func(cond string, a ...any) {
		where = append(where, p+cond)
		args = append(args, a...)
	}
	if f.Workspace != "" {
		add("workspace_id = ?", string(f.Workspace))
	}
	if f.Actor != "" {
		add("actor_id = ?", string(f.Actor))
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.Target != "" {
		add("revision IN (SELECT revision FROM event_objects WHERE object_id = ?)", f.Target)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// substr, not LIKE: LIKE ignores case in SQLite and treats _ as a wildcard.
		where = append(where, "substr("+p+"action, 1, ?) = ?")
		args = append(args, utf8.RuneCountInString(f.Action), f.Action)
	case f.Action != "":
		add("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		add("time >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("time < ?", f.Until.UnixNano())
	}
	if f.Before > 0 {
		add("revision < ?", int64(f.Before))
	}
	return strings.Join(where, " AND "), args
}

// queryEvents decodes the (data, hash) rows of q.
func queryEvents(ctx context.Context, db querier, q string, args ...any) ([]*gatehouse.Event, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []*gatehouse.Event
	for rows.Next() {
		var data []byte
		var hash string
		if err := rows.Scan(&data, &hash); err != nil {
			return nil, err
		}
		ev := new(gatehouse.Event)
		if err := json.Unmarshal(data, ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		ev.Hash = hash
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// eventRow is an events row as stored, for VerifyChain.
type eventRow struct {
	revision                                  gatehouse.Revision
	org, workspace, actor, action, targetType string
	targetID, data, prevHash, hash            string
	time                                      int64
}

// VerifyChain re-reads org's events in revision order and checks that each
// one's data hashes to its hash, names the previous event's hash, and agrees
// with the columns that filters use. It stops at the first broken event.
// Deleting the newest events cannot be seen this way. Errors are KindInternal.
func (db *DB) VerifyChain(ctx context.Context, org gatehouse.OrgID) (*gatehouse.ChainReport, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT revision, org_id, workspace_id, time, actor_id,
		action, target_type, target_id, data, prev_hash, hash FROM events WHERE org_id = ? ORDER BY revision`),
		string(org))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("verify chain: %w", err))
	}
	defer rows.Close()
	rep := &gatehouse.ChainReport{Org: org, OK: true}
	prev := ""
	for rows.Next() {
		var r eventRow
		err := rows.Scan(&r.revision, &r.org, &r.workspace, &r.time, &r.actor,
			&r.action, &r.targetType, &r.targetID, &r.data, &r.prevHash, &r.hash)
		if err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("verify chain: %w", err))
		}
		rep.Checked++
		if reason := r.verify(prev); reason != "" {
			rep.OK, rep.BrokenAt, rep.Reason = false, r.revision, reason
			return rep, nil
		}
		prev = r.hash
	}
	if err := rows.Err(); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("verify chain: %w", err))
	}
	return rep, nil
}

// verify returns why r does not follow the event whose hash is prev, or "".
func (r *eventRow) verify(prev string) string {
	sum := sha256.Sum256([]byte(r.data))
	if hex.EncodeToString(sum[:]) != r.hash {
		return "hash does not match the event's data"
	}
	var ev gatehouse.Event
	if err := json.Unmarshal([]byte(r.data), &ev); err != nil {
		return "data is not an event"
	}
	if ev.PrevHash != prev {
		return "prev_hash does not match the previous event's hash: an earlier event was removed or altered"
	}
	for _, c := range []struct {
		col        string
		stored, in any
	}{
		{"revision", r.revision, ev.Revision},
		{"org_id", r.org, string(ev.Org)},
		{"workspace_id", r.workspace, string(ev.Workspace)},
		{"time", r.time, ev.Time.UnixNano()},
		{"actor_id", r.actor, ev.Actor.ID()},
		{"action", r.action, ev.Action},
		{"target_type", r.targetType, string(ev.Target.Type)},
		{"target_id", r.targetID, ev.Target.ID},
		{"prev_hash", r.prevHash, ev.PrevHash},
	} {
		if c.stored != c.in {
			return fmt.Sprintf("column %s is %v but the event's data says %v", c.col, c.stored, c.in)
		}
	}
	return ""
}
