package sqlstore

import (
	"fmt"

	"gatehouse.dev/gatehouse"
)

// The audit log's filters by workspace, actor and action are answered from
// audit_keys (migration 0018): one row per event and filter, keyed
//
//	w:<workspace>  a:<org>:<actor>  c:<org>:<action>
//
// It is written behind the log, auditBatch events at a time, by the commit
// that finds that many unindexed: a batch sorted by key writes each leaf it
// touches once, where an index on events would dirty one leaf per commit for
// every workspace, actor and action the commit touched, and SQLite would
// write each of those pages to its WAL and again to the file. head.indexed
// is the revision up to which audit_keys is complete; a query reads the
// events after it from the log itself, at most auditBatch-1 rows by revision.
const auditBatch = 256

const indexAuditSQL = `INSERT INTO audit_keys (key, revision)
	SELECT 'w:' || workspace_id, revision FROM events WHERE revision > ? AND revision <= ? AND workspace_id <> ''
	UNION ALL SELECT 'a:' || org_id || ':' || actor_id, revision FROM events WHERE revision > ? AND revision <= ? AND actor_id <> ''
	UNION ALL SELECT 'c:' || org_id || ':' || action, revision FROM events WHERE revision > ? AND revision <= ?
	ORDER BY 1, 2`

// indexAudit writes the audit keys of the events after indexed when there
// are a batch of them, and returns the revision the keys are complete to.
func (t *tx) indexAudit(indexed gatehouse.Revision) (gatehouse.Revision, error) {
	last := t.next - 1
	if last-indexed < auditBatch {
		return indexed, nil
	}
	from, to := int64(indexed), int64(last)
	if _, err := t.tx.ExecContext(t.ctx, t.d.rebind(indexAuditSQL), from, to, from, to, from, to); err != nil {
		return 0, gatehouse.Internal(fmt.Errorf("index the audit log: %w", err))
	}
	return last, nil
}

// auditKey is the audit_keys key that answers f, or "" when f filters by
// none of them (or by an object, which event_objects answers).
func auditKey(f gatehouse.EventFilter) string {
	switch {
	case f.Target != "":
		return ""
	case f.Actor != "":
		return "a:" + string(f.Org) + ":" + string(f.Actor)
	case f.ActorID != "":
		return "a:" + string(f.Org) + ":" + f.ActorID
	case f.Workspace != "":
		return "w:" + string(f.Workspace)
	case f.Action != "" && f.Action[len(f.Action)-1] != '.':
		return "c:" + string(f.Org) + ":" + f.Action
	}
	return ""
}
