package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

var _ gatehouse.Vault = (*DB)(nil)

// execer is what both a pool and a transaction offer for writing and reading one row.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// vaultTx writes vault rows through a transaction: the directory's (Tx.Vault)
// or one of its own (VaultUpdate).
type vaultTx struct {
	ctx context.Context
	q   execer
	d   *Dialect
	// stmt is the statement prepared for a query of writeStatements, bound to
	// the transaction; nil outside a directory transaction.
	stmt func(q string) (*sql.Stmt, error)
}

// Vault returns the vault writer of a directory transaction.
func (t *tx) Vault() gatehouse.VaultTx {
	return &vaultTx{ctx: t.ctx, q: t.tx, d: t.d, stmt: t.bound}
}

// oneRowAtATime says whether rows go one by one through prepared
// statements, which in-process SQLite runs faster than it parses a
// multi-row statement (Dialect.MultiRow).
func (v *vaultTx) oneRowAtATime() bool { return !v.d.MultiRow && v.stmt != nil }

func (v *vaultTx) exec(q string, args ...any) error {
	if _, err := v.q.ExecContext(v.ctx, v.d.rebind(q), args...); err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: %w", err))
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func (v *vaultTx) PutCredential(c *gatehouse.Credential) error {
	return v.exec(`INSERT INTO credentials (user_id, org_id, password_hash, password_set_at, must_change, history,
		failed_attempts, locked_until, totp_secret, totp_confirmed, totp_last_step, recovery, password_version, passkeys,
		email_codes, phone, code)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, password_set_at = excluded.password_set_at,
		must_change = excluded.must_change, history = excluded.history, failed_attempts = excluded.failed_attempts,
		locked_until = excluded.locked_until, totp_secret = excluded.totp_secret, totp_confirmed = excluded.totp_confirmed,
		totp_last_step = excluded.totp_last_step, recovery = excluded.recovery, password_version = excluded.password_version,
		passkeys = excluded.passkeys, email_codes = excluded.email_codes, phone = excluded.phone, code = excluded.code`,
		string(c.User), string(c.Org), c.PasswordHash, nanos(c.PasswordSetAt), flag(c.MustChange), jsonList(c.History),
		c.FailedAttempts, nanos(c.LockedUntil), c.TOTPSecret, flag(c.TOTPConfirmed), c.TOTPLastStep,
		jsonList(c.RecoveryHashes), c.PasswordVersion, storedPasskeys(c.Passkeys),
		flag(c.EmailCodes), c.Phone, storedCode(c.Code))
}

// codeRow is a one-time code as stored, its times in Unix nanoseconds.
type codeRow struct {
	Hash      string `json:"hash"`
	Channel   string `json:"channel"`
	Phone     string `json:"phone,omitempty"`
	ExpiresAt int64  `json:"expires_at"`
	TriesLeft int    `json:"tries_left"`
}

func storedCode(c *gatehouse.OneTimeCode) string {
	if c == nil {
		return ""
	}
	b, _ := json.Marshal(codeRow{c.Hash, c.Channel, c.Phone, nanos(c.ExpiresAt), c.TriesLeft})
	return string(b)
}

func loadCode(raw string) (*gatehouse.OneTimeCode, error) {
	if raw == "" {
		return nil, nil
	}
	var r codeRow
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, err
	}
	return &gatehouse.OneTimeCode{Hash: r.Hash, Channel: r.Channel, Phone: r.Phone, ExpiresAt: fromNanos(r.ExpiresAt), TriesLeft: r.TriesLeft}, nil
}

// passkeyRow is a passkey as stored: with its key, which the API never shows.
type passkeyRow struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt int64  `json:"last_used_at"`
	Key        []byte `json:"key"`
}

