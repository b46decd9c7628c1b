package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	gh "gatehouse.dev/gatehouse"
)

// Params are the argon2id cost parameters of a password hash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // degree of parallelism
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the parameters new hashes use. They are the OWASP Password
// Storage Cheat Sheet's argon2id baseline (m=19 MiB, t=2, p=1), which matches
// RFC 9106 §4's advice to pick the most memory the service can afford per
// concurrent sign-in; the 16-byte salt is RFC 9106 §3.1's recommendation.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// FastParams are cheap parameters for tests only: they protect nothing.
var FastParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, so that a malformed or hostile stored hash is an error
// instead of a panic inside argon2 or an allocation that exhausts the machine.
const (
	maxMemory  = 4 << 20 // KiB, 4 GiB
	maxTime    = 64
	minSaltLen = 8 // PHC string format: salts of 8 to 48 bytes
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

const argonPrefix = "$argon2id$"

var b64 = base64.RawStdEncoding

// validate reports why p cannot be used, or nil.
func (p Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return fmt.Errorf("threads must be at least 1")
	// argon2 silently raises memory below 8 KiB per lane; refuse instead, so
	// that the parameters written in a hash are the ones that were used.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d out of range %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// normalize applies NIST SP 800-63B §5.1.1.2: passwords are normalised with
// NFKC before hashing, so that the same characters typed on different
// keyboards or systems give the same hash.
func normalize(password string) string { return norm.NFKC.String(password) }

// Hash returns the PHC string of password hashed with argon2id under p and a
// fresh random salt: $argon2id$v=19$m=…,t=…,p=…$<salt>$<key> (raw standard
// base64). It returns a KindInternal error when p is out of range.
func (p Params) Hash(password string) (string, error) {
	if err := p.validate(); err != nil {
		return "", gh.Internal(fmt.Errorf("argon2id params: %w", err))
	}
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails; it crashes the program instead
	return p.encode(salt, p.key(password, salt)), nil
}

func (p Params) key(password string, salt []byte) []byte {
	return argon2.IDKey([]byte(normalize(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func (p Params) encode(salt, key []byte) string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argonPrefix, argon2.Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the PHC string encoded, recomputing
// the hash with the parameters stored in it and comparing in constant time.
// needsRehash reports that the stored parameters differ from current; a caller
// that got ok should then store current.Hash(password). A malformed encoded
// string is a KindInternal error (stored hashes are ours), never a panic.
func Verify(encoded, password string, current Params) (ok, needsRehash bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, gh.Internal(fmt.Errorf("argon2id hash: %w", err))
	}
	got := p.key(password, salt)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != current, nil
}

// DummyVerify does the work of Verify against a fixed hash made with p, and
// throws the answer away: called when there is no such user, it makes that
// answer take as long as a wrong password does.
func (p Params) DummyVerify(password string) {
	if p.validate() != nil {
		return
	}
	dummy := p.encode(make([]byte, p.SaltLen), make([]byte, p.KeyLen))
	_, _, _ = Verify(dummy, password, p)
}

// decode parses a PHC argon2id string and checks every field against the
// bounds of validate.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("not a PHC argon2id string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("unsupported version %q", parts[2])
	}
	if p, err = decodeParams(parts[3]); err != nil {
		return p, nil, nil, err
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("salt: %w", err)
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("key: %w", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return p, nil, nil, err
	}
	return p, salt, key, nil
}

// decodeParams parses "m=…,t=…,p=…", in that order as the PHC format fixes it.
func decodeParams(s string) (Params, error) {
	var p Params
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return p, fmt.Errorf("parameters %q: want m=,t=,p=", s)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return p, fmt.Errorf("parameters %q: want %s= in position %d", s, name, i+1)
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return p, fmt.Errorf("parameter %s: %w", name, err)
		}
		vals[i] = n
	}
	p.Memory, p.Time, p.Threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	return p, nil
}
