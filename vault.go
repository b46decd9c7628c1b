package gatehouse

import (
	"context"
	"time"
)

// The vault keeps what must never travel in events or reach the audit log:
// password hashes, MFA secrets, sessions, one-time links and mail bodies. It
// lives in the same database as the directory, in tables of its own; changes
// that go with a directory change are written in the same transaction
// (Tx.Vault), and their audit events carry no secret.

// Credential is a user's sign-in material and lockout state.
type Credential struct {
	User            UserID    `json:"user_id"`
	Org             OrgID     `json:"org_id"`
	PasswordHash    string    `json:"-"` // argon2id, PHC string form with its parameters
	PasswordSetAt   time.Time `json:"password_set_at"`
	MustChange      bool      `json:"must_change"` // set by an admin's temporary password
	History         []string  `json:"-"`           // previous password hashes, newest first
	FailedAttempts  int       `json:"failed_attempts"`
	LockedUntil     time.Time `json:"locked_until"`
	TOTPSecret      string    `json:"-"` // base32; empty when not enrolled
	TOTPConfirmed   bool      `json:"totp_confirmed"`
	TOTPLastStep    int64     `json:"-"` // the last time step accepted: a code is never accepted twice
	RecoveryHashes  []string  `json:"-"` // unused recovery codes, hashed
	PasswordVersion int       `json:"-"` // bumped on every password change, for sessions to notice
	Passkeys        []Passkey `json:"-"`
	// EmailCodes: the user takes codes by email to its own address as a second factor.
	EmailCodes bool `json:"email_codes"`
	// Phone is the proved number (E.164) codes are texted to; empty when
	// none. Sealed when stored, and never part of the user's profile.
	Phone string `json:"-"`
	// Code is the one-time code sent last and not used yet, if any.
	Code *OneTimeCode `json:"-"`
}

// The channels a one-time code travels by.
const (
	CodeEmail    = "email"     // a sign-in code to the user's address
	CodeSMS      = "sms"       // a sign-in code to the proved phone
	CodeSMSEnrol = "sms_enrol" // a code proving a phone being added
)

// OneTimeCode is a short code sent by email or text message: only its hash
// is kept, it works once, until ExpiresAt, and for a few wrong tries.
type OneTimeCode struct {
	Hash      string    `json:"hash"`
	Channel   string    `json:"channel"`         // CodeEmail, CodeSMS or CodeSMSEnrol
	Phone     string    `json:"phone,omitempty"` // CodeSMSEnrol: the number being proved (sealed when stored)
	ExpiresAt time.Time `json:"expires_at"`
	TriesLeft int       `json:"tries_left"`
}

// Passkey is a WebAuthn credential: a key on the user's device that signs
// them in without a password. The device checks the person (fingerprint,
// face or PIN) before it signs, so a passkey counts as both factors.
type Passkey struct {
	ID         string    `json:"id"` // the credential id, base64url
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	Key        []byte    `json:"-"` // public key, signature counter and flags, as the WebAuthn library keeps them
}

// Validate reports a malformed name, by the rules of every other name.
func (p *Passkey) Validate() error {
	f := Fields{}
	checkName(f, "name", p.Name, 100)
	return f.Err()
}

// Ceremony is a WebAuthn registration or sign-in under way: what the server
// asked the device to sign, kept until the answer comes back, once.
type Ceremony struct {
	ID        string
	Kind      string // CeremonyRegister or CeremonyLogin
	User      UserID // who registers a passkey; empty for a sign-in
	Data      []byte // the WebAuthn library's session data (challenge, allowed credentials)
	ExpiresAt time.Time
}

// The kinds of ceremony.
const (
	CeremonyRegister = "passkey.register"
	CeremonyLogin    = "passkey.login"
)

// Session is a signed-in browser or client. Only the hash of its token is kept.
type Session struct {
	ID         string    `json:"id"`
	TokenHash  string    `json:"-"`
	CSRFHash   string    `json:"-"`
	User       UserID    `json:"user_id"`
	Org        OrgID     `json:"org_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute timeout
	MFAPending bool      `json:"mfa_pending"`
	StepUpAt   time.Time `json:"step_up_at"` // last re-authentication, for sensitive actions
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Device     string    `json:"device"`
}

// TokenKind says what a one-time token is for.
type TokenKind string

const (
	TokenInvitation TokenKind = "invitation"
	TokenReset      TokenKind = "reset"
)

// OneTimeToken is a link sent by email; only its hash is kept, and it works once.
type OneTimeToken struct {
	Hash      string    `json:"-"`
	Kind      TokenKind `json:"kind"`
	User      UserID    `json:"user_id"`
	Org       OrgID     `json:"org_id"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at"`
}

// MailStatus is where a message of the outbox stands.
type MailStatus string

const (
	MailPending MailStatus = "pending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed" // gave up after the last retry
)

// Mail is one message of the transactional outbox.
type Mail struct {
	ID          string     `json:"id"`
	Org         OrgID      `json:"org_id"`
	To          string     `json:"to"`
	Subject     string     `json:"subject"`
	Body        string     `json:"-"` // may hold a one-time link
	Kind        string     `json:"kind"`
	Status      MailStatus `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAttempt time.Time  `json:"next_attempt_at"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      time.Time  `json:"sent_at"`
}

