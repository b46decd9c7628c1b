package directory

import (
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// The profile's lists as people type them, one item a line or a flag, for
// the console's forms, the CLI and the users file: a phone as TYPE:NUMBER, a
// certification as NAME;ISSUER;CREDENTIAL_ID;ISSUED;EXPIRES, a course as
// COURSE;PROVIDER;COMPLETED (dates YYYY-MM-DD, trailing parts may be left out).

// ParsePhones reads TYPE:NUMBER items, skipping empty ones. It returns
// KindInvalid on field when an item has no type.
func ParsePhones(field string, items []string) ([]gh.Phone, error) {
	out := []gh.Phone{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		typ, num, ok := strings.Cut(s, ":")
		if !ok {
			return nil, gh.Invalid("invalid_input", field, "write each number as TYPE:NUMBER, such as mobile:+44 7911 123456")
		}
		out = append(out, gh.Phone{Type: gh.PhoneType(strings.TrimSpace(typ)), Number: num})
	}
	return out, nil
}

// FormatPhone writes a phone as ParsePhones reads it.
func FormatPhone(p gh.Phone) string { return string(p.Type) + ":" + p.Number }

// parts splits s at ';' into n trimmed parts, the missing ones empty.
func parts(s string, n int) []string {
	out := strings.SplitN(s, ";", n)
	for len(out) < n {
		out = append(out, "")
	}
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// ParseCertifications reads NAME;ISSUER;CREDENTIAL_ID;ISSUED;EXPIRES items, skipping empty ones.
func ParseCertifications(items []string) []gh.Certification {
	out := []gh.Certification{}
	for _, s := range items {
		if strings.TrimSpace(s) != "" {
			p := parts(s, 5)
			out = append(out, gh.Certification{Name: p[0], Issuer: p[1], CredentialID: p[2], Issued: gh.Date(p[3]), Expires: gh.Date(p[4])})
		}
	}
	return out
}

// FormatCertification writes c as ParseCertifications reads it.
func FormatCertification(c gh.Certification) string {
	return strings.TrimRight(strings.Join([]string{c.Name, c.Issuer, c.CredentialID, string(c.Issued), string(c.Expires)}, "; "), "; ")
}

// ParseTraining reads COURSE;PROVIDER;COMPLETED items, skipping empty ones.
func ParseTraining(items []string) []gh.Training {
	out := []gh.Training{}
	for _, s := range items {
		if strings.TrimSpace(s) != "" {
			p := parts(s, 3)
			out = append(out, gh.Training{Course: p[0], Provider: p[1], Completed: gh.Date(p[2])})
		}
	}
	return out
}

// FormatTraining writes t as ParseTraining reads it.
func FormatTraining(t gh.Training) string {
	return strings.TrimRight(strings.Join([]string{t.Course, t.Provider, string(t.Completed)}, "; "), "; ")
}

// ProfileLists is u's phones, certifications and training, one line each,
// as the CLI and the console show them and read them back.
func ProfileLists(u *gh.User) (phones, certs, training []string) {
	for _, p := range u.Phones {
		phones = append(phones, FormatPhone(p))
	}
	for _, c := range u.Certifications {
		certs = append(certs, FormatCertification(c))
	}
	for _, t := range u.Training {
		training = append(training, FormatTraining(t))
	}
	return phones, certs, training
}
