package saml

import (
	"net/mail"
	"strings"

	"github.com/russellhaering/gosaml2/types"

	"gatehouse.dev/gatehouse"
)

var (
	defaultEmail  = []string{"email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}
	defaultName   = []string{"displayName", "name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"}
	defaultGroups = []string{"groups", "memberOf", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"}

	emailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
)

// mfaClasses are the AuthnContextClassRefs that mean more than one factor.
// Each names a possession factor (a phone, a token, a smartcard or a
// client certificate's key) on top of what the person knows, or, for
// Microsoft's multipleauthn, says outright that several methods were used;
// a password alone, Kerberos or "unspecified" say nothing of the kind.
var mfaClasses = map[string]bool{
	"urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract":     true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered": true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken":               true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:X509":                        true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard":                   true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI":                true,
	"urn:oasis:names:tc:SAML:2.0:ac:classes:SoftwarePKI":                 true,
	"http://schemas.microsoft.com/claims/multipleauthn":                  true,
	"https://refeds.org/profile/mfa":                                     true,
}

// attrs holds attribute values by Name and by FriendlyName, since IdPs that
// send URN names (urn:oid:…) usually give the short name as FriendlyName.
type attrs map[string][]string

func attributesOf(a *types.Assertion) attrs {
	m := attrs{}
	if a.AttributeStatement == nil {
		return m
	}
	for _, at := range a.AttributeStatement.Attributes {
		var vals []string
		for _, v := range at.Values {
			if s := strings.TrimSpace(v.Value); s != "" {
				vals = append(vals, s)
			}
		}
		m[at.Name] = append(m[at.Name], vals...)
		if at.FriendlyName != "" && at.FriendlyName != at.Name {
			m[at.FriendlyName] = append(m[at.FriendlyName], vals...)
		}
	}
	return m
}

// first returns the first value of the first name present.
func (m attrs) first(names []string) string {
	for _, n := range names {
		if v := m[n]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// names is the configured attribute name, or the defaults when empty.
func names(configured string, defaults []string) []string {
	if configured != "" {
		return []string{configured}
	}
	return defaults
}

// claims maps a verified assertion onto what the directory reads.
func (sp *SP) claims(a *types.Assertion) *gatehouse.Assertion {
	m := attributesOf(a)
	nameID := a.Subject.NameID
	out := &gatehouse.Assertion{
		Subject: strings.TrimSpace(nameID.Value),
		Email:   m.first(names(sp.cfg.Attributes.Email, defaultEmail)),
		Name:    m.first(names(sp.cfg.Attributes.Name, defaultName)),
		Groups:  []string{},
		// The IdP is the authority over its own people's addresses.
		EmailVerified: true,
		MFA:           usedMFA(a),
	}
	if out.Email == "" && sp.cfg.Attributes.Email == "" && nameID.Format == emailFormat && isEmail(out.Subject) {
		out.Email = out.Subject
	}
	if out.Name == "" && sp.cfg.Attributes.Name == "" {
		out.Name = strings.TrimSpace(m.first([]string{"givenName"}) + " " + m.first([]string{"sn", "surname"}))
	}
	for _, n := range names(sp.cfg.Attributes.Groups, defaultGroups) {
		if v := m[n]; len(v) > 0 {
			out.Groups = append(out.Groups, v...)
			break
		}
	}
	return out
}

func isEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s
}

func usedMFA(a *types.Assertion) bool {
	st := a.AuthnStatement
	if st == nil || st.AuthnContext == nil || st.AuthnContext.AuthnContextClassRef == nil {
		return false
	}
	return mfaClasses[strings.TrimSpace(st.AuthnContext.AuthnContextClassRef.Value)]
}
