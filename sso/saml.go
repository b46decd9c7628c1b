package sso

import (
	"context"

	gh "gatehouse.dev/gatehouse"
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
	if p.SAML.MetadataURL != "" && p.SAML.MetadataXML == "" {
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
