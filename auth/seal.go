package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Sealer encrypts secrets the service must read back (TOTP seeds, webhook
// keys) before they are stored, with AES-256-GCM under a key kept outside the
// database, so a copy of the database alone does not give them away. The zero
// Sealer stores and reads values as they are.
type Sealer struct {
	aead cipher.AEAD
}

// sealedPrefix marks sealed values, so values stored before a key was set still read.
const sealedPrefix = "sealed:v1:"

// NewSealer makes a Sealer from a base64 key of 32 bytes (GATEHOUSE_SECRET_KEY).
func NewSealer(key string) (Sealer, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if err != nil || len(raw) != 32 {
		return Sealer{}, errors.New("GATEHOUSE_SECRET_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Sealer{}, err
	}
	return Sealer{aead: aead}, nil
}

// Seal returns the stored form of a secret.
func (s Sealer) Seal(plain string) string {
	if s.aead == nil || plain == "" {
		return plain
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// Open returns the secret of a stored value: sealed ones need the key they
// were sealed with (KindInternal otherwise); others are returned as they are.
func (s Sealer) Open(stored string) (string, error) {
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	if s.aead == nil {
		return "", gh.Internal(errors.New("a sealed secret was found but GATEHOUSE_SECRET_KEY is not set"))
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", gh.Internal(errors.New("a sealed secret is damaged"))
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], nil)
	if err != nil {
		return "", gh.Internal(errors.New("a sealed secret does not open with GATEHOUSE_SECRET_KEY (was the key changed?)"))
	}
	return string(plain), nil
}
