package auth

import (
	"bytes"
	"encoding/base32"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	gh "gatehouse.dev/gatehouse"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B, "12345678901234567890".
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

func TestCheckTOTPRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, SHA-1 rows. The 8-digit codes there are the
	// truncated value mod 10^8; the 6-digit code is its last six digits.
	tests := []struct {
		name string
		unix int64
		rfc  string // 8 digits, as printed in the RFC
	}{
		{"59", 59, "94287082"},
		{"1111111109", 1111111109, "07081804"},
		{"1111111111", 1111111111, "14050471"},
		{"1234567890", 1234567890, "89005924"},
		{"2000000000", 2000000000, "69279037"},
		{"20000000000", 20000000000, "65353130"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.rfc[2:]
			step, ok := CheckTOTP(rfcSecret, code, time.Unix(tt.unix, 0), 0)
			if want := tt.unix / 30; !ok || step != want {
				t.Fatalf("CheckTOTP(%s at %d) = %d, %v; want %d, true", code, tt.unix, step, ok, want)
			}
		})
	}
}

func TestCheckTOTP(t *testing.T) {
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 160 bits
	now := time.Unix(1_700_000_010, 0)           // 10 s into step 56666667
	const cur = 1_700_000_010 / 30
	code := func(offset time.Duration) string {
		t.Helper()
		c, err := totp.GenerateCodeCustom(secret, now.Add(offset), totp.ValidateOpts{
			Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatalf("GenerateCodeCustom = %v", err)
		}
		return c
	}
	c0 := code(0)
	tests := []struct {
		name     string
		secret   string
		code     string
		lastStep int64
		wantStep int64
		wantOK   bool
	}{
		{"current step", secret, c0, 0, cur, true},
		{"previous step", secret, code(-30 * time.Second), 0, cur - 1, true},
		{"next step", secret, code(30 * time.Second), 0, cur + 1, true},
		{"two steps ago", secret, code(-60 * time.Second), 0, 0, false},
		{"two steps ahead", secret, code(60 * time.Second), 0, 0, false},
		{"replay of the accepted step", secret, c0, cur, 0, false},
		{"after a later step was used", secret, c0, cur + 1, 0, false},
		{"previous step after current was used", secret, code(-30 * time.Second), cur, 0, false},
		{"last step was the one before", secret, c0, cur - 1, cur, true},
		{"spaces ignored", secret, c0[:3] + " " + c0[3:], 0, cur, true},
		{"lower-case secret", "jbswy3dpehpk3pxpjbswy3dpehpk3pxp", c0, 0, cur, true},
		{"wrong code", secret, wrongCode(c0), 0, 0, false},
		{"five digits", secret, c0[:5], 0, 0, false},
		{"seven digits", secret, c0 + "0", 0, 0, false},
		{"empty code", secret, "", 0, 0, false},
		{"empty secret", "", c0, 0, 0, false},
		{"secret under 128 bits", "JBSWY3DPEHPK3PXP", c0, 0, 0, false},
		{"secret not base32", "JBSWY3DPEHPK3PXP!BSWY3DPEHPK3PXP", c0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := CheckTOTP(tt.secret, tt.code, now, tt.lastStep)
			if ok != tt.wantOK || step != tt.wantStep {
				t.Fatalf("CheckTOTP(%q, last %d) = %d, %v; want %d, %v", tt.code, tt.lastStep, step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

func TestCheckTOTPOnce(t *testing.T) {
	now := time.Unix(1_700_000_010, 0)
	code, _ := totp.GenerateCode(rfcSecret, now)
	step, ok := CheckTOTP(rfcSecret, code, now, 0)
	if !ok {
		t.Fatalf("first CheckTOTP = %d, false; want true", step)
	}
	if again, ok := CheckTOTP(rfcSecret, code, now.Add(10*time.Second), step); ok {
		t.Fatalf("second CheckTOTP of the same code = %d, true; want false", again)
	}
}

func wrongCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestNewTOTP(t *testing.T) {
	secret, uri, img, err := NewTOTP("Gatehouse", "alice@example.com")
	if err != nil {
		t.Fatalf("NewTOTP = %v, want nil error", err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("NewTOTP secret = %d bytes, %v; want 20 bytes of base32", len(raw), err)
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("otp.NewKeyFromURL(%q) = %v", uri, err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"type", key.Type(), "totp"},
		{"issuer", key.Issuer(), "Gatehouse"},
		{"account", key.AccountName(), "alice@example.com"},
		{"secret", key.Secret(), secret},
		{"period", key.Period(), uint64(30)},
		{"digits", key.Digits(), otp.DigitsSix},
		{"algorithm", key.Algorithm(), otp.AlgorithmSHA1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("URI %s = %v, want %v", c.name, c.got, c.want)
			}
		})
	}
	t.Run("png", func(t *testing.T) {
		pic, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("png.Decode = %v", err)
		}
		if got := pic.Bounds().Size(); got.X != 256 || got.Y != 256 {
			t.Fatalf("QR code size = %v, want 256x256", got)
		}
		for _, p := range []image.Point{{0, 0}, {255, 0}, {0, 255}, {255, 255}, {20, 128}} {
			if r, g, b, _ := pic.At(p.X, p.Y).RGBA(); r&g&b != 0xffff {
				t.Fatalf("QR code pixel %v = %v, want white (quiet zone)", p, pic.At(p.X, p.Y))
			}
		}
	})
	t.Run("code accepted", func(t *testing.T) {
		now := time.Unix(1_700_000_000, 0)
		code, _ := totp.GenerateCode(secret, now)
		if _, ok := CheckTOTP(secret, code, now, 0); !ok {
			t.Fatalf("CheckTOTP(new secret, %s) = false, want true", code)
		}
	})
}

func TestNewTOTPInvalid(t *testing.T) {
	tests := []struct{ name, issuer, account string }{
		{"no issuer", "", "alice@example.com"},
		{"no account", "Gatehouse", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := NewTOTP(tt.issuer, tt.account)
			if gh.KindOf(err) != gh.KindInvalid {
				t.Fatalf("NewTOTP(%q, %q) = %v, want a KindInvalid error", tt.issuer, tt.account, err)
			}
		})
	}
}

// TestTOTPImage: an enrolment drawn again from its secret gives the URI and
// QR code it was begun with, and a malformed secret is refused.
func TestTOTPImage(t *testing.T) {
	secret, uri, png, err := NewTOTP("Gatehouse", "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	uri2, png2, err := TOTPImage("Gatehouse", "ana@example.com", secret)
	if err != nil {
		t.Fatal(err)
	}
	if uri2 != uri || !bytes.Equal(png2, png) {
		t.Errorf("TOTPImage(%s) = %q and a %d-byte PNG, want %q and the %d-byte PNG NewTOTP drew", secret, uri2, len(png2), uri, len(png))
	}
	if _, _, err := TOTPImage("Gatehouse", "ana@example.com", "SHORT"); gh.KindOf(err) != gh.KindInvalid {
		t.Errorf("TOTPImage(SHORT) error = %v, want KindInvalid", err)
	}
}
