package oidc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// FromClaims maps an ID token's claims, as JSON, to an Assertion without
// checking any signature: Verify calls it once every check passed, and
// tests and the admin console use it to try a claim mapping. A claim of the
// wrong type is a *gatehouse.Rejection with Check "malformed": a mapping
// that guessed would put people in the wrong groups.
func FromClaims(raw []byte, claims gatehouse.ClaimMap) (*gatehouse.Assertion, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, gatehouse.Reject("malformed", "id token claims are not a JSON object: "+err.Error())
	}
	c := claimSet(all)
	claims = withDefaults(claims)
	a := &gatehouse.Assertion{}
	var err error
	if a.Subject, err = c.str("sub"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(a.Subject) == "" {
		return nil, gatehouse.Reject("malformed", "id token has no sub claim")
	}
	if a.Email, err = c.str(claims.Email); err != nil {
		return nil, err
	}
	if a.Name, err = c.name(claims.Name); err != nil {
		return nil, err
	}
	if err := c.groups(a, claims.Groups); err != nil {
		return nil, err
	}
	if err := c.rest(a); err != nil {
		return nil, err
	}
	return a, nil
}

func withDefaults(m gatehouse.ClaimMap) gatehouse.ClaimMap {
	if m.Email == "" {
		m.Email = "email"
	}
	if m.Name == "" {
		m.Name = "name"
	}
	if m.Groups == "" {
		m.Groups = "groups"
	}
	return m
}

// claimSet is a token's claims, each still JSON.
type claimSet map[string]json.RawMessage

// str returns a string claim; absent or null is "".
func (c claimSet) str(name string) (string, error) {
	v, ok := c[name]
	if !ok || string(v) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", gatehouse.Reject("malformed", fmt.Sprintf("claim %q is not a string", name))
	}
	return s, nil
}

// truth reads a boolean that providers send either as JSON true or as the
// string "true" (Entra ID and others differ).
func (c claimSet) truth(name string) bool {
	var b bool
	if json.Unmarshal(c[name], &b) == nil {
		return b
	}
	s, _ := c.str(name)
	return strings.EqualFold(s, "true")
}

// name returns the configured name claim, else given and family names.
func (c claimSet) name(claim string) (string, error) {
	n, err := c.str(claim)
	if err != nil || n != "" {
		return n, err
	}
	given, err := c.str("given_name")
	if err != nil {
		return "", err
	}
	family, err := c.str("family_name")
	return strings.TrimSpace(given + " " + family), err
}

// groups sets the groups: an array of names or ids, or a single one. When
// the provider says it left them out (Entra ID's overage: a _claim_names
// entry pointing at Graph, or hasgroups), they are unknown, not empty.
func (c claimSet) groups(a *gatehouse.Assertion, claim string) error {
	var names map[string]string
	json.Unmarshal(c["_claim_names"], &names)
	if _, ok := names["groups"]; ok || c.truth("hasgroups") {
		a.GroupsOverage = true
		return nil
	}
	v, ok := c[claim]
	if !ok || string(v) == "null" {
		return nil
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		a.Groups = list
		return nil
	}
	var one string
	if json.Unmarshal(v, &one) == nil {
		a.Groups = []string{one}
		return nil
	}
	return gatehouse.Reject("malformed", fmt.Sprintf("claim %q is neither a string nor an array of strings", claim))
}

// rest sets the fields whose claim names are fixed by the specifications.
func (c claimSet) rest(a *gatehouse.Assertion) error {
	a.EmailVerified = c.truth("email_verified")
	var err error
	if a.ID, err = c.str("jti"); err != nil {
		return err
	}
	if exp, ok := c["exp"]; ok {
		var secs float64
		if json.Unmarshal(exp, &secs) != nil {
			return gatehouse.Reject("malformed", `claim "exp" is not a number`)
		}
		a.Expires = time.Unix(int64(secs), 0).UTC()
	}
	var amr []string
	if v, ok := c["amr"]; ok && json.Unmarshal(v, &amr) != nil {
		return gatehouse.Reject("malformed", `claim "amr" is not an array of strings`)
	}
	acr, err := c.str("acr")
	a.MFA = multiFactor(amr, acr)
	return err
}
