package auth

import (
	"encoding/base64"
	"fmt"
	"testing"
)

func TestNewToken(t *testing.T) {
	secret, hash := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(secret.Reveal())
	if err != nil || len(raw) != 32 {
		t.Fatalf("NewToken secret = %d bytes, %v; want 32 bytes of URL-safe base64", len(raw), err)
	}
	if want := HashToken(secret.Reveal()); hash != want {
		t.Fatalf("NewToken hash = %q, want HashToken(secret) = %q", hash, want)
	}
	if got := fmt.Sprint(secret); got != "[redacted]" {
		t.Fatalf("fmt.Sprint(secret) = %q, want [redacted]", got)
	}
	if other, _ := NewToken(); other == secret {
		t.Fatalf("two NewToken = the same secret, want different")
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// FIPS 180-2 test vectors for SHA-256.
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HashToken(tt.in); got != tt.want {
				t.Fatalf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