func storedPasskeys(ps []gatehouse.Passkey) string {
	rows := make([]passkeyRow, len(ps))
	for i, p := range ps {
		rows[i] = passkeyRow{p.ID, p.Name, nanos(p.CreatedAt), nanos(p.LastUsedAt), p.Key}
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

func loadPasskeys(raw string) ([]gatehouse.Passkey, error) {
	var rows []passkeyRow
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		return nil, err
	}
	var out []gatehouse.Passkey
	for _, r := range rows {
		out = append(out, gatehouse.Passkey{ID: r.ID, Name: r.Name, CreatedAt: fromNanos(r.CreatedAt), LastUsedAt: fromNanos(r.LastUsedAt), Key: r.Key})
	}
	return out, nil
}

func (v *vaultTx) PutCeremony(c *gatehouse.Ceremony, now time.Time) error {
	if err := v.exec("DELETE FROM ceremonies WHERE expires_at < ?", nanos(now)); err != nil {
		return err // abandoned ceremonies go as new ones come
	}
	return v.exec("INSERT INTO ceremonies (id, kind, user_id, data, expires_at) VALUES (?, ?, ?, ?, ?)",
		c.ID, c.Kind, string(c.User), string(c.Data), nanos(c.ExpiresAt))
}

func (v *vaultTx) TakeCeremony(id, kind string, now time.Time) (*gatehouse.Ceremony, error) {
	c := &gatehouse.Ceremony{ID: id, Kind: kind}
	var user, data string
	var exp int64
	err := v.q.QueryRowContext(v.ctx, v.d.rebind("DELETE FROM ceremonies WHERE id = ? AND kind = ? RETURNING user_id, data, expires_at"),
		id, kind).Scan(&user, &data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("ceremony")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: take ceremony: %w", err))
	}
	c.User, c.Data, c.ExpiresAt = gatehouse.UserID(user), []byte(data), fromNanos(exp)
	if !now.Before(c.ExpiresAt) {
		return nil, gatehouse.NotFound("ceremony")
	}
	return c, nil
}

func (v *vaultTx) PutSession(s *gatehouse.Session) error {
	return v.exec(`INSERT INTO sessions (id, token_hash, csrf_hash, user_id, org_id, created_at, last_seen_at, expires_at,
		mfa_pending, step_up_at, ip, user_agent, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, csrf_hash = excluded.csrf_hash,
		last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at, mfa_pending = excluded.mfa_pending,
		step_up_at = excluded.step_up_at, ip = excluded.ip, user_agent = excluded.user_agent, device = excluded.device`,
		s.ID, s.TokenHash, s.CSRFHash, string(s.User), string(s.Org), nanos(s.CreatedAt), nanos(s.LastSeenAt),
		nanos(s.ExpiresAt), flag(s.MFAPending), nanos(s.StepUpAt), s.IP, s.UserAgent, s.Device)
}

func (v *vaultTx) DeleteSession(org gatehouse.OrgID, id string) error {
	return v.exec("DELETE FROM sessions WHERE org_id = ? AND id = ?", string(org), id)
}

func (v *vaultTx) DeleteSessions(user gatehouse.UserID, keep string) (int, error) {
	res, err := v.q.ExecContext(v.ctx, v.d.rebind("DELETE FROM sessions WHERE user_id = ? AND id <> ?"), string(user), keep)
	if err != nil {
		return 0, gatehouse.Internal(fmt.Errorf("vault: end sessions: %w", err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (v *vaultTx) ForgetUser(user gatehouse.UserID) error {
	for _, q := range []string{"DELETE FROM sessions WHERE user_id = ?", "DELETE FROM tokens WHERE user_id = ?",
		"DELETE FROM credentials WHERE user_id = ?", "DELETE FROM avatars WHERE user_id = ?",
		"DELETE FROM notifications WHERE user_id = ?", "DELETE FROM notification_prefs WHERE user_id = ?",
		"DELETE FROM seen_devices WHERE user_id = ?"} {
		if err := v.exec(q, string(user)); err != nil {
			return err
		}
	}
	return nil
}

func (v *vaultTx) RevokeTokens(user gatehouse.UserID) error {
	return v.exec("DELETE FROM tokens WHERE user_id = ? AND used_at = 0", string(user))
}

func (v *vaultTx) PutToken(t *gatehouse.OneTimeToken) error {
	return v.exec("INSERT INTO tokens (hash, kind, user_id, org_id, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)",
		t.Hash, string(t.Kind), string(t.User), string(t.Org), nanos(t.ExpiresAt), nanos(t.UsedAt))
}

// UseToken marks the token used in the same statement that checks it, so two
// requests racing with one link cannot both succeed.
func (v *vaultTx) UseToken(hash string, kind gatehouse.TokenKind, now time.Time) (*gatehouse.OneTimeToken, error) {
	res, err := v.q.ExecContext(v.ctx, v.d.rebind(`UPDATE tokens SET used_at = ?
		WHERE hash = ? AND kind = ? AND used_at = 0 AND expires_at > ?`), nanos(now), hash, string(kind), nanos(now))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: use token: %w", err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, gatehouse.NotFound("token")
	}
	t := &gatehouse.OneTimeToken{Hash: hash}
	var k string
	var exp, used int64
	err = v.q.QueryRowContext(v.ctx, v.d.rebind("SELECT kind, user_id, org_id, expires_at, used_at FROM tokens WHERE hash = ?"), hash).
		Scan(&k, &t.User, &t.Org, &exp, &used)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: read token: %w", err))
	}
	t.Kind, t.ExpiresAt, t.UsedAt = gatehouse.TokenKind(k), fromNanos(exp), fromNanos(used)
	return t, nil
}

func (v *vaultTx) EnqueueMail(m *gatehouse.Mail) error {
	return v.exec(`INSERT INTO outbox (id, org_id, to_addr, subject, body, kind, status, attempts, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, string(m.Org), m.To, m.Subject, m.Body, m.Kind, string(m.Status),
		m.Attempts, nanos(m.NextAttempt), nanos(m.CreatedAt))
}

// VaultUpdate runs fn in a transaction of its own on the write pool.
func (db *DB) VaultUpdate(ctx context.Context, fn func(gatehouse.VaultTx) error) error {
	t, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: begin: %w", err))
	}
	defer t.Rollback()
	if err := fn(&vaultTx{ctx: ctx, q: t, d: &db.d}); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: commit: %w", err))
	}
	return nil
}

// Credential reads a user's credential; KindNotFound when it has none.
func (db *DB) Credential(ctx context.Context, user gatehouse.UserID) (*gatehouse.Credential, error) {
	c := &gatehouse.Credential{}
	var set, locked int64
	var must, confirmed, emailCodes int
	var history, recovery, passkeys, code string
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT user_id, org_id, password_hash, password_set_at, must_change,
		history, failed_attempts, locked_until, totp_secret, totp_confirmed, totp_last_step, recovery, password_version, passkeys,
		email_codes, phone, code
		FROM credentials WHERE user_id = ?`), string(user)).Scan(&c.User, &c.Org, &c.PasswordHash, &set, &must, &history,
		&c.FailedAttempts, &locked, &c.TOTPSecret, &confirmed, &c.TOTPLastStep, &recovery, &c.PasswordVersion, &passkeys,
		&emailCodes, &c.Phone, &code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("credential")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: read credential: %w", err))
	}
	c.PasswordSetAt, c.LockedUntil = fromNanos(set), fromNanos(locked)
	c.MustChange, c.TOTPConfirmed, c.EmailCodes = must == 1, confirmed == 1, emailCodes == 1
	if err := json.Unmarshal([]byte(history), &c.History); err != nil {
		return nil, gatehouse.Internal(err)
	}
	if err := json.Unmarshal([]byte(recovery), &c.RecoveryHashes); err != nil {
		return nil, gatehouse.Internal(err)
	}
	if c.Passkeys, err = loadPasskeys(passkeys); err != nil {
		return nil, gatehouse.Internal(err)
	}
	if c.Code, err = loadCode(code); err != nil {
		return nil, gatehouse.Internal(err)
	}
	return c, nil
}

const sessionColumns = `id, token_hash, csrf_hash, user_id, org_id, created_at, last_seen_at, expires_at,
	mfa_pending, step_up_at, ip, user_agent, device`

func scanSession(row interface{ Scan(...any) error }) (*gatehouse.Session, error) {
	s := &gatehouse.Session{}
	var created, seen, expires, stepUp int64
	var pending int
	err := row.Scan(&s.ID, &s.TokenHash, &s.CSRFHash, &s.User, &s.Org, &created, &seen, &expires, &pending, &stepUp,
		&s.IP, &s.UserAgent, &s.Device)
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.StepUpAt = fromNanos(created), fromNanos(seen), fromNanos(expires), fromNanos(stepUp)
	s.MFAPending = pending == 1
	return s, nil
}

// SessionByHash finds a session by its token's hash; KindNotFound when none.
func (db *DB) SessionByHash(ctx context.Context, tokenHash string) (*gatehouse.Session, error) {
	s, err := scanSession(db.read.QueryRowContext(ctx, db.d.rebind("SELECT "+sessionColumns+" FROM sessions WHERE token_hash = ?"), tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("session")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: read session: %w", err))
	}
	return s, nil
}

// Sessions lists a user's sessions, newest first.
func (db *DB) Sessions(ctx context.Context, user gatehouse.UserID) ([]*gatehouse.Session, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind("SELECT "+sessionColumns+" FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id"), string(user))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: list sessions: %w", err))
	}
	defer rows.Close()
	var out []*gatehouse.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchSession records activity at most once a minute per session, so that
// reading a session is not a write on every request.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?"),
		nanos(at), id, nanos(at.Add(-time.Minute)))
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: touch session: %w", err))
	}
	return nil
}

