package gatehouse

import (
	"testing"
	"time"
)

func TestAllowedFrom(t *testing.T) {
	cases := []struct {
		name  string
		cidrs []string
		ip    string
		want  bool
	}{
		{"no ranges allow everyone", nil, "198.51.100.7", true},
		{"IPv4 inside", []string{"198.51.100.0/24"}, "198.51.100.7", true},
		{"IPv4 outside", []string{"198.51.100.0/24"}, "203.0.113.1", false},
		{"IPv6 inside", []string{"2001:db8::/32"}, "2001:db8:1::5", true},
		{"IPv6 outside", []string{"2001:db8::/32"}, "2001:db9::1", false},
		{"IPv4 seen through an IPv6 socket", []string{"198.51.100.0/24"}, "::ffff:198.51.100.7", true},
		{"one of several", []string{"10.0.0.0/8", "2001:db8::/32"}, "2001:db8::1", true},
		{"not an address", []string{"10.0.0.0/8"}, "localhost", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := AllowedFrom(c.cidrs, c.ip); got != c.want {
				t.Errorf("AllowedFrom(%v, %s) = %v, want %v", c.cidrs, c.ip, got, c.want)
			}
		})
	}
	if ValidCIDRs([]string{"10.0.0.0/8", "2001:db8::/32"}) != "" || ValidCIDRs([]string{"10.0.0.0/33"}) == "" || ValidCIDRs([]string{"nope"}) == "" {
		t.Errorf("ValidCIDRs accepts or refuses the wrong ranges")
	}
}

func TestPolicyDefaultsAndLimits(t *testing.T) {
	p := SecurityPolicy{}.WithDefaults()
	if p.PasswordMinLength != 8 || p.LockoutThreshold != 10 || p.MFA != MFAOptional || p.SessionLimit != SessionEndOldest {
		t.Errorf("defaults = %+v", p)
	}
	bad := SecurityPolicy{PasswordMinLength: 4, MFA: "sometimes", AllowedCIDRs: []string{"x"}, SecurityContacts: []string{"no"}, WebhookURL: "ftp://x"}
	err := AsError(bad.Validate())
	for _, f := range []string{"policy.password_min_length", "policy.mfa", "policy.allowed_cidrs", "policy.security_contacts", "policy.webhook_url"} {
		if _, ok := err.Fields[f]; !ok {
			t.Errorf("Validate(%+v) fields = %v, want a message for %s", bad, err.Fields, f)
		}
	}
	hidden := SecurityPolicy{SecurityContacts: []string{"so​c@acme.example"}}
	if got := AsError(hidden.Validate()).Fields["policy.security_contacts"]; got != `"so\u200bc@acme.example" must not contain invisible characters such as zero-width spaces` {
		t.Errorf("Validate(a contact with a zero-width space) = %q, want it shown and named", got)
	}
}

func TestMFAMethods(t *testing.T) {
	if p := (SecurityPolicy{}); !p.AllowsMFA(MFAMethodTOTP) || !p.AllowsMFA(MFAMethodPasskey) || p.AllowsMFA(MFAMethodEmail) || p.AllowsMFA(MFAMethodSMS) {
		t.Errorf("default methods = %v, want totp and passkey only", p.WithDefaults().MFAMethods)
	}
	for _, tc := range []struct {
		name    string
		methods []string
		want    string
	}{
		{"unknown", []string{"totp", "pigeon"}, `"pigeon" is not one of "totp", "passkey", "email", "sms"`},
		{"twice", []string{"totp", "email", "email"}, `"email" is listed twice`},
		{"no strong one", []string{"email", "sms"}, `must include "totp" or "passkey"`},
		{"fine", []string{"passkey", "email", "sms"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := (SecurityPolicy{MFAMethods: tc.methods}).Validate(); err != nil {
				got = AsError(err).Fields["policy.mfa_methods"]
			}
			if got != tc.want {
				t.Errorf("Validate(mfa_methods %v) = %q, want %q", tc.methods, got, tc.want)
			}
		})
	}
	admins := SecurityPolicy{MFA: MFAAdmins}
	if !admins.StrongMFARequired(true) || admins.StrongMFARequired(false) || (SecurityPolicy{}).StrongMFARequired(true) {
		t.Error("StrongMFARequired: want it for administrators under an admins policy only")
	}
}

func TestOutsideWorkingHours(t *testing.T) {
	p := SecurityPolicy{TimeZone: "Europe/Paris", WorkingHours: "08:00-18:00"}
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2026-03-04T07:30:00Z", false}, // Wednesday 08:30 in Paris
		{"2026-03-04T06:59:00Z", true},  // 07:59
		{"2026-03-04T17:00:00Z", true},  // 18:00, the end excluded
		{"2026-03-07T10:00:00Z", true},  // Saturday
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		if got := p.OutsideWorkingHours(at); got != c.want {
			t.Errorf("OutsideWorkingHours(%s) = %v, want %v", c.at, got, c.want)
		}
	}
	if (SecurityPolicy{}).OutsideWorkingHours(time.Date(2026, 3, 7, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("without working hours, a Saturday night counted as outside them")
	}
}
