package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Settings → Security policy: the sign-in rules in force, defaults filled
// in, saved as a merge patch of the settings the form holds (an emptied
// number returns to its default).

type policyPage struct {
	Policy   gh.SecurityPolicy
	Staff    gh.StaffDisplay
	CIDRs    string // one range a line
	Contacts string // one email a line
	Manage   bool
}

func (c *Console) settingsPolicy(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	o := directory.OrgSeenBy(v.actor, v.Org)
	return c.showPolicy(v, o.Policy, o.StaffShownAs)
}

func (c *Console) showPolicy(v *view, p gh.SecurityPolicy, staff gh.StaffDisplay) error {
	v.settings()
	v.show("settings_policy.html", "Security policy", policyPage{Policy: p, Staff: staff, Manage: v.Admin,
		CIDRs: strings.Join(p.AllowedCIDRs, "\n"), Contacts: strings.Join(p.SecurityContacts, "\n")})
	return nil
}

// policyNumbers are the policy's whole-number settings, by form field.
var policyNumbers = []string{"password_min_length", "password_min_length_without_mfa", "password_expiry_days",
	"password_history", "lockout_threshold", "lockout_minutes", "session_idle_minutes", "session_absolute_hours", "max_sessions"}

// policyPatch reads the form into a merge patch of the policy.
func policyPatch(r *http.Request) (directory.PolicyPatch, error) {
	f := r.PostForm
	patch := directory.PolicyPatch{}
	bad := gh.Fields{}
	for _, name := range policyNumbers {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			patch[name] = json.RawMessage("null")
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad.Add(name, "must be a whole number")
			continue
		}
		patch[name] = gh.MustJSON(n)
	}
	if len(f["mfa_methods"]) == 0 {
		bad.Add("mfa_methods", `must include "totp" or "passkey"`)
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	patch["mfa_methods"] = gh.MustJSON(f["mfa_methods"])
	patch["password_complexity"] = gh.MustJSON(f.Get("password_complexity") == "on")
	patch["mfa"] = gh.MustJSON(f.Get("mfa"))
	patch["session_limit"] = gh.MustJSON(f.Get("session_limit"))
	patch["allowed_cidrs"] = gh.MustJSON(lines(f.Get("allowed_cidrs")))
	patch["security_contacts"] = gh.MustJSON(lines(f.Get("security_contacts")))
	patch["webhook_url"] = gh.MustJSON(strings.TrimSpace(f.Get("webhook_url")))
	patch["time_zone"] = gh.MustJSON(strings.TrimSpace(f.Get("time_zone")))
	patch["working_hours"] = gh.MustJSON(strings.TrimSpace(f.Get("working_hours")))
	return patch, nil
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *Console) savePolicy(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	staff := gh.StaffDisplay(r.PostForm.Get("partner_staff_shown_as"))
	patch, err := policyPatch(r)
	if err == nil {
		_, _, err = c.dir.UpdateOrg(r.Context(), v.actor, v.Org, directory.OrgPatch{Policy: patch, StaffShownAs: &staff}, 0)
	}
	if err != nil {
		formError(v, err)
		return c.showPolicy(v, asTyped(r, directory.OrgSeenBy(v.actor, v.Org).Policy), staff)
	}
	return done(w, r, "/settings/policy", "Security policy saved.")
}

// asTyped is the policy as the form gave it, to show again after an error;
// what does not read as a number keeps the value in force.
func asTyped(r *http.Request, p gh.SecurityPolicy) gh.SecurityPolicy {
	f := r.PostForm
	num := func(name string, dst *int) {
		if n, err := strconv.Atoi(strings.TrimSpace(f.Get(name))); err == nil {
			*dst = n
		}
	}
	num("password_min_length", &p.PasswordMinLength)
	num("password_min_length_without_mfa", &p.PasswordMinLengthWithoutMFA)
	num("password_expiry_days", &p.PasswordExpiryDays)
	num("password_history", &p.PasswordHistory)
	num("lockout_threshold", &p.LockoutThreshold)
	num("lockout_minutes", &p.LockoutMinutes)
	num("session_idle_minutes", &p.SessionIdleMinutes)
	num("session_absolute_hours", &p.SessionAbsoluteHours)
	num("max_sessions", &p.MaxSessions)
	p.PasswordComplexity = f.Get("password_complexity") == "on"
	p.MFAMethods = f["mfa_methods"]
	p.MFA, p.SessionLimit = gh.MFAMode(f.Get("mfa")), gh.SessionLimitMode(f.Get("session_limit"))
	p.AllowedCIDRs, p.SecurityContacts = lines(f.Get("allowed_cidrs")), lines(f.Get("security_contacts"))
	p.WebhookURL = strings.TrimSpace(f.Get("webhook_url"))
	p.TimeZone, p.WorkingHours = strings.TrimSpace(f.Get("time_zone")), strings.TrimSpace(f.Get("working_hours"))
	return p
}
