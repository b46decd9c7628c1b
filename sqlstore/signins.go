package sqlstore

import (
	"context"
	"fmt"
	"strings"
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
	if args, ok := signInRow(ev); ok {
		return t.execPrepared(upsertSignInSQL, args...)
	}
	return nil
}

// signInRow is the sign_ins row ev updates, if it is a sign-in.
func signInRow(ev *gatehouse.Event) ([]any, bool) {
	u, ok := ev.SignedIn()
	if !ok || ev.Org == "" {
		return nil, false
	}
	return []any{string(ev.Org), string(u), ev.Time.UnixNano()}, true
}

// LastSignIns returns when each user of org last signed in: the users named,
// a few hundred a query, or all when users is nil. Errors are KindInternal.
func (db *DB) LastSignIns(ctx context.Context, org gatehouse.OrgID, users []gatehouse.UserID) (map[gatehouse.UserID]time.Time, error) {
	out := map[gatehouse.UserID]time.Time{}
	if users == nil {
		return out, db.readSignIns(ctx, out, "SELECT user_id, last_at FROM sign_ins WHERE org_id = ?", string(org))
	}
	const chunk = 500
	for i := 0; i < len(users); i += chunk {
		part := users[i:min(i+chunk, len(users))]
		args := make([]any, 0, len(part)+1)
		args = append(args, string(org))
		for _, u := range part {
			args = append(args, string(u))
		}
		q := "SELECT user_id, last_at FROM sign_ins WHERE org_id = ? AND user_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ") + ")"
		if err := db.readSignIns(ctx, out, q, args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) readSignIns(ctx context.Context, out map[gatehouse.UserID]time.Time, q string, args ...any) error {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
		}
		out[gatehouse.UserID(id)] = fromNanos(at)
	}
	if err := rows.Err(); err != nil {
		return gatehouse.Internal(fmt.Errorf("last sign-ins: %w", err))
	}
	return nil
}

// SignInCounts counts sign-ins per user over [since, until) with one
// aggregate over the partial index events_sign_ins (migration 0015), whose
// action list the query repeats so that both stores may use it. Errors are KindInternal.
func (db *DB) SignInCounts(ctx context.Context, org gatehouse.OrgID, ws gatehouse.WorkspaceID, since, until time.Time) (map[gatehouse.UserID]gatehouse.SignInCount, error) {
	q := `SELECT CASE WHEN action = 'login.sso' THEN actor_id ELSE target_id END,
		SUM(CASE WHEN action = 'login.failure' THEN 0 ELSE 1 END), SUM(CASE WHEN action = 'login.failure' THEN 1 ELSE 0 END)
		FROM events WHERE org_id = ? AND action IN ('login.success', 'login.passkey', 'login.sso', 'login.failure')
		AND time >= ? AND time < ?`
	args := []any{string(org), since.UnixNano(), until.UnixNano()}
	if ws != "" {
		q += " AND workspace_id = ?"
		args = append(args, string(ws))
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q+" GROUP BY 1"), args...)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("sign-in counts: %w", err))
	}
	defer rows.Close()
	out := map[gatehouse.UserID]gatehouse.SignInCount{}
	for rows.Next() {
		var id string
		var ok, failed int64
		if err := rows.Scan(&id, &ok, &failed); err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("sign-in counts: %w", err))
		}
		if id != "" {
			out[gatehouse.UserID(id)] = gatehouse.SignInCount{Successes: int(ok), Failures: int(failed)}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("sign-in counts: %w", err))
	}
	return out, nil
}
