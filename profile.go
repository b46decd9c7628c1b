package gatehouse

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate alike on machines without a zoneinfo database

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// The profile of a user: plain typed fields on User, so that they travel in
// events and reach every node's index, where group rules can read them.

// PhoneType says what a phone number is for.
type PhoneType string

// The kinds of phone number.
const (
	PhoneMobile PhoneType = "mobile"
	PhoneWork   PhoneType = "work"
	PhoneHome   PhoneType = "home"
	PhoneOther  PhoneType = "other"
)

// Phone is one typed phone number, kept in E.164 form (+CCNNN…).
type Phone struct {
	Type   PhoneType `json:"type"`
	Number string    `json:"number"`
}

// Date is a calendar day, YYYY-MM-DD, without a time or zone.
type Date string

// DateLayout is the form of a Date.
const DateLayout = "2006-01-02"

// Time is the day's start in UTC; the zero time for an empty or malformed date.
func (d Date) Time() time.Time {
	t, _ := time.Parse(DateLayout, string(d))
	return t
}

func (d Date) valid() bool {
	_, err := time.Parse(DateLayout, string(d))
	return err == nil
}

// Certification is a credential a person holds, such as GCIH or OSCP.
type Certification struct {
	Name         string `json:"name"`
	Issuer       string `json:"issuer,omitempty"`
	CredentialID string `json:"credential_id,omitempty"`
	Issued       Date   `json:"issued,omitempty"`
	Expires      Date   `json:"expires,omitempty"` // empty: it does not expire
}

// Training is a course a person completed.
type Training struct {
	Course    string `json:"course"`
	Provider  string `json:"provider,omitempty"`
	Completed Date   `json:"completed"`
}

// Bounds of a profile: enough for a real person, small enough for every
// node's memory and every event.
const (
	MaxPhones         = 10
	MaxTags           = 50 // skills, specializations
	MaxTagLength      = 60
	MaxCertifications = 50
	MaxTrainings      = 100
)

// NormalizePhone returns number in E.164 form when it parses as an
// international number, and number unchanged otherwise (Validate refuses it).
func NormalizePhone(number string) string {
	n, err := phonenumbers.Parse(strings.TrimSpace(number), "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return strings.TrimSpace(number)
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// CanonicalLanguage returns the BCP 47 tag in its canonical form, or tag
// unchanged when it does not parse (Validate refuses it).
func CanonicalLanguage(tag string) string {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return strings.TrimSpace(tag)
	}
	return t.String()
}

// CleanTags trims the names of a list, drops empty ones and the second of
// two that differ only in case, keeping the first's order.
func CleanTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		t = CleanName(t)
		if t != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, t) }) {
			out = append(out, t)
		}
	}
	return out
}

// CleanProfile puts u's profile fields in their canonical form: phone numbers
// in E.164, the language tag canonical, names trimmed, lists deduplicated.
func CleanProfile(u *User) {
	for i := range u.Phones {
		u.Phones[i].Type = PhoneType(strings.ToLower(strings.TrimSpace(string(u.Phones[i].Type))))
		u.Phones[i].Number = NormalizePhone(u.Phones[i].Number)
	}
	u.Skills, u.Specializations = CleanTags(u.Skills), CleanTags(u.Specializations)
	for i := range u.Certifications {
		c := &u.Certifications[i]
		c.Name, c.Issuer, c.CredentialID = CleanName(c.Name), CleanName(c.Issuer), CleanName(c.CredentialID)
	}
	for i := range u.Training {
		t := &u.Training[i]
		t.Course, t.Provider = CleanName(t.Course), CleanName(t.Provider)
	}
	u.Language = CanonicalLanguage(u.Language)
	u.TimeZone = strings.TrimSpace(u.TimeZone)
}

// validateProfile adds to f what is wrong with u's profile fields.
func (u *User) validateProfile(f Fields) {
	checkPhones(f, u.Phones)
	checkTags(f, "skills", u.Skills)
	checkTags(f, "specializations", u.Specializations)
	checkCertifications(f, u.Certifications)
	checkTraining(f, u.Training)
	if u.Language != "" {
		if _, err := language.Parse(u.Language); err != nil {
			f.Add("language", "is not a BCP 47 language tag such as en-GB")
		}
	}
	if u.TimeZone != "" {
		// LoadLocation also takes "" and "Local", which name no zone.
		if _, err := time.LoadLocation(u.TimeZone); err != nil || u.TimeZone == "Local" {
			f.Add("time_zone", "is not an IANA time zone such as Europe/Paris")
		}
	}
	if u.Manager != "" && u.Manager == u.ID {
		f.Add("manager_id", "cannot be the user itself")
	}
}

func checkPhones(f Fields, phones []Phone) {
	if len(phones) > MaxPhones {
		f.Add("phones", fmt.Sprintf("are more than %d", MaxPhones))
	}
	for i, p := range phones {
		field := fmt.Sprintf("phones[%d]", i)
		switch p.Type {
		case PhoneMobile, PhoneWork, PhoneHome, PhoneOther:
		default:
			f.Add(field+".type", `must be "mobile", "work", "home" or "other"`)
		}
		if n, err := phonenumbers.Parse(p.Number, ""); err != nil || !phonenumbers.IsValidNumber(n) {
			f.Add(field+".number", "is not a valid international number such as +44 20 7946 0958")
		}
	}
}

func checkTags(f Fields, field string, tags []string) {
	if len(tags) > MaxTags {
		f.Add(field, fmt.Sprintf("are more than %d", MaxTags))
	}
	for i, t := range tags {
		checkName(f, fmt.Sprintf("%s[%d]", field, i), t, MaxTagLength)
	}
}

func checkCertifications(f Fields, certs []Certification) {
	if len(certs) > MaxCertifications {
		f.Add("certifications", fmt.Sprintf("are more than %d", MaxCertifications))
	}
	for i, c := range certs {
		field := fmt.Sprintf("certifications[%d]", i)
		checkName(f, field+".name", c.Name, 100)
		checkOptional(f, field+".issuer", c.Issuer, 100)
		checkOptional(f, field+".credential_id", c.CredentialID, 100)
		checkDate(f, field+".issued", c.Issued, false)
		checkDate(f, field+".expires", c.Expires, false)
		if c.Issued.valid() && c.Expires.valid() && c.Expires < c.Issued {
			f.Add(field+".expires", "is before the certification was issued")
		}
	}
}

func checkTraining(f Fields, list []Training) {
	if len(list) > MaxTrainings {
		f.Add("training", fmt.Sprintf("are more than %d", MaxTrainings))
	}
	for i, t := range list {
		field := fmt.Sprintf("training[%d]", i)
		checkName(f, field+".course", t.Course, 200)
		checkOptional(f, field+".provider", t.Provider, 100)
		checkDate(f, field+".completed", t.Completed, true)
	}
}

func checkDate(f Fields, field string, d Date, required bool) {
	switch {
	case d == "" && required:
		f.Add(field, "is required")
	case d != "" && !d.valid():
		f.Add(field, "must be a date such as 2026-03-31")
	}
}
