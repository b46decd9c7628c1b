package sso

import (
	"context"
	"encoding/json"
	"errors"
	"net"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// ProviderInput creates or replaces an identity provider. OIDC providers
// take issuer, client_id, client_secret, scopes and claims; SAML providers
// metadata_xml or metadata_url and attributes.
type ProviderInput struct {
	Type              gh.ProviderType `json:"type"`
	Name              string          `json:"name"`
	JIT               bool            `json:"jit"`
	TrustMFA          bool            `json:"trust_mfa"`
	Disabled          bool            `json:"disabled"`
	Issuer            string          `json:"issuer,omitempty"`
	ClientID          string          `json:"client_id,omitempty"`
	ClientSecret      string          `json:"client_secret,omitempty"` // kept when empty on a replace
	Scopes            []string        `json:"scopes,omitempty"`
	Claims            gh.ClaimMap     `json:"claims"`
	MetadataXML       string          `json:"metadata_xml,omitempty"`
	MetadataURL       string          `json:"metadata_url,omitempty"`
	Attributes        gh.ClaimMap     `json:"attributes"`
	AllowIdPInitiated bool            `json:"allow_idp_initiated"`
}

// ProviderView is a provider as its admins read it: its settings and the
// addresses to give the provider's own admin. Secrets never leave.
type ProviderView struct {
	*gh.IdentityProvider
	StartURL    string `json:"start_url"`
	RedirectURI string `json:"redirect_uri,omitempty"` // OIDC
	ACSURL      string `json:"acs_url,omitempty"`      // SAML
	EntityID    string `json:"sp_entity_id,omitempty"` // SAML: also the SP metadata's URL
}

// View returns p as its admins read it.
func (s *Service) View(p *gh.IdentityProvider) *ProviderView {
	v := &ProviderView{IdentityProvider: p, StartURL: s.cfg.PublicURL + "/sso/" + string(p.ID) + "/start"}
	if p.Type == gh.ProviderOIDC {
		v.RedirectURI = s.CallbackURL(p.ID)
	} else {
		v.ACSURL, v.EntityID = s.ACSURL(p.ID), s.EntityID(p.ID)
	}
	return v
}

// InputOf is a provider's settings as a replacement of it would give them
// (its secrets, never read back, are kept by leaving them out).
func InputOf(p *gh.IdentityProvider) ProviderInput {
	in := ProviderInput{Type: p.Type, Name: p.Name, JIT: p.JIT, TrustMFA: p.TrustMFA, Disabled: p.Disabled}
	if p.OIDC != nil {
		in.Issuer, in.ClientID, in.Scopes, in.Claims = p.OIDC.Issuer, p.OIDC.ClientID, p.OIDC.Scopes, p.OIDC.Claims
	}
	if p.SAML != nil {
		in.MetadataURL, in.MetadataXML = p.SAML.MetadataURL, p.SAML.MetadataXML
		in.Attributes, in.AllowIdPInitiated = p.SAML.Attributes, p.SAML.AllowIdPInitiated
	}
	return in
}

// Create adds a provider to the scope's home, once its settings are proven:
// an OIDC issuer must answer discovery, SAML metadata must parse.
func (s *Service) Create(ctx context.Context, a *directory.Actor, sc directory.Scope, in ProviderInput) (*ProviderView, gh.Revision, error) {
	if err := s.dir.MayManageProviders(a, sc); err != nil {
		return nil, 0, err
	}
	p := &gh.IdentityProvider{ID: gh.ProviderID(gh.NewID("idp")), Home: sc.Home()}
	sealed, err := s.prepare(ctx, p, in, secrets{})
	if err != nil {
		return nil, 0, err
	}
	rev, err := s.dir.CreateProvider(ctx, a, sc, p, sealed)
	if err != nil {
		return nil, 0, err
	}
	return s.View(p), rev, nil
}

// Replace changes a provider's settings; its type and SAML keys stay.
func (s *Service) Replace(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ProviderID, in ProviderInput, ifMatch gh.Revision) (*ProviderView, gh.Revision, error) {
	cur, err := s.dir.GetProvider(a, sc, id)
	if err != nil {
		return nil, 0, err
	}
	if in.Type != cur.Type {
		return nil, 0, gh.Invalid("invalid_input", "type", "a provider's type cannot change; add a new provider")
	}
	old, err := s.secrets(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	p := &gh.IdentityProvider{ID: id, Home: cur.Home}
	if cur.SAML != nil {
		p.SAML = &gh.SAMLSettings{SPCertificate: cur.SAML.SPCertificate}
	}
	sealed, err := s.prepare(ctx, p, in, old)
	if err != nil {
		return nil, 0, err
	}
	rev, err := s.dir.ReplaceProvider(ctx, a, sc, p, sealed, ifMatch)
	if err != nil {
		return nil, 0, err
	}
	return s.View(p), rev, nil
}

// prepare fills p from in, proves the protocol settings and returns the
// sealed secrets (old ones kept where in gives none).
func (s *Service) prepare(ctx context.Context, p *gh.IdentityProvider, in ProviderInput, old secrets) (string, error) {
	p.Type, p.Name, p.JIT, p.TrustMFA, p.Disabled = in.Type, gh.CleanName(in.Name), in.JIT, in.TrustMFA, in.Disabled
	switch in.Type {
	case gh.ProviderOIDC:
		p.OIDC = &gh.OIDCSettings{Issuer: in.Issuer, ClientID: in.ClientID, Scopes: in.Scopes, Claims: in.Claims}
	case gh.ProviderSAML:
		cert := ""
		if p.SAML != nil {
			cert = p.SAML.SPCertificate
		}
		p.SAML = &gh.SAMLSettings{MetadataXML: in.MetadataXML, MetadataURL: in.MetadataURL, Attributes: in.Attributes,
			AllowIdPInitiated: in.AllowIdPInitiated, SPCertificate: cert}
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	sec := old
	if in.ClientSecret != "" {
		sec.ClientSecret = in.ClientSecret
	}
	var err error
	switch p.Type {
	case gh.ProviderOIDC:
		err = s.proveOIDC(ctx, p, sec)
	case gh.ProviderSAML:
		err = s.proveSAML(ctx, p, &sec)
	}
	if err != nil {
		return "", err
	}
	return s.seal(sec), nil
}

// Delete removes a provider.
func (s *Service) Delete(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ProviderID, ifMatch gh.Revision) (gh.Revision, error) {
	return s.dir.DeleteProvider(ctx, a, sc, id, ifMatch)
}

// Attempts lists the last sign-ins through a provider, refused ones with
// the check that failed, newest first.
func (s *Service) Attempts(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ProviderID, limit int) ([]*gh.Event, error) {
	p, err := s.dir.GetProvider(a, sc, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.ListEvents(ctx, gh.EventFilter{Org: p.Org, Target: string(p.ID), Action: "login.", Limit: limit})
}

// BenchInput is a pasted provider answer for the mapping test bench: a SAML
// response or assertion (XML or base64), or an ID token's claims as JSON.
type BenchInput struct {
	SAMLResponse string          `json:"saml_response,omitempty"`
	Claims       json.RawMessage `json:"claims,omitempty"`
}

// BenchResult is what the answer would do, with nothing changed.
type BenchResult struct {
	Accepted  bool                         `json:"accepted"`
	Rejection *RejectionView               `json:"rejection,omitempty"`
	Assertion *gh.Assertion                `json:"assertion,omitempty"`
	Outcome   *directory.FederationPreview `json:"outcome,omitempty"`
}

// RejectionView is a refusal as the bench shows it.
type RejectionView struct {
	Check  string `json:"check"`
	Detail string `json:"detail"`
}

// Test runs the bench: the protocol's checks, then the directory's plan.
func (s *Service) Test(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ProviderID, in BenchInput) (*BenchResult, error) {
	p, err := s.dir.GetProvider(a, sc, id)
	if err != nil {
		return nil, err
	}
	if (in.SAMLResponse == "") == (len(in.Claims) == 0) {
		return nil, gh.Invalid("invalid_input", "saml_response", "give a SAML response or assertion, or an ID token's claims, not both")
	}
	pr, err := s.proto(ctx, p)
	if err != nil {
		return nil, err
	}
	as, err := pr.bench(ctx, in)
	if res, done := rejected(err); done {
		return res, nil
	} else if err != nil {
		return nil, err
	}
	out, err := s.dir.PreviewFederation(a, sc, id, as)
	if res, done := rejected(err); done {
		res.Assertion = as
		return res, nil
	} else if err != nil {
		return nil, err
	}
	return &BenchResult{Accepted: true, Assertion: as, Outcome: out}, nil
}

func rejected(err error) (*BenchResult, bool) {
	var rj *gh.Rejection
	if errors.As(err, &rj) {
		return &BenchResult{Rejection: &RejectionView{Check: rj.Check, Detail: rj.Detail}}, true
	}
	return nil, false
}

// VerifyDomain looks for the claim's TXT record and marks it proven.
func (s *Service) VerifyDomain(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.DomainID) (*gh.Domain, gh.Revision, error) {
	dom, err := s.dir.GetDomain(a, sc, id)
	if err != nil {
		return nil, 0, err
	}
	txt, err := s.cfg.LookupTXT(ctx, dom.TXTName())
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		txt, err = nil, nil
	}
	if err != nil {
		return nil, 0, gh.Errorf(gh.KindUnavailable, "dns_unavailable", "the DNS lookup of %s failed: %v; try again", dom.TXTName(), err)
	}
	return s.dir.VerifyDomain(ctx, a, sc, id, txt)
}

// Choice is a provider offered on the sign-in page.
type Choice struct {
	ID       gh.ProviderID `json:"id"`
	Name     string        `json:"name"`
	StartURL string        `json:"start_url"`
}

// Discover returns the providers an email signs in through, by its
// domain's proven home; none when no home proved it.
func (s *Service) Discover(email string) []Choice {
	_, ps, ok := s.dir.HomeRealm(email)
	if !ok {
		return nil
	}
	out := make([]Choice, 0, len(ps))
	for _, p := range ps {
		out = append(out, Choice{ID: p.ID, Name: p.Name, StartURL: "/sso/" + string(p.ID) + "/start"})
	}
	return out
}

// Choices lists a home's enabled providers, for its sign-in buttons.
func (s *Service) Choices(h gh.Home) []Choice {
	var out []Choice
	for _, p := range s.dir.ProvidersOf(h) {
		out = append(out, Choice{ID: p.ID, Name: p.Name, StartURL: "/sso/" + string(p.ID) + "/start"})
	}
	return out
}
