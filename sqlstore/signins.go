package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gatehouse.dev/gatehouse"
)

// Each user's last sign-in is kept in sign_ins by the transaction that
// appends its event, so reports read a row per user, not the whole log.

const upsertSignInSQL = `INSERT INTO sign_ins (org_id, user_id, last_at) VALUES (?, ?, ?)
	ON CONFLICT (org_id, user_id) DO UPDATE SET last_at = excluded.last_at
	WHERE sign_ins.last_at < excluded.last_at`

// noteSignIn records ev's sign-in, if it is one.
func (t *tx) noteSignIn(ev *gatehouse.Event) error {
	u, ok := ev.SignedIn()
	if !ok || ev.Org == "" {
		return nil
	}
	return t.execPrepared(upsertSignInSQL, string(ev.Org), string(u), ev.Time.UnixNano())
}

// LastSignIns returns when each user of org last signed in. Errors are KindInternal.
func (db *DB) LastSignIns(ctx context.Context, org gatehouse.OrgID) (map[gatehouse.UserID]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind("SELECT user_id, last_at FROM sign_ins WHERE org_id = ?"), string(org))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
	}
	defer rows.Close()
	out := map[gatehouse.UserID]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
		}
		out[gatehouse.UserID(id)] = fromNanos(at)
	}
	if err := rows.Err(); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
	}
	return out, nil
}
