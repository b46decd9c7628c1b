package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// recoveryAlphabet is Crockford's base32 in lower case: digits and letters
// without i, l, o and u, so that no two symbols are easily mistaken. Each
// symbol carries 5 bits; a code of 10 carries 50, plenty for a secret that
// works once and is only ever tried behind a rate limit.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

const (
	recoveryCount = 10
	recoveryHalf  = 5 // symbols either side of the hyphen
)

// NewRecoveryCodes makes 10 one-time recovery codes of the form xxxxx-xxxxx
// (50 random bits each) and their stored forms, index for index. Show the
// codes once; keep only the hashes.
func NewRecoveryCodes() (codes []gh.Secret, hashes []string) {
	for range recoveryCount {
		var b [2 * recoveryHalf]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
		for i := range b {
			b[i] = recoveryAlphabet[b[i]%32] // 256 is a multiple of 32: no bias
		}
		codes = append(codes, gh.Secret(string(b[:recoveryHalf])+"-"+string(b[recoveryHalf:])))
		hashes = append(hashes, hashRecovery(string(b[:])))
	}
	return codes, hashes
}

// UseRecoveryCode looks code up among hashes, ignoring case, spaces and
// hyphens (and reading i, l as 1 and o as 0, as Crockford's base32 does). If
// it is there, it returns the other hashes, to be stored in place of the old
// ones, and ok; the input slice is not modified. Otherwise it returns hashes.
func UseRecoveryCode(hashes []string, code string) (remaining []string, ok bool) {
	norm := normalizeRecovery(code)
	if len(norm) != 2*recoveryHalf {
		return hashes, false
	}
	h := []byte(hashRecovery(norm))
	found := -1
	for i, stored := range hashes {
		if subtle.ConstantTimeCompare(h, []byte(stored)) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return hashes, false
	}
	remaining = make([]string, 0, len(hashes)-1)
	remaining = append(remaining, hashes[:found]...)
	return append(remaining, hashes[found+1:]...), true
}

// hashRecovery is SHA-256 in hex: a fast hash is right, as the codes are
// random with 50 bits and tried only behind a rate limit.
func hashRecovery(norm string) string {
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

func normalizeRecovery(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		case 'i', 'I', 'l', 'L':
			return '1'
		case 'o', 'O':
			return '0'
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, code)
}
