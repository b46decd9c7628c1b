package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// OTPDigits is the length of a code sent by email or text message: a
// million values, tried at most a few times before the code is dropped.
const OTPDigits = 6

// NewOTP makes a code of OTPDigits decimal digits from crypto/rand and the
// hash to keep, bound to its user so a stored hash is useless for another.
func NewOTP(user gh.UserID) (code gh.Secret, hash string) {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000)) // rand.Int is uniform; it fails only if the reader does
	c := leftPad(n.String(), OTPDigits)
	return gh.Secret(c), hashOTP(user, c)
}

// CheckOTP reports whether code (spaces and hyphens ignored) is the one hash was made from.
func CheckOTP(hash string, user gh.UserID, code string) bool {
	c := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code))
	if len(c) != OTPDigits {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashOTP(user, c)), []byte(hash)) == 1
}

func hashOTP(user gh.UserID, code string) string {
	sum := sha256.Sum256([]byte("otp:" + string(user) + ":" + code))
	return hex.EncodeToString(sum[:])
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