const mailColumns = `id, org_id, to_addr, subject, body, kind, status, attempts, next_attempt_at, last_error, created_at, sent_at`

func scanMail(row interface{ Scan(...any) error }) (*gatehouse.Mail, error) {
	m := &gatehouse.Mail{}
	var status string
	var next, created, sent int64
	if err := row.Scan(&m.ID, &m.Org, &m.To, &m.Subject, &m.Body, &m.Kind, &status, &m.Attempts, &next, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	m.Status, m.NextAttempt, m.CreatedAt, m.SentAt = gatehouse.MailStatus(status), fromNanos(next), fromNanos(created), fromNanos(sent)
	return m, nil
}

func (db *DB) mails(ctx context.Context, q string, args ...any) ([]*gatehouse.Mail, error) {
	rows, err := db.write.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: mail: %w", err))
	}
	defer rows.Close()
	var out []*gatehouse.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClaimMail leases due messages. The lease is checked again in the outer
// WHERE, so on PostgreSQL a second node waiting on the same rows re-reads
// them after the first commits and finds them leased.
func (db *DB) ClaimMail(ctx context.Context, now, leaseUntil time.Time, n int) ([]*gatehouse.Mail, error) {
	return db.mails(ctx, `UPDATE outbox SET lease_until = ?
		WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ? AND id IN (
			SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
			ORDER BY next_attempt_at LIMIT ?)
		RETURNING `+mailColumns, nanos(leaseUntil), nanos(now), nanos(now), nanos(now), nanos(now), n)
}

// FinishMail records an attempt and frees the lease.
func (db *DB) FinishMail(ctx context.Context, m *gatehouse.Mail) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, sent_at = ?, lease_until = 0 WHERE id = ?`), string(m.Status), m.Attempts, nanos(m.NextAttempt),
		m.LastError, nanos(m.SentAt), m.ID)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: finish mail: %w", err))
	}
	return nil
}

// ListMail lists an organization's newest messages, without their bodies.
func (db *DB) ListMail(ctx context.Context, org gatehouse.OrgID, limit int) ([]*gatehouse.Mail, error) {
	out, err := db.mails(ctx, "SELECT "+mailColumns+" FROM outbox WHERE org_id = ? ORDER BY created_at DESC, id LIMIT ?",
		string(org), clampLimit(limit))
	for _, m := range out {
		m.Body = ""
	}
	return out, err
}

// TouchKey records a key's last use; newer uses win.
func (db *DB) TouchKey(ctx context.Context, id gatehouse.KeyID, at time.Time, ip string) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind(`INSERT INTO key_usage (key_id, last_used_at, last_ip) VALUES (?, ?, ?)
		ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at, last_ip = excluded.last_ip
		WHERE key_usage.last_used_at < excluded.last_used_at`), string(id), nanos(at), ip)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: touch key: %w", err))
	}
	return nil
}

// KeyUsage reads the last use of each key.
func (db *DB) KeyUsage(ctx context.Context, ids []gatehouse.KeyID) (map[gatehouse.KeyID]gatehouse.KeyUse, error) {
	out := map[gatehouse.KeyID]gatehouse.KeyUse{}
	for _, id := range ids {
		var at int64
		var ip string
		err := db.read.QueryRowContext(ctx, db.d.rebind("SELECT last_used_at, last_ip FROM key_usage WHERE key_id = ?"), string(id)).Scan(&at, &ip)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("vault: key usage: %w", err))
		}
		out[id] = gatehouse.KeyUse{At: fromNanos(at), IP: ip}
	}
	return out, nil
}

func (v *vaultTx) PutWebhookSecret(org gatehouse.OrgID, secret string) error {
	return v.exec(`INSERT INTO webhook_secrets (org_id, secret) VALUES (?, ?)
		ON CONFLICT (org_id) DO UPDATE SET secret = excluded.secret`, string(org), secret)
}

func (v *vaultTx) PutProviderSecret(org gatehouse.OrgID, id gatehouse.ProviderID, sealed string) error {
	return v.exec(`INSERT INTO provider_secrets (provider_id, org_id, sealed) VALUES (?, ?, ?)
		ON CONFLICT (provider_id) DO UPDATE SET sealed = excluded.sealed`, string(id), string(org), sealed)
}

func (v *vaultTx) DeleteProviderSecret(id gatehouse.ProviderID) error {
	return v.exec("DELETE FROM provider_secrets WHERE provider_id = ?", string(id))
}

func (v *vaultTx) SeenOnce(key string, expires, now time.Time) (bool, error) {
	if err := v.exec("DELETE FROM seen_once WHERE expires_at < ?", nanos(now)); err != nil {
		return false, err
	}
	res, err := v.q.ExecContext(v.ctx, v.d.rebind("INSERT INTO seen_once (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"),
		key, nanos(expires))
	if err != nil {
		return false, gatehouse.Internal(fmt.Errorf("vault: seen once: %w", err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, gatehouse.Internal(fmt.Errorf("vault: seen once: %w", err))
	}
	return n == 1, nil
}

func (v *vaultTx) PutDirectoryToken(t *gatehouse.DirectoryToken) error {
	return v.exec(`INSERT INTO directory_tokens (hash, id, directory_id, org_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Hash, t.ID, string(t.Directory), string(t.Org), nanos(t.CreatedAt), nanos(t.ExpiresAt))
}

