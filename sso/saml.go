package sso

import (
	"context"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/saml"
)

// samlProto is our SAML Service Provider for one IdP.
type samlProto struct{ sp *saml.SP }

func (s *Service) samlConfig(p *gh.IdentityProvider, sec secrets) saml.Config {
	return saml.Config{EntityID: s.EntityID(p.ID), ACSURL: s.ACSURL(p.ID), MetadataXML: []byte(p.SAML.MetadataXML),
		KeyPEM: []byte(sec.SPKey), CertPEM: []byte(p.SAML.SPCertificate), Attributes: p.SAML.Attributes,
		AllowIdPInitiated: p.SAML.AllowIdPInitiated}
}

func (s *Service) samlProto(p *gh.IdentityProvider, sec secrets) (protocol, error) {
	sp, err := saml.New(s.samlConfig(p, sec))
	if err != nil {
		return nil, err
	}
	return &samlProto{sp: sp}, nil
}

// proveSAML reads the IdP's metadata (fetching it from its URL, once: the
// copy is kept, so sign-ins never depend on that URL), makes the SP's key
// pair on first use, and checks that the two make a working SP.
func (s *Service) proveSAML(ctx context.Context, p *gh.IdentityProvider, sec *secrets) error {
	// A metadata URL is read at every save, so saving the provider again is
	// how its admin picks up an IdP's new certificate (RefreshMetadata does
	// it on a schedule); XML given alongside a URL is not used.
	if p.SAML.MetadataURL != "" {
		xml, err := saml.FetchMetadata(ctx, p.SAML.MetadataURL, s.cfg.HTTPClient)
		if err != nil {
			return gh.Invalid("invalid_metadata", "metadata_url", err.Error())
		}
		p.SAML.MetadataXML = string(xml)
	}
	if sec.SPKey == "" || p.SAML.SPCertificate == "" {
		key, cert, err := saml.NewKeyPair("Gatehouse SP " + string(p.ID))
		if err != nil {
			return gh.Internal(err)
		}
		sec.SPKey, p.SAML.SPCertificate = string(key), string(cert)
	}
	sp, err := saml.New(s.samlConfig(p, *sec))
	if err != nil {
		return err
	}
	p.SAML.EntityID = sp.IdPEntityID()
	return nil
}

func (o *samlProto) begin(_ context.Context, f *flow) (string, error) {
	to, id, err := o.sp.AuthnRequestURL(f.State)
	if err != nil {
		return "", gh.Internal(err)
	}
	f.RequestID = id
	return to, nil
}

func (o *samlProto) finish(_ context.Context, f *flow, a Answer) (*gh.Assertion, error) {
	if a.SAMLResponse == "" {
		return nil, gh.Reject("malformed", "the form carries no SAMLResponse")
	}
	return o.sp.Parse(a.SAMLResponse, saml.Expect{RequestID: f.RequestID})
}

func (o *samlProto) bench(_ context.Context, in BenchInput) (*gh.Assertion, error) {
	if in.SAMLResponse == "" {
		return nil, gh.Reject("malformed", "a SAML provider is tested with a SAML response or assertion")
	}
	resp, err := saml.Wrap(in.SAMLResponse)
	if err != nil {
		return nil, gh.Reject("malformed", err.Error())
	}
	return o.sp.Parse(resp, saml.Expect{AnyRequest: true})
}

// Metadata is the SP metadata of a SAML provider, for its IdP's admin.
func (s *Service) Metadata(ctx context.Context, id gh.ProviderID) ([]byte, error) {
	p := s.dir.Provider(id)
	if p == nil || p.Type != gh.ProviderSAML {
		return nil, errNoProvider
	}
	pr, err := s.proto(ctx, p)
	if err != nil {
		return nil, err
	}
	return pr.(*samlProto).sp.Metadata()
}

// RefreshMetadata reads again the metadata of every SAML provider that
// names a metadata URL and saves what changed, so that an IdP's new signing
// certificate is believed without anyone entering it. A provider whose URL
// fails or whose new metadata is unusable keeps what it had; the failure is
// logged. It returns how many providers changed.
func (s *Service) RefreshMetadata(ctx context.Context) int {
	idx := s.dir.Index()
	changed := 0
	for _, o := range idx.Orgs(func(*gh.Org) bool { return true }) {
		for _, p := range idx.Providers(o.ID, func(p *gh.IdentityProvider) bool { return p.SAML != nil && p.SAML.MetadataURL != "" }) {
			ok, err := s.refreshOne(ctx, o, p)
			if err != nil {
				s.log.Warn("refresh SAML metadata", "provider", p.ID, "url", p.SAML.MetadataURL, "err", err)
			}
			if ok {
				changed++
			}
		}
	}
	return changed
}

func (s *Service) refreshOne(ctx context.Context, o *gh.Org, p *gh.IdentityProvider) (bool, error) {
	xml, err := saml.FetchMetadata(ctx, p.SAML.MetadataURL, s.cfg.HTTPClient)
	if err != nil || saml.SameIdP(xml, []byte(p.SAML.MetadataXML)) {
		return false, err
	}
	sc := directory.Scope{Org: o}
	if !p.IsOrg() {
		if sc.Workspace = s.dir.Index().Workspace(p.Workspace); sc.Workspace == nil {
			return false, nil
		}
	}
	_, _, err = s.Replace(ctx, directory.SystemActor("metadata refresh"), sc, p.ID, InputOf(p), p.Revision)
	return err == nil, err
}
