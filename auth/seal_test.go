package auth

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealer(t *testing.T) {
	s, err := NewSealer(newKey())
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("JBSWY3DPEHPK3PXP")
	if !strings.HasPrefix(sealed, sealedPrefix) || strings.Contains(sealed, "JBSWY3DP") {
		t.Fatalf("Seal = %q, want a sealed value that does not show the secret", sealed)
	}
	if s.Seal("JBSWY3DPEHPK3PXP") == sealed {
		t.Errorf("two seals of one secret are equal: the nonce is not fresh")
	}
	if got, err := s.Open(sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("Open = %q, %v", got, err)
	}
	if got, err := s.Open("plain-old-value"); err != nil || got != "plain-old-value" {
		t.Errorf("Open(unsealed) = %q, %v; want it as it is", got, err)
	}
	other, _ := NewSealer(newKey())
	if _, err := other.Open(sealed); err == nil {
		t.Errorf("another key opened the secret")
	}
	if _, err := (Sealer{}).Open(sealed); err == nil {
		t.Errorf("no key opened a sealed secret")
	}
	if _, err := s.Open(sealed[:len(sealed)-4] + "AAAA"); err == nil {
		t.Errorf("a damaged value opened")
	}
	for _, bad := range []string{"", "short", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := NewSealer(bad); err == nil {
			t.Errorf("NewSealer(%q) accepted a bad key", bad)
		}
	}
	if (Sealer{}).Seal("x") != "x" {
		t.Errorf("the zero Sealer changed a value")
	}
}
