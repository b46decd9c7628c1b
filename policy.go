package gatehouse

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones are validated alike on every machine, with or without a zoneinfo directory
)

// MFAMode says who must use a second factor.
type MFAMode string

const (
	MFAOptional MFAMode = "optional"
	MFAAdmins   MFAMode = "admins" // whoever administers people must (see AdminCapabilities)
	MFAEveryone MFAMode = "everyone"
)

// The second factors a policy may allow. TOTP and passkeys are strong: a
// code by email or text message can be taken over with the mailbox or the
// phone number, so administrators whom the policy makes use a second factor
// must use a strong one (StrongMFARequired).
const (
	MFAMethodTOTP    = "totp"
	MFAMethodPasskey = "passkey"
	MFAMethodEmail   = "email"
	MFAMethodSMS     = "sms"
)

// SessionLimitMode says what happens when a user signs in once too often.
type SessionLimitMode string

const (
	SessionEndOldest SessionLimitMode = "end_oldest"
	SessionRefuse    SessionLimitMode = "refuse"
)

// SecurityPolicy is what an organization sets for signing in. Zero fields
// mean the default (see WithDefaults), so organizations made before a field
// existed get its default.
type SecurityPolicy struct {
	PasswordMinLength           int     `json:"password_min_length"`             // 8 to 64; default 8 (NIST SP 800-63B)
	PasswordMinLengthWithoutMFA int     `json:"password_min_length_without_mfa"` // 0 (off) or 8 to 64, e.g. 15
	PasswordComplexity          bool    `json:"password_complexity"`             // 3 of lower, upper, digit, other
	PasswordExpiryDays          int     `json:"password_expiry_days"`            // 0: never
	PasswordHistory             int     `json:"password_history"`                // 0 to 24 previous passwords refused
	LockoutThreshold            int     `json:"lockout_threshold"`               // failures before a lockout; default 10
	LockoutMinutes              int     `json:"lockout_minutes"`                 // default 15
	MFA                         MFAMode `json:"mfa"`                             // default optional
	// MFAMethods are the second factors people may use: any of MFAMethodTOTP,
	// MFAMethodPasskey, MFAMethodEmail, MFAMethodSMS, with one strong one
	// (TOTP or passkey) among them. Default: TOTP and passkeys.
	MFAMethods           []string         `json:"mfa_methods,omitempty"`
	SessionIdleMinutes   int              `json:"session_idle_minutes"`        // default 60
	SessionAbsoluteHours int              `json:"session_absolute_hours"`      // default 12
	MaxSessions          int              `json:"max_sessions"`                // per user; default 10
	SessionLimit         SessionLimitMode `json:"session_limit"`               // default end_oldest
	AllowedCIDRs         []string         `json:"allowed_cidrs,omitempty"`     // empty: any address
	SecurityContacts     []string         `json:"security_contacts,omitempty"` // emails told of lockouts and new admins
	// WebhookURL receives the same notices as JSON, signed with HMAC-SHA256
	// (X-Gatehouse-Signature) by the key from POST /v1/orgs/{org}/webhook/secret.
	WebhookURL string `json:"webhook_url,omitempty"`
	// PasswordSignIn is whether the organization's own users may sign in
	// with a password; see SignInRule.
	PasswordSignIn PasswordSignIn `json:"password_sign_in,omitempty"`
	// BreakGlass are the users who may still use a password when sign-in
	// is SSO only; each such sign-in is audited and announced.
	BreakGlass []UserID `json:"break_glass,omitempty"`
	// TimeZone (IANA) and WorkingHours ("08:00-18:00", Monday to Friday in
	// that zone) say when the organization works: an Admin role granted
	// outside them is unusual and tells the administrators. No working
	// hours: nothing is outside them.
	TimeZone     string `json:"time_zone,omitempty"`     // default UTC
	WorkingHours string `json:"working_hours,omitempty"` // HH:MM-HH:MM
}