func (v *vaultTx) DeleteDirectoryToken(dir gatehouse.ExternalDirectoryID, id string) error {
	res, err := v.q.ExecContext(v.ctx, v.d.rebind("DELETE FROM directory_tokens WHERE directory_id = ? AND id = ?"), string(dir), id)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: delete directory token: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return gatehouse.NotFound("token")
	}
	return nil
}

func (v *vaultTx) DeleteDirectoryTokens(dir gatehouse.ExternalDirectoryID) error {
	return v.exec("DELETE FROM directory_tokens WHERE directory_id = ?", string(dir))
}

const tokenCols = "hash, id, directory_id, org_id, created_at, expires_at"

func scanToken(row interface{ Scan(...any) error }) (*gatehouse.DirectoryToken, error) {
	t := &gatehouse.DirectoryToken{}
	var dir, org string
	var created, expires int64
	if err := row.Scan(&t.Hash, &t.ID, &dir, &org, &created, &expires); err != nil {
		return nil, err
	}
	t.Directory, t.Org, t.CreatedAt, t.ExpiresAt = gatehouse.ExternalDirectoryID(dir), gatehouse.OrgID(org), fromNanos(created), fromNanos(expires)
	return t, nil
}

// DirectoryTokenByHash finds a SCIM client's token.
func (db *DB) DirectoryTokenByHash(ctx context.Context, hash string) (*gatehouse.DirectoryToken, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, db.d.rebind("SELECT "+tokenCols+" FROM directory_tokens WHERE hash = ?"), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("token")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: directory token: %w", err))
	}
	return t, nil
}

