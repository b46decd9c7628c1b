package auth

import (
	"crypto/rand"
	"encoding/base64"

	gh "gatehouse.dev/gatehouse"
)

// NewToken returns a fresh opaque token — 256 random bits in URL-safe base64
// without padding, fit for cookies and links — and its stored form, HashToken
// of it. Sessions, CSRF tokens and one-time links keep only the hash.
func NewToken() (gh.Secret, string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	return gh.Secret(secret), HashToken(secret)
}

// HashToken returns the stored form of a token, the same as an API key's
// (SHA-256 in hex): with 256 random bits there is nothing to guess, and
// lookups by hash must be quick.
func HashToken(secret string) string { return gh.HashKey(secret) }