// OutsideWorkingHours reports whether t falls outside the organization's
// working hours: a weekend day or a time of day outside them, in its zone.
func (p SecurityPolicy) OutsideWorkingHours(t time.Time) bool {
	from, to, ok := workingHours(p.WorkingHours)
	if !ok {
		return false
	}
	loc, err := time.LoadLocation(p.TimeZone) // "" is UTC
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	minute := local.Hour()*60 + local.Minute()
	return local.Weekday() == time.Saturday || local.Weekday() == time.Sunday || minute < from || minute >= to
}

// workingHours parses "HH:MM-HH:MM" into minutes of the day, start before end.
func workingHours(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	ta, errA := time.Parse("15:04", strings.TrimSpace(a))
	tb, errB := time.Parse("15:04", strings.TrimSpace(b))
	if errA != nil || errB != nil {
		return 0, 0, false
	}
	from, to = ta.Hour()*60+ta.Minute(), tb.Hour()*60+tb.Minute()
	return from, to, from < to
}

// PasswordSignIn says whether a home's people may sign in with a password.
type PasswordSignIn string

const (
	PasswordAllowed PasswordSignIn = "allowed" // the default
	PasswordSSOOnly PasswordSignIn = "sso_only"
)

// SignInRule is a home's password rule: the organization's lives in its
// policy, a workspace's on the workspace.
type SignInRule struct {
	Password   PasswordSignIn `json:"password_sign_in"`
	BreakGlass []UserID       `json:"break_glass"`
}

// Check adds to f an unknown mode or too many break-glass accounts.
func (r SignInRule) Check(f Fields, prefix string) {
	switch r.Password {
	case "", PasswordAllowed, PasswordSSOOnly:
	default:
		f.Add(prefix+"password_sign_in", `must be "allowed" or "sso_only"`)
	}
	if len(r.BreakGlass) > 10 {
		f.Add(prefix+"break_glass", "at most 10 break-glass accounts")
	}
}

// WithDefaults fills the zero fields with their defaults.
func (p SecurityPolicy) WithDefaults() SecurityPolicy {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.PasswordMinLength, 8)
	def(&p.LockoutThreshold, 10)
	def(&p.LockoutMinutes, 15)
	def(&p.SessionIdleMinutes, 60)
	def(&p.SessionAbsoluteHours, 12)
	def(&p.MaxSessions, 10)
	if p.MFA == "" {
		p.MFA = MFAOptional
	}
	if p.SessionLimit == "" {
		p.SessionLimit = SessionEndOldest
	}
	if len(p.MFAMethods) == 0 {
		p.MFAMethods = []string{MFAMethodTOTP, MFAMethodPasskey}
	}
	return p
}