// DirectoryTokens lists a directory's tokens, oldest first.
func (db *DB) DirectoryTokens(ctx context.Context, dir gatehouse.ExternalDirectoryID) ([]*gatehouse.DirectoryToken, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind("SELECT "+tokenCols+" FROM directory_tokens WHERE directory_id = ? ORDER BY created_at, id"), string(dir))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: directory tokens: %w", err))
	}
	defer rows.Close()
	var out []*gatehouse.DirectoryToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("vault: directory tokens: %w", err))
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ProviderSecret reads an identity provider's sealed secrets.
func (db *DB) ProviderSecret(ctx context.Context, id gatehouse.ProviderID) (string, error) {
	var sealed string
	err := db.read.QueryRowContext(ctx, db.d.rebind("SELECT sealed FROM provider_secrets WHERE provider_id = ?"), string(id)).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", gatehouse.NotFound("identity provider secret")
	}
	if err != nil {
		return "", gatehouse.Internal(fmt.Errorf("vault: provider secret: %w", err))
	}
	return sealed, nil
}

// WebhookSecret reads an organization's webhook signing key.
func (db *DB) WebhookSecret(ctx context.Context, org gatehouse.OrgID) (string, error) {
	var secret string
	err := db.read.QueryRowContext(ctx, db.d.rebind("SELECT secret FROM webhook_secrets WHERE org_id = ?"), string(org)).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", gatehouse.NotFound("webhook secret")
	}
	if err != nil {
		return "", gatehouse.Internal(fmt.Errorf("vault: webhook secret: %w", err))
	}
	return secret, nil
}

