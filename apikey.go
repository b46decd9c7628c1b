package gatehouse

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"
)

// APIKey is a bearer credential. A personal key (User set) acts as exactly that
// user; the operator key (Org and User empty) acts as the platform operator.
// Only the SHA-256 of the secret is kept: the key itself is shown once. The
// hash stays in the state table: events name a key by id and name only.
type APIKey struct {
	ID        KeyID      `json:"id"`
	Org       OrgID      `json:"org_id,omitempty"`
	User      UserID     `json:"user_id,omitempty"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Hash      string     `json:"hash"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Origin is who made a personal key: empty for a user of the
	// organization, else the operator and why (KeyBootstrap, KeyRecovery).
	Origin KeyOrigin `json:"origin,omitempty"`
	Meta
}

// KeyOrigin says why the platform operator made a personal key.
type KeyOrigin string

const (
	// KeyBootstrap is the first key of an organization whose admins have no
	// credential of their own yet.
	KeyBootstrap KeyOrigin = "operator_bootstrap"
	// KeyRecovery is a short-lived key for an admin of a locked-out
	// organization: it works from any address, so the ranges can be fixed.
	KeyRecovery KeyOrigin = "operator_recovery"
)

// IsOperator reports whether the key is the platform operator's.
func (k *APIKey) IsOperator() bool { return k.Org == "" && k.User == "" }

// Own reports whether a personal key was made by a user of the organization,
// not handed over by the operator: a credential of the user's own.
func (k *APIKey) Own() bool { return !k.IsOperator() && k.Origin == "" }

// Secret is a credential in clear text. It never prints itself in logs.
type Secret string

// LogValue keeps secrets out of structured logs.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String keeps secrets out of fmt output too.
func (Secret) String() string { return "[redacted]" }

// Reveal returns the clear text, for the one place it is shown to its owner.
func (s Secret) Reveal() string { return string(s) }

// NewKeySecret returns a fresh API key secret: "ghk_" and 256 random bits.
func NewKeySecret() Secret {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return Secret("ghk_" + idEncoding.EncodeToString(b[:]))
}

// HashKey returns the stored form of a key secret. A fast hash is right here:
// the secret has 256 random bits, so there is nothing to guess.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// KeyPrefix is the part of a secret that may be shown in lists to tell keys apart.
func KeyPrefix(secret string) string {
	if len(secret) > 10 {
		return secret[:10]
	}
	return secret
}

// Validate reports a missing or malformed name, by the rules of every other name.
func (k *APIKey) Validate() error {
	f := Fields{}
	checkName(f, "name", k.Name, 100)
	return f.Err()
}