// Validate reports values out of range, with the field named.
func (p SecurityPolicy) Validate() error {
	f := Fields{}
	rng := func(field string, v, lo, hi int, zeroOK bool) {
		if (v != 0 || !zeroOK) && (v < lo || v > hi) {
			f.Add("policy."+field, "must be from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		}
	}
	rng("password_min_length", p.PasswordMinLength, 8, 64, true)
	rng("password_min_length_without_mfa", p.PasswordMinLengthWithoutMFA, 8, 64, true)
	rng("password_expiry_days", p.PasswordExpiryDays, 1, 3650, true)
	rng("password_history", p.PasswordHistory, 1, 24, true)
	rng("lockout_threshold", p.LockoutThreshold, 3, 100, true)
	rng("lockout_minutes", p.LockoutMinutes, 1, 1440, true)
	rng("session_idle_minutes", p.SessionIdleMinutes, 5, 1440, true)
	rng("session_absolute_hours", p.SessionAbsoluteHours, 1, 720, true)
	rng("max_sessions", p.MaxSessions, 1, 100, true)
	switch p.MFA {
	case "", MFAOptional, MFAAdmins, MFAEveryone:
	default:
		f.Add("policy.mfa", `must be "optional", "admins" or "everyone"`)
	}
	checkMFAMethods(f, p.MFAMethods)
	switch p.SessionLimit {
	case "", SessionEndOldest, SessionRefuse:
	default:
		f.Add("policy.session_limit", `must be "end_oldest" or "refuse"`)
	}
	SignInRule{p.PasswordSignIn, p.BreakGlass}.Check(f, "policy.")
	if err := ValidCIDRs(p.AllowedCIDRs); err != "" {
		f.Add("policy.allowed_cidrs", err)
	}
	if p.WebhookURL != "" {
		if u, err := url.Parse(p.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.Add("policy.webhook_url", "must be an http(s) URL")
		}
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || strings.EqualFold(p.TimeZone, "local") {
		f.Add("policy.time_zone", "is not an IANA time zone such as Europe/Paris")
	}
	if _, _, ok := workingHours(p.WorkingHours); p.WorkingHours != "" && !ok {
		f.Add("policy.working_hours", `must be "HH:MM-HH:MM", the start before the end, such as "08:00-18:00"`)
	}
	for _, c := range p.SecurityContacts {
		if msg := CheckEmail(c); msg != "" {
			f.Add("policy.security_contacts", strconv.Quote(c)+" "+msg) // quoted: shows what is invisible
		}
	}
	return f.Err()
}

// MFARequired reports whether the policy makes a user use a second factor;
// admin says whether the user administers people anywhere: an Organization
// Admin, or a holder of one of AdminCapabilities in any workspace.
func (p SecurityPolicy) MFARequired(admin bool) bool {
	switch p.MFA {
	case MFAEveryone:
		return true
	case MFAAdmins:
		return admin
	}
	return false
}

// checkMFAMethods refuses unknown or repeated methods, and a list without a
// strong method, which would leave administrators no second factor to use.
func checkMFAMethods(f Fields, ms []string) {
	seen, strong := map[string]bool{}, len(ms) == 0
	for _, m := range ms {
		switch {
		case m != MFAMethodTOTP && m != MFAMethodPasskey && m != MFAMethodEmail && m != MFAMethodSMS:
			f.Add("policy.mfa_methods", strconv.Quote(m)+` is not one of "totp", "passkey", "email", "sms"`)
			return
		case seen[m]:
			f.Add("policy.mfa_methods", strconv.Quote(m)+" is listed twice")
			return
		}
		seen[m], strong = true, strong || m == MFAMethodTOTP || m == MFAMethodPasskey
	}
	if !strong {
		f.Add("policy.mfa_methods", `must include "totp" or "passkey"`)
	}
}

// AllowsMFA reports whether the policy lets people use method as a second factor.
func (p SecurityPolicy) AllowsMFA(method string) bool {
	return slices.Contains(p.WithDefaults().MFAMethods, method)
}

// StrongMFARequired reports whether a user must use a strong second factor
// (TOTP or a passkey), codes by email or text message not counting: an
// administrator whom the policy makes use a second factor.
func (p SecurityPolicy) StrongMFARequired(admin bool) bool {
	return admin && p.MFARequired(admin)
}

// ValidCIDRs returns "" when every entry is an IPv4 or IPv6 prefix, else what is wrong.
func ValidCIDRs(cidrs []string) string {
	if len(cidrs) > 100 {
		return "at most 100 ranges"
	}
	for _, c := range cidrs {
		if _, err := netip.ParsePrefix(strings.TrimSpace(c)); err != nil {
			return c + " is not a range such as 203.0.113.0/24 or 2001:db8::/32"
		}
	}
	return ""
}

// AllowedFrom reports whether ip falls in one of cidrs; an empty list allows every address.
func AllowedFrom(cidrs []string, ip string) bool {
	if len(cidrs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap() // an IPv4 client seen through an IPv6 socket
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(c)); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}