// VaultTx writes vault rows, inside a directory transaction or on its own.
type VaultTx interface {
	NoteTx
	PutCredential(c *Credential) error
	PutSession(s *Session) error
	DeleteSession(org OrgID, id string) error
	// DeleteSessions ends every session of a user except keep ("" for none); it returns how many.
	DeleteSessions(user UserID, keep string) (int, error)
	PutToken(t *OneTimeToken) error
	// UseToken marks an unused, unexpired token used and returns it; KindNotFound otherwise.
	UseToken(hash string, kind TokenKind, now time.Time) (*OneTimeToken, error)
	EnqueueMail(m *Mail) error
	// RevokeTokens makes every unused one-time link of a user useless.
	RevokeTokens(user UserID) error
	// ForgetUser removes a deleted user's credential, sessions and tokens.
	ForgetUser(user UserID) error
	// PutWebhookSecret sets the key an organization's webhook calls are signed with.
	PutWebhookSecret(org OrgID, secret string) error
	// PutCeremony keeps a WebAuthn ceremony until it is taken or expires,
	// and forgets those expired at now.
	PutCeremony(c *Ceremony, now time.Time) error
	// TakeCeremony removes and returns an unexpired ceremony of kind; KindNotFound otherwise.
	TakeCeremony(id, kind string, now time.Time) (*Ceremony, error)
	// KeptAnswer reads the answer kept under an organization's key, as
	// Vault.KeptAnswer does, inside the transaction.
	KeptAnswer(org OrgID, key string, now time.Time) (*KeptAnswer, error)
	// PutProviderSecret keeps an identity provider's sealed secrets.
	PutProviderSecret(org OrgID, id ProviderID, sealed string) error
	// DeleteProviderSecret forgets them with the provider.
	DeleteProviderSecret(id ProviderID) error
	// PutDirectoryToken keeps a SCIM client's token (its hash).
	PutDirectoryToken(t *DirectoryToken) error
	// DeleteDirectoryToken revokes one token of a directory; KindNotFound when none.
	DeleteDirectoryToken(dir ExternalDirectoryID, id string) error
	// DeleteDirectoryTokens revokes every token of a directory.
	DeleteDirectoryTokens(dir ExternalDirectoryID) error
	// SeenOnce records key until expires and reports whether it is new; a
	// key seen before (on any node) and not yet expired answers false.
	// Expired keys are forgotten as new ones come.
	SeenOnce(key string, expires, now time.Time) (bool, error)
	// PutAvatar sets a user's picture, replacing any other.
	PutAvatar(a *Avatar) error
	// DeleteAvatar removes a user's picture, if it has one.
	DeleteAvatar(user UserID) error
	// KeepAnswer keeps an answer until its ExpiresAt and forgets those expired
	// at now; KindConflict when the key holds an unexpired answer already.
	KeepAnswer(k *KeptAnswer, now time.Time) error
}

// Vault reads and writes vault rows. Reads of absent rows are KindNotFound.
type Vault interface {
	Notes
	Credential(ctx context.Context, user UserID) (*Credential, error)
	SessionByHash(ctx context.Context, tokenHash string) (*Session, error)
	Sessions(ctx context.Context, user UserID) ([]*Session, error)
	// TouchSession records activity; stores may skip writes closer than a minute apart.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// VaultUpdate runs fn in a transaction of vault writes alone (no event).
	VaultUpdate(ctx context.Context, fn func(VaultTx) error) error
	// ClaimMail leases up to n due messages to this caller until leaseUntil, so
	// that two nodes never send the same message at once.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, n int) ([]*Mail, error)
	// FinishMail records a sending attempt's outcome.
	FinishMail(ctx context.Context, m *Mail) error
	ListMail(ctx context.Context, org OrgID, limit int) ([]*Mail, error)
	// TouchKey records that an API key was used, from where.
	TouchKey(ctx context.Context, id KeyID, at time.Time, ip string) error
	// KeyUsage returns when each of the keys was last used (absent: never).
	KeyUsage(ctx context.Context, ids []KeyID) (map[KeyID]KeyUse, error)
	// WebhookSecret returns an organization's webhook signing key; KindNotFound when none.
	WebhookSecret(ctx context.Context, org OrgID) (string, error)
	// TakeToken takes a token from key's bucket (burst tokens, refilled at
	// perSecond) at now and reports whether there was one. Every node sees
	// the same buckets, so N nodes allow what one would.
	TakeToken(ctx context.Context, key string, now time.Time, perSecond float64, burst int) (bool, error)
	// SweepTokens forgets the buckets that are full again at now.
	SweepTokens(ctx context.Context, now time.Time) error
	// DirectoryTokenByHash finds a SCIM client's token; KindNotFound when none.
	DirectoryTokenByHash(ctx context.Context, hash string) (*DirectoryToken, error)
	// DirectoryTokens lists a directory's tokens, oldest first.
	DirectoryTokens(ctx context.Context, dir ExternalDirectoryID) ([]*DirectoryToken, error)
	// ProviderSecret returns an identity provider's sealed secrets; KindNotFound when none.
	ProviderSecret(ctx context.Context, id ProviderID) (string, error)
	// KeptAnswer reads the answer kept under an organization's key;
	// KindNotFound when there is none, or it expired at now.
	KeptAnswer(ctx context.Context, org OrgID, key string, now time.Time) (*KeptAnswer, error)
	// Avatar returns a user's picture; KindNotFound when it has none.
	Avatar(ctx context.Context, user UserID) (*Avatar, error)
}

// Avatar is a user's picture, re-encoded as PNG by the directory. It is
// kept beside the vault rather than in events, which carry its hash only.
type Avatar struct {
	User UserID
	Org  OrgID
	Hash string // SHA-256 of PNG, hex; the user's Avatar field
	PNG  []byte
}

// KeptAnswer is the answer to a request sent with an idempotency key, kept
// so that a retry of the request is answered alike instead of applied again.
type KeptAnswer struct {
	Org       OrgID
	Key       string
	Request   string // a digest of the request answered: a retry must match it
	Status    int
	Body      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// KeyUse is the last use of an API key.
type KeyUse struct {
	At time.Time `json:"last_used_at"`
	IP string    `json:"last_used_ip"`
}
