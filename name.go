package gatehouse

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CleanName returns a name as it is stored: trimmed and in NFC, so that one
// name typed with composed or decomposed accents is stored, compared and
// shown as one.
func CleanName(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// checkName validates a display name: required, at most max characters, and
// nothing that makes it display as other text (checkRunes).
func checkName(f Fields, field, v string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		f.Add(field, "is required")
	case utf8.RuneCountInString(v) > max:
		f.Add(field, "is too long")
	default:
		if msg := checkRunes(v, true); msg != "" {
			f.Add(field, msg)
		}
	}
}

// checkOptional validates an optional free-text field.
func checkOptional(f Fields, field, v string, max int) {
	if v != "" {
		checkName(f, field, v, max)
	}
}

// checkRunes returns "" or what is wrong with the characters of s: bidi
// controls (they reorder what follows, so "gro\u202Epuorg" shows as another
// name), control characters and line breaks, and invisible characters, which
// make two different strings look the same. In names (not in addresses) the
// joiners and variation selectors that emoji and some scripts need are allowed
// where they can do that work.
func checkRunes(s string, name bool) string {
	var prev rune
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Bidi_Control, r):
			return "must not contain bidirectional control characters (such as U+202E), which make text display in another order"
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return "must not contain control characters or line breaks"
		case invisible(r) && !(name && joins(prev, r)):
			return "must not contain invisible characters such as zero-width spaces"
		}
		prev = r
	}
	return ""
}

// invisible reports whether r is a format character or otherwise ignorable
// by default (Unicode's Default_Ignorable_Code_Point, from the tables of the
// unicode package): zero-width spaces and joiners, the byte-order mark,
// soft hyphens, Hangul fillers, variation selectors.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// joins reports whether r is a zero-width joiner, non-joiner or variation
// selector after a symbol (emoji sequences such as 👩‍💻 and ❤️) or a letter of
// a script that shapes its letters with them (Persian uses ZWNJ inside
// words). After Latin, Greek or Cyrillic letters and digits they only hide.
func joins(prev, r rune) bool {
	if r != '\u200c' && r != '\u200d' && !unicode.Is(unicode.Variation_Selector, r) {
		return false
	}
	if unicode.Is(unicode.So, prev) {
		return true
	}
	return unicode.IsLetter(prev) && !unicode.In(prev, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

// mixedScripts reports whether the letters and digits of s come from scripts
// that UTS #39 §5.2 ("highly restrictive") does not allow together: one
// script, or Latin with Han and the Japanese kana, with Han and Bopomofo, or
// with Han and Hangul. "аdmin" with a Cyrillic а mixes Cyrillic and Latin.
func mixedScripts(s string) bool {
	seen := map[string]bool{}
	for _, r := range s {
		if sc := script(r); sc != "" {
			seen[sc] = true
		}
	}
	if len(seen) <= 1 {
		return false
	}
	for _, allowed := range cjkWithLatin {
		if subset(seen, allowed) {
			return false
		}
	}
	return true
}

var cjkWithLatin = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// script names the Unicode script of r, or "" for characters shared by all
// scripts (Common: punctuation, ASCII digits; Inherited: combining marks).
func script(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			if name == "Common" || name == "Inherited" {
				return ""
			}
			return name
		}
	}
	return ""
}
