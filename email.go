package gatehouse

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
)

// Emails are stored in one canonical form and compared in one folded form,
// so that an address typed twice in different ways (case, fullwidth letters,
// composed or decomposed accents, a Unicode or punycode domain) is one address:
//
//   - the local part goes through PRECIS (RFC 8265): fullwidth forms become
//     their usual width and text is NFC; the stored form keeps its case, the
//     compared form is lower-cased (UsernameCaseMapped);
//   - the domain goes through IDNA 2008 lookup (UTS #46 mapping) and is kept
//     in its lower-case ASCII form, punycode for international names, the form
//     DNS and mail servers use.

// CanonicalEmail returns s as Gatehouse stores it: trimmed, the local part
// NFC with fullwidth forms narrowed, the domain lower-case ASCII. Text that
// cannot be put in that form comes back trimmed only, for CheckEmail to refuse.
func CanonicalEmail(s string) string {
	s = strings.TrimSpace(s)
	local, domain, ok := splitEmail(s)
	if !ok || isASCII(s) && domain == strings.ToLower(domain) {
		return s
	}
	l, err := precis.UsernameCasePreserved.String(local)
	d, derr := idna.Lookup.ToASCII(domain)
	if err != nil || derr != nil {
		return s
	}
	return l + "@" + d
}

// NormalizeEmail is the form emails are compared in: CanonicalEmail with the
// local part lower-cased. Every comparison and unique index of emails uses it.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if isASCII(s) { // the common case, and what the steps below give for it
		return strings.ToLower(s)
	}
	local, domain, ok := splitEmail(s)
	if !ok {
		return strings.ToLower(s)
	}
	l, err := precis.UsernameCaseMapped.String(local)
	if err != nil {
		l = strings.ToLower(local) // stored before these rules: compare it as it was
	}
	d, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		d = strings.ToLower(domain)
	}
	return l + "@" + d
}

const emailExample = "must be an email address such as ana@example.com"

// CheckEmail returns "" if s is a usable address, or what is wrong with it,
// phrased to follow the field name ("must not contain …"). Beyond the syntax
// it refuses what makes one address look like another: control, bidi and
// invisible characters, and a local part or domain label mixing scripts.
func CheckEmail(s string) string {
	local, domain, ok := splitEmail(s)
	switch {
	case len(s) > 254:
		return "is too long"
	case !ok:
		return emailExample
	}
	if msg := checkRunes(local, false); msg != "" {
		return msg
	}
	if mixedScripts(local) {
		return "must not mix letters of different scripts (such as Latin and Cyrillic) in one address"
	}
	if msg := checkDomain(domain); msg != "" {
		return msg
	}
	canon := CanonicalEmail(s)
	if strings.ContainsAny(canon, " <>\"") {
		return emailExample
	}
	if _, err := precis.UsernameCasePreserved.String(local); err != nil {
		return "has characters an email address cannot hold before the @"
	}
	a, err := mail.ParseAddress(canon)
	if err != nil || a.Address != canon {
		return emailExample
	}
	return ""
}

// checkDomain says what is wrong with an email's domain, or "".
func checkDomain(domain string) string {
	if msg := checkRunes(domain, false); msg != "" {
		return msg
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") {
		return "must have a valid domain after the @, such as example.com"
	}
	// Check the Unicode form, so that a punycode label is judged by what it shows.
	uni, _ := idna.Lookup.ToUnicode(ascii)
	for _, label := range strings.Split(uni, ".") {
		if mixedScripts(label) {
			return "must not mix letters of different scripts (such as Latin and Cyrillic) in one part of the domain"
		}
	}
	return ""
}

// splitEmail cuts s at its last @, reporting whether both sides are non-empty.
func splitEmail(s string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
