package auth

import (
	"strings"
	"testing"
)

func TestOTP(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, hash := NewOTP("usr_a")
		c := code.Reveal()
		if len(c) != OTPDigits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("NewOTP = %q, want %d digits", c, OTPDigits)
		}
		if !CheckOTP(hash, "usr_a", c) || !CheckOTP(hash, "usr_a", " "+c[:3]+"-"+c[3:]) {
			t.Fatalf("CheckOTP(%q) = false, want true", c)
		}
		if CheckOTP(hash, "usr_b", c) {
			t.Fatalf("CheckOTP(another user's code) = true, want false")
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("200 codes gave %d distinct values; want them random", len(seen))
	}
}