// takeTokenSQL takes one token from a bucket in one statement, so concurrent
// callers on any node serialise on the row. The refill never exceeds the
// burst and never runs backwards when nodes' clocks disagree.
const takeTokenSQL = `INSERT INTO rate_buckets (key, tokens, at, rate, burst, full_at, ok) VALUES (?, ?, ?, ?, ?, ?, 1)
	ON CONFLICT (key) DO UPDATE SET
		tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END,
		ok = CASE WHEN {refill} >= 1 THEN 1 ELSE 0 END,
		at = CASE WHEN excluded.at > rate_buckets.at THEN excluded.at ELSE rate_buckets.at END,
		rate = excluded.rate, burst = excluded.burst, full_at = excluded.full_at
	RETURNING ok`

// takeTokenQuery is takeTokenSQL with the refill written out: the tokens left
// plus what the time since the last take has added, capped at the burst.
var takeTokenQuery = func() string {
	added := "rate_buckets.tokens + (CASE WHEN excluded.at > rate_buckets.at THEN excluded.at - rate_buckets.at ELSE 0 END) * excluded.rate"
	refill := "(CASE WHEN " + added + " > excluded.burst THEN excluded.burst ELSE " + added + " END)"
	return strings.ReplaceAll(takeTokenSQL, "{refill}", refill)
}()

// TakeToken takes a token from key's bucket (burst tokens, refilled at
// perSecond) at now, and reports whether there was one.
func (db *DB) TakeToken(ctx context.Context, key string, now time.Time, perSecond float64, burst int) (bool, error) {
	t, b := unixSeconds(now), float64(burst)
	var ok int
	err := db.write.QueryRowContext(ctx, db.d.rebind(takeTokenQuery), key, b-1, t, perSecond, b, t+b/perSecond).Scan(&ok)
	if err != nil {
		return false, gatehouse.Internal(fmt.Errorf("vault: take token: %w", err))
	}
	return ok == 1, nil
}

