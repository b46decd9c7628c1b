package saml

import (
	"fmt"
	"time"

	"github.com/russellhaering/gosaml2/types"

	"gatehouse.dev/gatehouse"
)

// checkAudience requires an AudienceRestriction and our entity id in each
// one (saml-core §2.5.1.4: every restriction must be met). gosaml2 only
// warns, and says nothing when no restriction is present; an assertion
// that names no audience could have been issued to any SP.
func (sp *SP) checkAudience(a *types.Assertion) error {
	if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
		return gatehouse.Reject("audience", "assertion names no audience")
	}
	for _, r := range a.Conditions.AudienceRestrictions {
		if !hasAudience(r, sp.cfg.EntityID) {
			return gatehouse.Reject("audience", fmt.Sprintf("audience %v does not include %q", audiences(r), sp.cfg.EntityID))
		}
	}
	return nil
}

func hasAudience(r types.AudienceRestriction, want string) bool {
	for _, au := range r.Audiences {
		if au.Value == want {
			return true
		}
	}
	return false
}

func audiences(r types.AudienceRestriction) []string {
	var out []string
	for _, au := range r.Audiences {
		out = append(out, au.Value)
	}
	return out
}

// checkTime checks the validity window of the Conditions and the bearer
// confirmation, each widened by the skew, and returns when the assertion
// stops being valid: the earlier NotOnOrAfter.
func (sp *SP) checkTime(a *types.Assertion, now time.Time) (time.Time, error) {
	c := a.Conditions // checkAudience made sure it is there
	if c.NotBefore != "" {
		nb, err := time.Parse(time.RFC3339, c.NotBefore)
		if err != nil {
			return time.Time{}, gatehouse.Reject("malformed", "Conditions NotBefore is not a time: "+c.NotBefore)
		}
		if now.Add(sp.cfg.Skew).Before(nb) {
			return time.Time{}, gatehouse.Reject("not_yet_valid", fmt.Sprintf("valid from %s, now %s", nb.UTC(), now.UTC()))
		}
	}
	expires, err := sp.earliestEnd(a)
	if err != nil {
		return time.Time{}, err
	}
	if !now.Add(-sp.cfg.Skew).Before(expires) {
		return time.Time{}, gatehouse.Reject("expired", fmt.Sprintf("valid until %s, now %s", expires.UTC(), now.UTC()))
	}
	return expires, nil
}

// earliestEnd is the earlier of Conditions and SubjectConfirmationData
// NotOnOrAfter; an assertion with no end would be good forever, so both
// must be there.
func (sp *SP) earliestEnd(a *types.Assertion) (time.Time, error) {
	var ends []string
	ends = append(ends, a.Conditions.NotOnOrAfter)
	if sc := a.Subject.SubjectConfirmation; sc != nil && sc.SubjectConfirmationData != nil {
		ends = append(ends, sc.SubjectConfirmationData.NotOnOrAfter)
	}
	var earliest time.Time
	for _, s := range ends {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, gatehouse.Reject("malformed", fmt.Sprintf("NotOnOrAfter %q is not a time", s))
		}
		if earliest.IsZero() || t.Before(earliest) {
			earliest = t
		}
	}
	return earliest, nil
}

// checkRequest matches InResponseTo against Expect. The value believed is
// the SubjectConfirmationData's, which a signed assertion covers, or the
// Response's when the Response signature was verified; a Response
// attribute outside any signature only ever counts against it.
func (sp *SP) checkRequest(resp *types.Response, a *types.Assertion, exp Expect) error {
	if exp.AnyRequest {
		return nil
	}
	var scd string
	if sc := a.Subject.SubjectConfirmation; sc != nil && sc.SubjectConfirmationData != nil {
		scd = sc.SubjectConfirmationData.InResponseTo
	}
	if scd != "" && resp.InResponseTo != "" && scd != resp.InResponseTo {
		return gatehouse.Reject("in_response_to", fmt.Sprintf("Response answers %q, its assertion %q", resp.InResponseTo, scd))
	}
	got := scd
	if got == "" && resp.SignatureValidated {
		got = resp.InResponseTo
	}
	switch {
	case got == "" && resp.InResponseTo == "":
		if sp.cfg.AllowIdPInitiated {
			return nil
		}
		return gatehouse.Reject("in_response_to", "unsolicited response (IdP-initiated sign-in is not allowed)")
	case got == "":
		return gatehouse.Reject("in_response_to", "InResponseTo is not covered by a signature")
	case exp.RequestID == "":
		return gatehouse.Reject("in_response_to", fmt.Sprintf("answers request %q, none was expected", got))
	case got != exp.RequestID:
		return gatehouse.Reject("in_response_to", fmt.Sprintf("answers request %q, want %q", got, exp.RequestID))
	}
	return nil
}
