package auth

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("NewRecoveryCodes = %d codes, %d hashes; want 10, 10", len(codes), len(hashes))
	}
	form := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)
	seen := map[string]bool{}
	for i, c := range codes {
		code := c.Reveal()
		if !form.MatchString(code) {
			t.Errorf("code %d = %q, want the form %s", i, code, form)
		}
		if seen[code] {
			t.Errorf("code %d = %q, a duplicate", i, code)
		}
		seen[code] = true
		if got := fmt.Sprint(c); got != "[redacted]" {
			t.Errorf("fmt.Sprint(code %d) = %q, want [redacted]", i, got)
		}
		if rest, ok := UseRecoveryCode(hashes[i:i+1], code); !ok || len(rest) != 0 {
			t.Errorf("UseRecoveryCode(hash %d, code %d) = %v, %v; want [], true", i, i, rest, ok)
		}
	}
}

func TestUseRecoveryCode(t *testing.T) {
	// A fixed code with every symbol that has a look-alike: 0 and 1.
	hashes := []string{hashRecovery("aaaaabbbbb"), hashRecovery("01xyz9m4k7"), hashRecovery("ccccc22222")}
	orig := slices.Clone(hashes)
	others := []string{hashes[0], hashes[2]}
	tests := []struct {
		name   string
		hashes []string
		code   string
		want   []string
		wantOK bool
	}{
		{"as shown", hashes, "01xyz-9m4k7", others, true},
		{"upper case", hashes, "01XYZ-9M4K7", others, true},
		{"no hyphen", hashes, "01xyz9m4k7", others, true},
		{"spaces", hashes, " 01xyz 9m4k7 ", others, true},
		{"o and l for 0 and 1", hashes, "OLxyz-9m4k7", others, true},
		{"o and I for 0 and 1", hashes, "oIxyz-9m4k7", others, true},
		{"first", hashes, "aaaaa-bbbbb", hashes[1:], true},
		{"last", hashes, "ccccc-22222", hashes[:2], true},
		{"wrong", hashes, "01xyz-9m4k8", hashes, false},
		{"too short", hashes, "01xyz-9m4k", hashes, false},
		{"empty", hashes, "", hashes, false},
		{"no codes left", nil, "01xyz-9m4k7", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := UseRecoveryCode(tt.hashes, tt.code)
			if ok != tt.wantOK {
				t.Fatalf("UseRecoveryCode(%q) ok = %v, want %v", tt.code, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("UseRecoveryCode(%q) remaining (-want +got):\n%s", tt.code, diff)
			}
			if diff := cmp.Diff(orig, hashes); diff != "" {
				t.Fatalf("UseRecoveryCode modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	rest, ok := UseRecoveryCode(hashes, codes[3].Reveal())
	if !ok || len(rest) != 9 {
		t.Fatalf("first use = %d left, %v; want 9, true", len(rest), ok)
	}
	if again, ok := UseRecoveryCode(rest, codes[3].Reveal()); ok {
		t.Fatalf("second use = %d left, true; want false", len(again))
	}
}
