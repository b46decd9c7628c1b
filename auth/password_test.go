package auth

import (
	"regexp"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

func TestHash(t *testing.T) {
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	a, err := FastParams.Hash("correct horse")
	if err != nil {
		t.Fatalf("Hash = %v, want nil error", err)
	}
	if !phc.MatchString(a) {
		t.Fatalf("Hash = %q, want it to match %s", a, phc)
	}
	b, _ := FastParams.Hash("correct horse")
	if a == b {
		t.Fatalf("two Hash of one password = %q both, want different salts", a)
	}
}

func TestHashInvalidParams(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"zero", Params{}},
		{"no time", Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"no threads", Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"memory below 8 KiB per thread", Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}},
		{"memory too large", Params{Memory: 1 << 30, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"short salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}},
		{"short key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Hash("pw")
			if gh.KindOf(err) != gh.KindInternal || err == nil || got != "" {
				t.Fatalf("Hash = %q, %v; want \"\", a KindInternal error", got, err)
			}
			tt.p.DummyVerify("pw") // must not panic either
		})
	}
}

func TestVerify(t *testing.T) {
	fast, _ := FastParams.Hash("correct horse")
	// Made with the reference implementation (Debian's argon2 CLI), e.g.
	// printf 'correct horse' | argon2 somesalt0123456 -id -t 2 -k 256 -p 1 -l 32 -e
	const (
		refASCII  = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQwMTIzNDU2$F+rCbrFKkR/zgHPSc08kysIHNEr7JVGtUx6GHHkEe8Q"
		refUmlaut = "$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0$imEQcyCLpXo+v/pYdxTHPw"                      // "pässwörd", NFC
		refFi     = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$DqBmxURKTqAZuOghJm0bbmNW/CXm6kGA9x6H2Cwhqyg" // "fi"
	)
	refASCIIParams := Params{Memory: 256, Time: 2, Threads: 1, SaltLen: 15, KeyLen: 32}
	tests := []struct {
		name       string
		encoded    string
		password   string
		current    Params
		ok, rehash bool
	}{
		{"right password", fast, "correct horse", FastParams, true, false},
		{"wrong password", fast, "correct horse!", FastParams, false, false},
		{"empty password", fast, "", FastParams, false, false},
		{"changed params ask for rehash", fast, "correct horse", DefaultParams, true, true},
		{"reference vector", refASCII, "correct horse", refASCIIParams, true, false},
		{"reference vector, other params", refASCII, "correct horse", FastParams, true, true},
		{"reference vector, wrong password", refASCII, "Correct horse", refASCIIParams, false, false},
		{"NFC input", refUmlaut, "p\u00e4ssw\u00f6rd", FastParams, true, true},
		{"NFD input normalised", refUmlaut, "pa\u0308sswo\u0308rd", FastParams, true, true},
		{"ligature normalised by NFKC", refFi, "\ufb01", FastParams, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := Verify(tt.encoded, tt.password, tt.current)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	const salt, key = "c29tZXNhbHQwMTIzNDU2", "F+rCbrFKkR/zgHPSc08kysIHNEr7JVGtUx6GHHkEe8Q"
	tests := []struct {
		name, encoded string
	}{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=256,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=256,t=2,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=256,t=2,p=1$" + salt},
		{"extra field", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "$x"},
		{"params out of order", "$argon2id$v=19$t=2,m=256,p=1$" + salt + "$" + key},
		{"two params", "$argon2id$v=19$m=256,t=2$" + salt + "$" + key},
		{"negative memory", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key},
		{"threads over uint8", "$argon2id$v=19$m=256,t=2,p=256$" + salt + "$" + key},
		{"memory over uint32", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"memory too large to allocate", "$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key},
		{"time too large", "$argon2id$v=19$m=256,t=100000,p=1$" + salt + "$" + key},
		{"bad salt base64", "$argon2id$v=19$m=256,t=2,p=1$c29t*XNhbHQ$" + key},
		{"padded salt", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQwMTIzNDU2==$" + key},
		{"short salt", "$argon2id$v=19$m=256,t=2,p=1$c2FsdA$" + key},
		{"empty key", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$"},
		{"short key", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$c2hvcnRrZXk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := Verify(tt.encoded, "correct horse", FastParams)
			if err == nil || gh.KindOf(err) != gh.KindInternal || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want false, false, a KindInternal error", tt.encoded, ok, rehash, err)
			}
		})
	}
}

func TestDummyVerify(t *testing.T) {
	// DummyVerify must run a real argon2id verify with the given parameters;
	// BenchmarkVerify and BenchmarkDummyVerify show that it costs the same.
	dummy := FastParams.encode(make([]byte, FastParams.SaltLen), make([]byte, FastParams.KeyLen))
	ok, rehash, err := Verify(dummy, "anything", FastParams)
	if ok || rehash || err != nil {
		t.Fatalf("Verify(dummy) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	FastParams.DummyVerify("anything")
}

func TestDefaultParamsValid(t *testing.T) {
	for name, p := range map[string]Params{"DefaultParams": DefaultParams, "FastParams": FastParams} {
		if err := p.validate(); err != nil {
			t.Errorf("%s.validate() = %v, want nil", name, err)
		}
	}
	if DefaultParams.Memory < 19456 || DefaultParams.Time < 2 {
		t.Errorf("DefaultParams = %+v, want at least OWASP's m=19456, t=2", DefaultParams)
	}
}

var benchHash = func() string { h, _ := DefaultParams.Hash("correct horse"); return h }()

func BenchmarkVerify(b *testing.B) {
	for b.Loop() {
		_, _, _ = Verify(benchHash, "wrong horse", DefaultParams)
	}
}

func BenchmarkDummyVerify(b *testing.B) {
	for b.Loop() {
		DefaultParams.DummyVerify("wrong horse")
	}
}

func TestHashStaysOutOfErrors(t *testing.T) {
	// Errors reach the log; the salt and key of a stored hash should not.
	_, _, err := Verify("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQwMTIzNDU2$hunter2*", "pw", FastParams)
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "c29tZXNhbHQ") {
		t.Fatalf("Verify error = %v, want an error that does not quote the salt or key", err)
	}
}