// SweepTokens deletes the buckets that are full again at now.
func (db *DB) SweepTokens(ctx context.Context, now time.Time) error {
	if _, err := db.write.ExecContext(ctx, db.d.rebind("DELETE FROM rate_buckets WHERE full_at < ?"), unixSeconds(now)); err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: sweep tokens: %w", err))
	}
	return nil
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

const keptAnswerSQL = "SELECT request, status, body, created_at, expires_at FROM kept_answers WHERE org_id = ? AND key = ? AND expires_at > ?"

// keptAnswer reads an unexpired kept answer through q (a pool or a transaction).
func keptAnswer(ctx context.Context, q execer, d *Dialect, org gatehouse.OrgID, key string, now time.Time) (*gatehouse.KeptAnswer, error) {
	k := &gatehouse.KeptAnswer{Org: org, Key: key}
	var body string
	var created, expires int64
	err := q.QueryRowContext(ctx, d.rebind(keptAnswerSQL), string(org), key, nanos(now)).
		Scan(&k.Request, &k.Status, &body, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("kept answer")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: kept answer: %w", err))
	}
	k.Body, k.CreatedAt, k.ExpiresAt = []byte(body), fromNanos(created), fromNanos(expires)
	return k, nil
}

// KeptAnswer reads the answer kept under an organization's key.
func (db *DB) KeptAnswer(ctx context.Context, org gatehouse.OrgID, key string, now time.Time) (*gatehouse.KeptAnswer, error) {
	return keptAnswer(ctx, db.read, &db.d, org, key, now)
}

// KeptAnswer reads a kept answer inside the transaction, which sees every
// answer committed before it took the write lock.
func (v *vaultTx) KeptAnswer(org gatehouse.OrgID, key string, now time.Time) (*gatehouse.KeptAnswer, error) {
	return keptAnswer(v.ctx, v.q, v.d, org, key, now)
}

// KeepAnswer keeps an answer, after forgetting those expired at now.
func (v *vaultTx) KeepAnswer(k *gatehouse.KeptAnswer, now time.Time) error {
	if err := v.exec("DELETE FROM kept_answers WHERE expires_at <= ?", nanos(now)); err != nil {
		return err
	}
	// DO NOTHING rather than a unique violation, which would spoil a
	// PostgreSQL transaction that has the directory's writes in it.
	res, err := v.q.ExecContext(v.ctx, v.d.rebind(`INSERT INTO kept_answers (org_id, key, request, status, body, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, key) DO NOTHING`),
		string(k.Org), k.Key, k.Request, k.Status, string(k.Body), nanos(k.CreatedAt), nanos(k.ExpiresAt))
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("vault: keep answer: %w", err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return gatehouse.Errorf(gatehouse.KindConflict, "idempotency_key_kept", "an answer is kept under this key already")
	}
	return nil
}

func (v *vaultTx) PutAvatar(a *gatehouse.Avatar) error {
	return v.exec(`INSERT INTO avatars (user_id, org_id, hash, png) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, png = excluded.png`, string(a.User), string(a.Org), a.Hash, a.PNG)
}

func (v *vaultTx) DeleteAvatar(user gatehouse.UserID) error {
	return v.exec("DELETE FROM avatars WHERE user_id = ?", string(user))
}

// Avatar returns a user's picture.
func (db *DB) Avatar(ctx context.Context, user gatehouse.UserID) (*gatehouse.Avatar, error) {
	a := &gatehouse.Avatar{User: user}
	var org string
	err := db.read.QueryRowContext(ctx, db.d.rebind("SELECT org_id, hash, png FROM avatars WHERE user_id = ?"), string(user)).
		Scan(&org, &a.Hash, &a.PNG)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gatehouse.NotFound("avatar")
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("vault: avatar: %w", err))
	}
	a.Org = gatehouse.OrgID(org)
	return a, nil
}
