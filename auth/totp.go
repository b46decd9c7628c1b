package auth

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	gh "gatehouse.dev/gatehouse"
)

// TOTP settings every authenticator app understands: RFC 6238 defaults.
const (
	totpPeriod = 30 // seconds per step
	totpDigits = otp.DigitsSix
	totpSkew   = 1   // steps either side of now, for clock drift and typing time
	qrSize     = 256 // pixels
	qrMargin   = 24  // pixels, about four modules of a code for a typical URI
)

var hotpOpts = hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a fresh TOTP secret (160 random bits, base32) for account at
// issuer, its otpauth:// URI, and a 256×256 PNG QR code of the URI for an
// authenticator app to scan. The URI and PNG carry the secret too: show them
// only to the account's owner. Errors (an empty issuer or account) are KindInvalid.
func NewTOTP(issuer, account string) (secret string, uri string, png []byte, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account,
		Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", nil, &gh.Error{Kind: gh.KindInvalid, Code: "invalid_totp_account",
			Message: "issuer and account are required for TOTP", Err: err}
	}
	png, err = qrPNG(key)
	if err != nil {
		return "", "", nil, gh.Internal(err)
	}
	return key.Secret(), key.URL(), png, nil
}

// TOTPImage draws again the URI and QR code of an existing secret (base32),
// so that an enrolment begun on one request can be shown on the next. The
// same warning holds: both carry the secret. A malformed secret is KindInvalid.
func TOTPImage(issuer, account, secret string) (uri string, png []byte, err error) {
	canon, err := totpKey(secret)
	if err != nil {
		return "", nil, gh.Errorf(gh.KindInvalid, "invalid_totp_secret", "the TOTP secret is malformed")
	}
	raw, _ := base32.StdEncoding.DecodeString(canon)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw,
		Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", nil, &gh.Error{Kind: gh.KindInvalid, Code: "invalid_totp_account",
			Message: "issuer and account are required for TOTP", Err: err}
	}
	if png, err = qrPNG(key); err != nil {
		return "", nil, gh.Internal(err)
	}
	return key.URL(), png, nil
}

// qrPNG draws the key's URI as a QR code inside a white margin: ISO/IEC 18004
// asks for a quiet zone of four modules, which the library leaves out, and
// phones fail to scan a code that touches a dark page.
func qrPNG(key *otp.Key) ([]byte, error) {
	code, err := key.Image(qrSize-2*qrMargin, qrSize-2*qrMargin)
	if err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, qrSize, qrSize))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, code.Bounds().Add(image.Pt(qrMargin, qrMargin)), code, code.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// CheckTOTP reports whether code is the 6-digit SHA-1 TOTP of secret for the
// 30-second step of now or the one before or after, and returns that step.
// Steps at or before lastStep are never accepted, so each code works once:
// the caller stores the returned step as the next lastStep. Spaces in code are
// ignored. A malformed code, or a secret that is not base32 of at least 128
// bits (RFC 4226 §4 R6), is simply not ok.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	key, err := totpKey(secret)
	if err != nil || len(code) != totpDigits.Length() {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	// Check every candidate step, so the time taken says nothing about which matched.
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(key, uint64(s), hotpOpts)
		match := err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
		if match && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// totpKey returns secret in canonical base32 (upper case, padded) after
// checking that it decodes to at least 128 bits: an empty or short secret
// would make codes anyone can compute.
func totpKey(secret string) (string, error) {
	secret = strings.ToUpper(strings.TrimSpace(secret))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return "", err
	}
	if len(b) < 16 {
		return "", fmt.Errorf("totp secret of %d bits, want at least 128", 8*len(b))
	}
	return base32.StdEncoding.EncodeToString(b), nil
}
