package gatehouse

import (
	"fmt"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	cases := []struct {
		name, email string
		want        string // a word of the message; "" for accepted
	}{
		{"plain", "ana@example.com", ""},
		{"plus and dots", "ana.alves+soc@mail.example.com", ""},
		{"accented local part", "josé@example.com", ""},
		{"decomposed accent", "jose\u0301@example.com", ""},
		{"Cyrillic local part alone", "анна@example.com", ""},
		{"Japanese with Latin", "tanaka田中@example.jp", ""},
		{"IDN domain", "ana@bücher.example", ""},
		{"punycode domain", "ana@xn--bcher-kva.example", ""},
		{"fullwidth local part", "ａｎａ@example.com", ""},
		{"Cyrillic a in a Latin name", "\u0430dmin@example.com", "scripts"},
		{"Greek omicron in a Latin name", "r\u03bfot@example.com", "scripts"},
		{"Cyrillic a in the domain", "admin@ex\u0430mple.com", "scripts"},
		{"punycode hiding a Cyrillic a", "admin@xn--exmple-4nf.com", "scripts"},
		{"zero-width space", "ad\u200bmin@example.com", "invisible"},
		{"zero-width joiner", "ad\u200dmin@example.com", "invisible"},
		{"byte-order mark", "\ufeffadmin@example.com", "invisible"},
		{"soft hyphen", "ad\u00admin@example.com", "invisible"},
		{"variation selector", "admin\ufe0f@example.com", "invisible"},
		{"right-to-left override", "admin\u202e@example.com", "bidirectional"},
		{"right-to-left mark", "admin\u200f@example.com", "bidirectional"},
		{"C1 control", "ad\u0085min@example.com", "control"},
		{"no domain dot", "ana@localhost", "domain"},
		{"underscore domain", "ana@exa_mple.com", "domain"},
		{"no at", "ana.example.com", "such as"},
		{"display name", "Ana <ana@example.com>", "such as"},
		{"space", "an a@example.com", "such as"},
		{"emoji local part", "ana\U0001F600@example.com", "cannot hold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantMessage(t, fmt.Sprintf("CheckEmail(%q)", c.email), CheckEmail(c.email), c.want)
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	cases := []struct{ name, a, b string }{
		{"case", "Ana@Example.COM", "ana@example.com"},
		{"spaces around", "  ana@example.com ", "ana@example.com"},
		{"NFD and NFC", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"Unicode and upper-case accents", "JOSÉ@example.com", "josé@example.com"},
		{"fullwidth", "ａｎａ@ｅｘａｍｐｌｅ.com", "ana@example.com"},
		{"IDN and punycode", "ana@BÜCHER.example", "ana@xn--bcher-kva.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if NormalizeEmail(c.a) != NormalizeEmail(c.b) {
				t.Errorf("NormalizeEmail(%q) = %q, NormalizeEmail(%q) = %q, want equal", c.a, NormalizeEmail(c.a), c.b, NormalizeEmail(c.b))
			}
		})
	}
	if a, b := NormalizeEmail("\u0430dmin@example.com"), NormalizeEmail("admin@example.com"); a == b {
		t.Errorf("a Cyrillic а normalizes to a Latin a (%q): look-alikes must be refused, not merged", a)
	}
}

func TestCanonicalEmail(t *testing.T) {
	cases := map[string]string{
		"Ana@Example.COM":         "Ana@example.com",
		"jose\u0301@example.com":  "jos\u00e9@example.com",
		"ａｎａ@ｅｘａｍｐｌｅ.com":         "ana@example.com",
		"ana@Bücher.example":      "ana@xn--bcher-kva.example",
		"ad\u200bmin@example.com": "ad\u200bmin@example.com", // refused by CheckEmail, left as it is
	}
	for in, want := range cases {
		if got := CanonicalEmail(in); got != want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
