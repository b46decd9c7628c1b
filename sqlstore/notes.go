package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// PutNotifications keeps notifications for their people's lists, a commit's
// worth in a few statements: one round trip to PostgreSQL, not one a person.
func (v *vaultTx) PutNotifications(ns []*gatehouse.Notification) error {
	row := func(n *gatehouse.Notification) []any {
		return []any{n.ID, string(n.Org), string(n.User), string(n.Category), n.Title, n.Body, nanos(n.CreatedAt)}
	}
	if v.oneRowAtATime() {
		st, err := v.stmt(insertNotificationSQL)
		for _, n := range ns {
			if err == nil {
				_, err = st.ExecContext(v.ctx, row(n)...)
			}
		}
		if err != nil {
			return gatehouse.Internal(fmt.Errorf("vault: %w", err))
		}
		return nil
	}
	for part := range slices.Chunk(ns, 100) {
		args := make([]any, 0, 7*len(part))
		for _, n := range part {
			args = append(args, row(n)...)
		}
		q := insertNotificationSQL + strings.Repeat(", (?, ?, ?, ?, ?, ?, ?, 0)", len(part)-1)
		if err := v.exec(q, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertNotificationSQL inserts one notification; more rows follow it in
// PutNotifications' multi-row form.
const insertNotificationSQL = "INSERT INTO notifications (id, org_id, user_id, category, title, body, created_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"

const notePrefsSQL = "SELECT category, email, console FROM notification_prefs WHERE user_id = ?"

// PutNotePref sets where one category reaches a person.
func (v *vaultTx) PutNotePref(org gatehouse.OrgID, user gatehouse.UserID, p gatehouse.NotePref) error {
	return v.exec(`INSERT INTO notification_prefs (user_id, org_id, category, email, console) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, category) DO UPDATE SET email = excluded.email, console = excluded.console`,
		string(user), string(org), string(p.Category), flag(p.Email), flag(p.Console))
}

// MarkNotesRead marks unread notifications of user read: those named, or all.
func (v *vaultTx) MarkNotesRead(user gatehouse.UserID, ids []string, at time.Time) (int, error) {
	q := "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at = 0"
	args := []any{nanos(at), string(user)}
	if len(ids) > 0 {
		q += " AND id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	res, err := v.q.ExecContext(v.ctx, v.d.rebind(q), args...)
	if err != nil {
		return 0, gatehouse.Internal(fmt.Errorf("vault: mark read: %w", err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PutAnnouncement keeps an announcement.
func (v *vaultTx) PutAnnouncement(a *gatehouse.Announcement) error {
	return v.exec(`INSERT INTO announcements (id, org_id, workspace_id, group_id, title, body, starts_at, ends_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, string(a.Org), string(a.Workspace), string(a.Group), a.Title, a.Body,
		nanos(a.StartsAt), nanos(a.EndsAt), a.CreatedBy, nanos(a.CreatedAt))
}

// DeleteAnnouncement removes one announcement of org.
func (v *vaultTx) DeleteAnnouncement(org gatehouse.OrgID, id string) error {
	res, err := v.q.ExecContext(v.ctx, v.d.rebind("DELETE FROM announcements WHERE org_id = ? AND id = ?"), string(org), id)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: delete announcement: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return gatehouse.NotFound("announcement")
	}
	return nil
}

// SeeDevice records a device of user; the insert that finds it already there changes nothing.
func (v *vaultTx) SeeDevice(org gatehouse.OrgID, user gatehouse.UserID, device string, at time.Time) (isNew, hadOthers bool, err error) {
	var others int
	if err := v.q.QueryRowContext(v.ctx, v.d.rebind("SELECT count(*) FROM seen_devices WHERE user_id = ? AND device <> ?"),
		string(user), device).Scan(&others); err != nil {
		return false, false, gatehouse.Internal(fmt.Errorf("vault: devices: %w", err))
	}
	res, err := v.q.ExecContext(v.ctx, v.d.rebind(`INSERT INTO seen_devices (user_id, org_id, device, first_seen) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, device) DO NOTHING`), string(user), string(org), device, nanos(at))
	if err != nil {
		return false, false, gatehouse.Internal(fmt.Errorf("vault: see device: %w", err))
	}
	n, _ := res.RowsAffected()
	return n == 1, others > 0, nil
}

// Notifications lists a user's newest notifications and counts the unread.
func (db *DB) Notifications(ctx context.Context, user gatehouse.UserID, limit int) ([]*gatehouse.Notification, int, error) {
	var unread int
	if err := db.read.QueryRowContext(ctx, db.d.rebind("SELECT count(*) FROM notifications WHERE user_id = ? AND read_at = 0"),
		string(user)).Scan(&unread); err != nil {
		return nil, 0, gatehouse.Internal(fmt.Errorf("vault: notifications: %w", err))
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT id, org_id, user_id, category, title, body, created_at, read_at
		FROM notifications WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`), string(user), clampLimit(limit))
	if err != nil {
		return nil, 0, gatehouse.Internal(fmt.Errorf("vault: notifications: %w", err))
	}
	defer rows.Close()
	out := []*gatehouse.Notification{}
	for rows.Next() {
		n := &gatehouse.Notification{}
		var created, read int64
		if err := rows.Scan(&n.ID, &n.Org, &n.User, &n.Category, &n.Title, &n.Body, &created, &read); err != nil {
			return nil, 0, gatehouse.Internal(err)
		}
		n.CreatedAt = fromNanos(created)
		if read != 0 {
			t := fromNanos(read)
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, unread, rows.Err()
}

// NotePrefs returns what a user chose, category by category.
func (db *DB) NotePrefs(ctx context.Context, user gatehouse.UserID) ([]gatehouse.NotePref, error) {
	return notePrefs(ctx, db.read, &db.d, user)
}

// NotePrefs reads a user's choices inside the transaction, on its own
// connection: a change telling people reads them while it commits.
func (v *vaultTx) NotePrefs(user gatehouse.UserID) ([]gatehouse.NotePref, error) {
	return notePrefs(v.ctx, v.q, v.d, user)
}

// NotePrefsOf reads the choices of users in a few statements.
func (v *vaultTx) NotePrefsOf(users []gatehouse.UserID) (map[gatehouse.UserID][]gatehouse.NotePref, error) {
	out := map[gatehouse.UserID][]gatehouse.NotePref{}
	if v.oneRowAtATime() {
		st, err := v.stmt(notePrefsOfSQL + "?)")
		for _, u := range users {
			if err == nil {
				err = v.readPrefs(out, func() (*sql.Rows, error) { return st.QueryContext(v.ctx, string(u)) })
			}
		}
		return out, err
	}
	for part := range slices.Chunk(users, 500) {
		args := make([]any, len(part))
		for i, u := range part {
			args[i] = string(u)
		}
		q := notePrefsOfSQL + strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ") + ")"
		err := v.readPrefs(out, func() (*sql.Rows, error) { return v.q.QueryContext(v.ctx, v.d.rebind(q), args...) })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// notePrefsOfSQL reads the choices of the users listed after it.
const notePrefsOfSQL = "SELECT user_id, category, email, console FROM notification_prefs WHERE user_id IN ("

// readPrefs adds the choices query reads to out.
func (v *vaultTx) readPrefs(out map[gatehouse.UserID][]gatehouse.NotePref, query func() (*sql.Rows, error)) error {
	rows, err := query()
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: preferences: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		p, err := scanNotePref(rows, &u)
		if err != nil {
			return gatehouse.Internal(err)
		}
		out[gatehouse.UserID(u)] = append(out[gatehouse.UserID(u)], p)
	}
	if err := rows.Err(); err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: preferences: %w", err))
	}
	return nil
}

func notePrefs(ctx context.Context, q execer, d *Dialect, user gatehouse.UserID) ([]gatehouse.NotePref, error) {
	return scanNotePrefs(q.QueryContext(ctx, d.rebind(notePrefsSQL), string(user)))
}

func scanNotePrefs(rows *sql.Rows, err error) ([]gatehouse.NotePref, error) {
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: preferences: %w", err))
	}
	defer rows.Close()
	var out []gatehouse.NotePref
	for rows.Next() {
		p, err := scanNotePref(rows)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// scanNotePref reads a row's leading columns into lead, then category,
// email and console.
func scanNotePref(rows *sql.Rows, lead ...any) (gatehouse.NotePref, error) {
	var p gatehouse.NotePref
	var email, console int
	err := rows.Scan(append(lead, &p.Category, &email, &console)...)
	p.Email, p.Console = email == 1, console == 1
	return p, err
}

// Announcements lists org's announcements and the deployment's, newest first.
func (db *DB) Announcements(ctx context.Context, org gatehouse.OrgID, t time.Time, live bool) ([]*gatehouse.Announcement, error) {
	q := `SELECT id, org_id, workspace_id, group_id, title, body, starts_at, ends_at, created_by, created_at
		FROM announcements WHERE org_id IN (?, '')`
	args := []any{string(org)}
	if live {
		q += " AND ends_at > ?"
		args = append(args, nanos(t))
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q+" ORDER BY created_at DESC, id DESC LIMIT 1000"), args...)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: announcements: %w", err))
	}
	defer rows.Close()
	out := []*gatehouse.Announcement{}
	for rows.Next() {
		a, err := scanAnnouncement(rows)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func scanAnnouncement(rows *sql.Rows) (*gatehouse.Announcement, error) {
	a := &gatehouse.Announcement{}
	var starts, ends, created int64
	if err := rows.Scan(&a.ID, &a.Org, &a.Workspace, &a.Group, &a.Title, &a.Body, &starts, &ends, &a.CreatedBy, &created); err != nil {
		return nil, err
	}
	a.StartsAt, a.EndsAt, a.CreatedAt = fromNanos(starts), fromNanos(ends), fromNanos(created)
	return a, nil
}
