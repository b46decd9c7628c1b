package gatehouse

import (
	"net"
	"net/url"
	"strings"
	"time"
)

// ProviderID identifies an identity provider.
type ProviderID string

// DomainID identifies an email domain claim.
type DomainID string

// ProviderType is the protocol an identity provider speaks.
type ProviderType string

const (
	ProviderOIDC ProviderType = "oidc"
	ProviderSAML ProviderType = "saml"
)

// IdentityProvider signs people of its home in: an organization's provider
// signs in the organization's users, a workspace's provider that
// workspace's users and nobody else. What it asserts is believed only
// inside its home (docs/design.md, federation trust).
type IdentityProvider struct {
	ID   ProviderID   `json:"id"`
	Home              // org_id, workspace_id: whose people it signs in
	Type ProviderType `json:"type"`
	Name string       `json:"name"`
	// Disabled providers sign nobody in; their users keep their accounts.
	Disabled bool `json:"disabled,omitempty"`
	// JIT creates a user at its first sign-in; without it, only users that
	// exist already are admitted (matched by subject, then by email).
	JIT bool `json:"jit"`
	// TrustMFA takes the provider's word that it used a second factor, so
	// Gatehouse asks for none of its own after it.
	TrustMFA bool          `json:"trust_mfa"`
	OIDC     *OIDCSettings `json:"oidc,omitempty"`
	SAML     *SAMLSettings `json:"saml,omitempty"`
	Meta
}

// ClaimMap names the claims (OIDC) or attributes (SAML) that carry a
// person's email, display name and groups; empty fields take the defaults.
type ClaimMap struct {
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Groups string `json:"groups,omitempty"`
}

// OIDCSettings are an OpenID Provider's public settings; the client secret
// is sealed in the vault, never here.
type OIDCSettings struct {
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes,omitempty"`
	Claims   ClaimMap `json:"claims"`
}

// SAMLSettings are a SAML IdP's public settings. The SP's private key is
// sealed in the vault; its certificate is public and served in the SP
// metadata.
type SAMLSettings struct {
	MetadataXML string   `json:"metadata_xml,omitempty"`
	MetadataURL string   `json:"metadata_url,omitempty"`
	EntityID    string   `json:"idp_entity_id"` // read from the metadata
	Attributes  ClaimMap `json:"attributes"`
	// AllowIdPInitiated admits responses no request of ours asked for.
	AllowIdPInitiated bool   `json:"allow_idp_initiated"`
	SPCertificate     string `json:"sp_certificate"` // PEM
}

// Validate reports malformed fields.
func (p *IdentityProvider) Validate() error {
	f := Fields{}
	checkName(f, "name", p.Name, 200)
	switch p.Type {
	case ProviderOIDC:
		if p.OIDC == nil {
			f.Add("oidc", "is required for an OIDC provider")
			break
		}
		checkHTTPS(f, "issuer", p.OIDC.Issuer)
		if strings.TrimSpace(p.OIDC.ClientID) == "" || len(p.OIDC.ClientID) > 500 {
			f.Add("client_id", "is required (at most 500 characters)")
		}
	case ProviderSAML:
		if p.SAML == nil {
			f.Add("saml", "is required for a SAML provider")
			break
		}
		if p.SAML.MetadataXML == "" && p.SAML.MetadataURL == "" {
			f.Add("metadata_xml", "metadata_xml or metadata_url is required")
		}
		if p.SAML.MetadataURL != "" {
			checkHTTPS(f, "metadata_url", p.SAML.MetadataURL)
		}
	default:
		f.Add("type", `must be "oidc" or "saml"`)
	}
	return f.Err()
}

// checkHTTPS requires an absolute https URL without credentials or
// fragment; plain http only on the loopback interface, where a provider
// under test runs.
func checkHTTPS(f Fields, field, raw string) {
	u, err := url.Parse(raw)
	ok := err == nil && u.Host != "" && u.User == nil && u.Fragment == "" &&
		(u.Scheme == "https" || (u.Scheme == "http" && loopback(u.Hostname())))
	if !ok {
		f.Add(field, "must be an absolute https URL")
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ExternalGroup names a group at an identity provider or directory: a
// group name (Okta), an object id (Entra ID) or a distinguished name (LDAP).
// A Gatehouse group that carries it follows the provider's membership.
type ExternalGroup struct {
	Provider ProviderID `json:"provider_id"`
	Value    string     `json:"value"`
}

// Matches reports whether the provider asserted this group; ids and names
// are compared without case, as providers differ in how they spell them.
func (e ExternalGroup) Matches(p ProviderID, value string) bool {
	return e.Provider == p && strings.EqualFold(strings.TrimSpace(e.Value), strings.TrimSpace(value))
}

// FederatedIdentity links a user to its stable subject at one provider.
type FederatedIdentity struct {
	Provider ProviderID `json:"provider_id"`
	Subject  string     `json:"subject"`
}

// Domain is an email domain an organization or workspace claims. Verified
// by a DNS TXT record, it sends people whose email is at the domain to its
// home's identity providers. A domain is verified for one organization of
// the deployment at most.
type Domain struct {
	ID         DomainID  `json:"id"`
	Home                 // who claims it
	Name       string    `json:"domain"`
	Token      string    `json:"verification_token"` // the TXT record's value
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Meta
}

// Verified reports whether the claim was proven.
func (d *Domain) Verified() bool { return !d.VerifiedAt.IsZero() }

// TXTName is the DNS name the verification record is published at.
func (d *Domain) TXTName() string { return "_gatehouse-challenge." + d.Name }

// Assertion is what an identity provider said about a person, once every
// check of its protocol passed (signature, issuer, audience, time, nonce or
// request). The directory decides what it is worth.
type Assertion struct {
	Subject       string   `json:"subject"` // stable id at the provider (OIDC sub, SAML NameID)
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups"`
	// GroupsOverage: the provider had too many groups to list (Entra ID's
	// overage claim). The groups are unknown, so memberships are left alone.
	GroupsOverage bool `json:"groups_overage,omitempty"`
	// MFA: the provider says the person used more than one factor.
	MFA bool `json:"mfa"`
	// ID is the assertion's or token's own id, refused if seen again before Expires.
	ID      string    `json:"id,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// Rejection is why a provider's answer was refused: the check that failed
// (signature, issuer, audience, expired, not_yet_valid, recipient,
// in_response_to, replay, nonce, state, algorithm, malformed, unsigned…)
// and a detail for the admins' troubleshooting log. It is never shown to
// the person signing in.
type Rejection struct {
	Check  string
	Detail string
}

func (r *Rejection) Error() string {
	return "identity provider answer refused (" + r.Check + "): " + r.Detail
}

// Reject returns a Rejection.
func Reject(check, detail string) *Rejection { return &Rejection{Check: check, Detail: detail} }
