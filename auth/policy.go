package auth

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nbutton23/zxcvbn-go/frequency"

	gh "gatehouse.dev/gatehouse"
)

// PasswordPolicy is what an organization asks of passwords beyond the NIST
// SP 800-63B baseline that CheckPassword always applies.
type PasswordPolicy struct {
	MinLength           int  // characters; below 8 counts as 8
	MinLengthWithoutMFA int  // characters, for users without a second factor
	Complexity          bool // ask for three of: lower, upper, digit, other
	History             int  // how many previous passwords may not be reused; 0 allows reuse
}

// PasswordContext is what is known about the user whose password is checked.
type PasswordContext struct {
	Email          string
	Names          []string // display name, given and family names, username…
	OrgNames       []string // the organization's name and slug: the service, to the person
	HasMFA         bool
	PreviousHashes []string // argon2id PHC strings, newest first
}

// Length limits of NIST SP 800-63B §5.1.1.2, counted in characters (runes)
// after NFKC normalisation.
const (
	baseMinLength = 8
	maxLength     = 256 // the guideline asks for at least 64
	minNameLen    = 4   // shorter parts of an email or name are too common to refuse
)

// CheckPassword returns nil if pw may be set as the password of the user
// described by c under policy p, or a KindInvalid error with code
// "weak_password" whose Fields["password"] tells the person what to change.
// It checks, cheapest first: length, the list of common passwords, the user's
// email and names, complexity when asked, then reuse of the newest p.History
// entries of c.PreviousHashes (each an argon2id verify, so each costs what a
// sign-in does). A malformed previous hash is a KindInternal error.
func CheckPassword(pw string, p PasswordPolicy, c PasswordContext, params Params) error {
	pw = normalize(pw)
	weak := func(msg string) error { return gh.Invalid("weak_password", "password", msg) }
	least := minLength(p, c.HasMFA)
	switch n := utf8.RuneCountInString(pw); {
	case n < least:
		return weak(fmt.Sprintf("must be at least %d characters long", least))
	case n > maxLength:
		return weak(fmt.Sprintf("must be at most %d characters long", maxLength))
	}
	if IsCommon(pw) {
		return weak("is one of the most common passwords, which attackers try first; choose a less predictable one")
	}
	if msg := personal(pw, c); msg != "" {
		return weak(msg)
	}
	if p.Complexity && classes(pw) < 3 {
		return weak("must mix at least three of: lower-case letters, upper-case letters, digits, and other characters")
	}
	prev := c.PreviousHashes
	if len(prev) > p.History {
		prev = prev[:max(p.History, 0)]
	}
	for _, h := range prev {
		ok, _, err := Verify(h, pw, params)
		if err != nil {
			return fmt.Errorf("check password history: %w", err)
		}
		if ok {
			return weak(fmt.Sprintf("was used recently; choose one you have not used in your last %d passwords", p.History))
		}
	}
	return nil
}

// minLength is the larger of the baseline and what the policy asks of this user,
// kept within reach of maxLength so that some password always passes.
func minLength(p PasswordPolicy, hasMFA bool) int {
	n := max(baseMinLength, p.MinLength)
	if !hasMFA {
		n = max(n, p.MinLengthWithoutMFA)
	}
	return min(n, maxLength)
}

// personal says why pw is made of what an attacker knows about its owner
// (NIST SP 800-63B §5.1.1.2, context-specific words), or "": it contains the
// whole email, its local part, one of the names, a word of the local part or
// names, or the organization's name or slug, of at least minNameLen
// characters each, ignoring case and punctuation; or any of these, however
// short, are its dominant part: taken out, fewer than baseMinLength
// characters remain.
func personal(pw string, c PasswordContext) string {
	lower := strings.ToLower(pw)
	// The whole email, but not each word of it: its domain's words are
	// shared by everyone at that company or mail provider.
	own := append([]string{c.Email[:max(strings.LastIndex(c.Email, "@"), 0)]}, c.Names...)
	if contains(lower, []string{c.Email}, false) || contains(lower, own, true) {
		return "must not contain your name or email address"
	}
	if contains(lower, c.OrgNames, false) {
		return "must not contain the name of your organization"
	}
	if rest, cut := without(lower, slices.Concat(own, c.OrgNames, []string{c.Email})); cut && utf8.RuneCountInString(rest) < baseMinLength {
		return fmt.Sprintf("must not be mostly your name, email address or organization's name: add at least %d characters of your own", baseMinLength)
	}
	return ""
}

// contains reports whether pw holds one of the parts (or, with byWord, one of
// their words) of at least minNameLen characters, comparing letters and
// digits only, so that "ana.example.com" is found in "Ana-Example-Com!".
func contains(pw string, parts []string, byWord bool) bool {
	bare := letters(pw)
	for _, p := range parts {
		ws := []string{letters(fold(p))}
		if byWord {
			ws = append(ws, words(p)...)
		}
		for _, w := range ws {
			if utf8.RuneCountInString(w) >= minNameLen && strings.Contains(bare, w) {
				return true
			}
		}
	}
	return false
}

// without removes from pw every occurrence of the parts and of their words,
// longest first, and reports whether anything was removed.
func without(pw string, parts []string) (rest string, cut bool) {
	var all []string
	for _, p := range parts {
		all = append(all, fold(p))
		all = append(all, words(p)...)
	}
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	for _, w := range all {
		if utf8.RuneCountInString(w) >= 2 && strings.Contains(pw, w) {
			pw, cut = strings.ReplaceAll(pw, w, ""), true
		}
	}
	return pw, cut
}

// fold is the form context words are compared in: NFKC like passwords, lower case.
func fold(s string) string { return strings.ToLower(normalize(s)) }

// words splits s, folded, into its runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// letters keeps only the letters and digits of s.
func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return r
		}
		return -1
	}, s)
}

// classes counts which of lower-case, upper-case, digit and other characters pw has.
func classes(pw string) int {
	var seen [4]bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			seen[0] = true
		case unicode.IsUpper(r):
			seen[1] = true
		case unicode.IsDigit(r):
			seen[2] = true
		default:
			seen[3] = true
		}
	}
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	return n
}

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

// IsCommon reports whether pw, after NFKC and ignoring case, is on the list
// of frequent passwords (the ~7,000 most common passwords of leaked sets,
// as shipped with zxcvbn).
func IsCommon(pw string) bool {
	commonOnce.Do(func() {
		list := frequency.Lists["Passwords"].List
		common = make(map[string]struct{}, len(list))
		for _, w := range list {
			common[strings.ToLower(normalize(w))] = struct{}{}
		}
	})
	_, ok := common[strings.ToLower(normalize(pw))]
	return ok
}
