// Package saml is a SAML 2.0 Service Provider: it sends AuthnRequests to an
// identity provider over the HTTP-Redirect binding and reads the Responses
// it posts back, refusing every answer that fails a check with a
// gatehouse.Rejection naming that check. XML signatures and decryption are
// gosaml2's and goxmldsig's; the checks they leave to their callers
// (wrapping, audience, time with a bounded skew, InResponseTo) are here.
package saml

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"

	"gatehouse.dev/gatehouse"
)

const (
	defaultSkew = 3 * time.Minute
	// maxSkew bounds the configured skew: a wider window lets a captured
	// assertion live on long after its issuer meant it to end.
	maxSkew = 10 * time.Minute

	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

// Config is one identity provider as seen by our Service Provider.
type Config struct {
	EntityID          string             // our SP entity id (the integrator passes the SP metadata URL)
	ACSURL            string             // our Assertion Consumer Service URL (POST binding)
	MetadataXML       []byte             // the IdP's metadata (EntityDescriptor)
	KeyPEM, CertPEM   []byte             // the SP's RSA key and certificate: signs requests, decrypts assertions
	Attributes        gatehouse.ClaimMap // attribute names for email, name, groups; empty fields take defaults
	AllowIdPInitiated bool               // admit responses no request of ours asked for
	Skew              time.Duration      // clock skew allowed; default 3 minutes, at most 10
	Now               func() time.Time   // default time.Now
}

// SP is a Service Provider bound to one identity provider. It is safe for
// concurrent use.
type SP struct {
	cfg  Config
	idp  *idpInfo
	keys dsig.X509KeyStore
}

// New reads the IdP metadata and the SP key pair. Every error is KindInvalid:
// invalid_metadata on the field metadata_xml for bad metadata, invalid_key
// on sp_key for a bad key or certificate, invalid_config on entity_id or
// acs_url when one is missing. A Skew above 10 minutes is cut to 10.
func New(cfg Config) (*SP, error) {
	if cfg.EntityID == "" {
		return nil, gatehouse.Invalid("invalid_config", "entity_id", "is required")
	}
	if cfg.ACSURL == "" {
		return nil, gatehouse.Invalid("invalid_config", "acs_url", "is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Skew = boundSkew(cfg.Skew)
	idp, err := parseIdPMetadata(cfg.MetadataXML)
	if err != nil {
		return nil, gatehouse.Invalid("invalid_metadata", "metadata_xml", err.Error())
	}
	keys, err := loadKeyPair(cfg.KeyPEM, cfg.CertPEM)
	if err != nil {
		return nil, gatehouse.Invalid("invalid_key", "sp_key", err.Error())
	}
	return &SP{cfg: cfg, idp: idp, keys: keys}, nil
}

func boundSkew(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return defaultSkew
	case d > maxSkew:
		return maxSkew
	}
	return d
}

// IdPEntityID is the identity provider's entity id, read from its metadata.
func (sp *SP) IdPEntityID() string { return sp.idp.entityID }

// Metadata is our SP metadata: an EntityDescriptor with an SPSSODescriptor,
// the ACS over the POST binding, our certificate for signing and
// encryption, and WantAssertionsSigned.
func (sp *SP) Metadata() ([]byte, error) {
	base := sp.provider(sp.cfg.Now())
	ed, err := base.Metadata()
	if err != nil {
		return nil, fmt.Errorf("saml metadata: %w", err)
	}
	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saml metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// AuthnRequestURL is the IdP SSO URL carrying a new AuthnRequest over the
// HTTP-Redirect binding, signed (saml-bindings §3.4.4.1),
// and the request's ID, which the caller keeps to pass as Expect.RequestID.
func (sp *SP) AuthnRequestURL(relayState string) (redirectURL, requestID string, err error) {
	base := sp.provider(sp.cfg.Now())
	// Signed twice: in the query string, as the redirect binding wants, and
	// enveloped, because an IdP that shows a login form may post the
	// request back to itself (POST binding), where only the enveloped
	// signature survives.
	doc, err := base.BuildAuthRequestDocument()
	if err != nil {
		return "", "", fmt.Errorf("saml authn request: %w", err)
	}
	requestID = doc.Root().SelectAttrValue("ID", "")
	redirectURL, err = base.BuildAuthURLRedirect(relayState, doc)
	if err != nil {
		return "", "", fmt.Errorf("saml authn request: %w", err)
	}
	return redirectURL, requestID, nil
}

// provider is gosaml2's view of this SP with its clock at the given time.
// A new one per call: it holds a lock and a clock, so it is not shared.
func (sp *SP) provider(at time.Time) *saml2.SAMLServiceProvider {
	return &saml2.SAMLServiceProvider{
		IdentityProviderSSOURL:      sp.idp.ssoURL,
		IdentityProviderSSOBinding:  bindingRedirect,
		IdentityProviderIssuer:      sp.idp.entityID,
		AssertionConsumerServiceURL: sp.cfg.ACSURL,
		ServiceProviderIssuer:       sp.cfg.EntityID,
		AudienceURI:                 sp.cfg.EntityID,
		// Always sign: it costs nothing and an IdP may start wanting it.
		SignAuthnRequests:   true,
		IDPCertificateStore: &dsig.MemoryX509CertificateStore{Roots: sp.idp.certs},
		SPKeyStore:          sp.keys,
		SPSigningKeyStore:   sp.keys,
		// The IdP may omit AttributeStatement (NameID only); claims copes.
		AllowMissingAttributes: true,
		Clock:                  dsig.NewFakeClockAt(at),
	}
}

// idpInfo is what the IdP metadata tells us.
type idpInfo struct {
	entityID string
	ssoURL   string
	certs    []*x509.Certificate
}

// SameIdP reports whether two copies of an IdP's metadata say the same
// about what sign-ins depend on — entity id, sign-in URL and signing
// certificates — whatever else differs (a validUntil that moves with
// every fetch, say). Metadata that does not parse is never the same.
func SameIdP(a, b []byte) bool {
	x, errA := parseIdPMetadata(a)
	y, errB := parseIdPMetadata(b)
	if errA != nil || errB != nil || x.entityID != y.entityID || x.ssoURL != y.ssoURL || len(x.certs) != len(y.certs) {
		return false
	}
	for i := range x.certs {
		if !x.certs[i].Equal(y.certs[i]) {
			return false
		}
	}
	return true
}

// entities reads metadata published as an EntitiesDescriptor.
type entities struct {
	XMLName  xml.Name                 `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntitiesDescriptor"`
	Entities []types.EntityDescriptor `xml:"EntityDescriptor"`
}

func parseIdPMetadata(data []byte) (*idpInfo, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("is empty")
	}
	ed, err := findIdP(data)
	if err != nil {
		return nil, err
	}
	d := ed.IDPSSODescriptor
	info := &idpInfo{entityID: ed.EntityID}
	if info.entityID == "" {
		return nil, errors.New("has no entityID")
	}
	for _, s := range d.SingleSignOnServices {
		if s.Binding == bindingRedirect && info.ssoURL == "" {
			info.ssoURL = s.Location
		}
	}
	if info.ssoURL == "" {
		return nil, errors.New("has no SingleSignOnService with the HTTP-Redirect binding")
	}
	info.certs, err = signingCerts(d.KeyDescriptors)
	if err != nil {
		return nil, err
	}
	return info, nil
}

// findIdP returns the one EntityDescriptor with an IDPSSODescriptor.
func findIdP(data []byte) (*types.EntityDescriptor, error) {
	var ed types.EntityDescriptor
	edErr := xml.Unmarshal(data, &ed)
	if edErr == nil {
		if ed.IDPSSODescriptor == nil {
			return nil, errors.New("has no IDPSSODescriptor: is it an identity provider's metadata?")
		}
		return &ed, nil
	}
	var all entities
	if err := xml.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("is not SAML metadata (an EntityDescriptor): %v", edErr)
	}
	var found *types.EntityDescriptor
	for i := range all.Entities {
		if all.Entities[i].IDPSSODescriptor == nil {
			continue
		}
		if found != nil {
			return nil, errors.New("describes several identity providers; give the metadata of one")
		}
		found = &all.Entities[i]
	}
	if found == nil {
		return nil, errors.New("has no IDPSSODescriptor: is it an identity provider's metadata?")
	}
	return found, nil
}

// signingCerts reads the certificates of the KeyDescriptors for signing
// (a KeyDescriptor without use serves both purposes, saml-metadata §2.4.1.1).
func signingCerts(kds []types.KeyDescriptor) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, kd := range kds {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
			if err != nil {
				return nil, fmt.Errorf("has a signing certificate that is not base64: %v", err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("has an unreadable signing certificate: %v", err)
			}
			certs = append(certs, cert)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("has no signing certificate: responses could not be verified")
	}
	return certs, nil
}

// loadKeyPair reads the SP's PEM key and certificate into the key store
// gosaml2 signs and decrypts with.
func loadKeyPair(keyPEM, certPEM []byte) (dsig.X509KeyStore, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("is not a matching PEM key and certificate: %v", err)
	}
	if block, _ := pem.Decode(certPEM); block == nil {
		return nil, errors.New("certificate is not PEM")
	}
	return dsig.TLSCertKeyStore(pair), nil
}
