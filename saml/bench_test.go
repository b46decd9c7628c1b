package saml

import (
	"bytes"
	"encoding/base64"
	"errors"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/ssotest"
)

// The real peer: crewjam/saml's samlidp, run by ssotest, with one user.
const (
	testUser     = "alice"
	testPassword = "correct horse battery staple"
	testEmail    = "alice@corp.example"
	testACS      = "https://gatehouse.test/saml/acs"
	plainEntity  = "https://gatehouse.test/saml/plain/metadata"
	cryptEntity  = "https://gatehouse.test/saml/crypt/metadata"
)

var testGroups = []string{"admins", "staff"}

// spKeys is one SP key pair for the whole run: RSA generation is slow.
var spKeys = sync.OnceValues(func() ([]byte, error) {
	k, c, err := NewKeyPair("gatehouse test SP")
	return append(append(k, '\n'), c...), err
})

func testKeyPair(t *testing.T) (keyPEM, certPEM []byte) {
	t.Helper()
	both, err := spKeys()
	if err != nil {
		t.Fatalf("NewKeyPair: %v", err)
	}
	i := bytes.Index(both, []byte("-----BEGIN CERTIFICATE"))
	return both[:i], both[i:]
}

// idp is a running samlidp server, run by ssotest.
type idp struct {
	peer     *ssotest.IdP
	url      string
	metadata []byte
}

// newIdP starts samlidp with its own fresh signing key and the test user.
func newIdP(t *testing.T, email string) *idp {
	t.Helper()
	peer := ssotest.NewIdP(t)
	peer.AddPerson(testUser, testPassword, email, "Alice", "Liddell", testGroups)
	return &idp{peer: peer, url: peer.URL(), metadata: peer.MetadataXML()}
}

// claimEntityID makes the IdP call itself by another IdP's entity id (its
// metadata URL), keeping its own key.
func (p *idp) claimEntityID(other *idp) {
	p.peer.Server().IDP.MetadataURL = other.peer.Server().IDP.MetadataURL
	p.peer.RefreshMetadata()
	p.metadata = p.peer.MetadataXML()
}

// register gives the IdP our SP metadata; without encryption it is the
// same metadata less the encryption key, so the IdP sends cleartext
// assertions that the attack tests can tamper with.
func (p *idp) register(t *testing.T, sp *SP, encryption bool) {
	t.Helper()
	md, err := sp.Metadata()
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if encryption {
		p.peer.AddSP(md)
	} else {
		p.peer.AddSPCleartext(md)
	}
}

// newSP builds an SP for the IdP; change adjusts the config first.
func newSP(t *testing.T, p *idp, entity string, change func(*Config)) *SP {
	t.Helper()
	keyPEM, certPEM := testKeyPair(t)
	cfg := Config{
		EntityID: entity, ACSURL: testACS, MetadataXML: p.metadata,
		KeyPEM: keyPEM, CertPEM: certPEM,
		Attributes: gatehouse.ClaimMap{Groups: "eduPersonAffiliation"},
	}
	if change != nil {
		change(&cfg)
	}
	sp, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return sp
}

// signIn runs the SP-initiated flow: our AuthnRequest, the IdP's login
// form, the credentials, and the auto-posted Response. It returns the
// SAMLResponse, RelayState and our request ID.
func signIn(t *testing.T, sp *SP, relay string) (samlResponse, relayState, requestID string) {
	t.Helper()
	authURL, requestID, err := sp.AuthnRequestURL(relay)
	if err != nil {
		t.Fatalf("AuthnRequestURL: %v", err)
	}
	post, err := ssotest.NewBrowser(t).CaptureSAMLAt(authURL, testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return autoPost(t, post), post.RelayState, requestID
}

// signInIdPInitiated logs in at the IdP and follows its shortcut to us.
func signInIdPInitiated(t *testing.T, p *idp, sp *SP) string {
	t.Helper()
	post, err := p.peer.IdPInitiated(ssotest.NewBrowser(t), sp.cfg.EntityID, "", testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return autoPost(t, post)
}

func autoPost(t *testing.T, post *ssotest.SAMLPost) string {
	t.Helper()
	if post.ACS != testACS {
		t.Fatalf("IdP posts to %q, want our ACS %q", post.ACS, testACS)
	}
	return post.SAMLResponse
}

// tamper edits a Response's XML and returns its base64.
func tamper(t *testing.T, b64 string, edit func(t *testing.T, root *etree.Element)) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	edit(t, doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func child(t *testing.T, el *etree.Element, tag string) *etree.Element {
	t.Helper()
	c := el.SelectElement(tag)
	if c == nil {
		t.Fatalf("<%s> has no <%s>", el.Tag, tag)
	}
	return c
}

// wantRejection asserts that err is a Rejection of the given check.
func wantRejection(t *testing.T, got *gatehouse.Assertion, err error, check string) {
	t.Helper()
	var r *gatehouse.Rejection
	if !errors.As(err, &r) {
		t.Fatalf("Parse = %+v, %v; want a Rejection (%s)", got, err, check)
	}
	if r.Check != check {
		t.Fatalf("Parse refused with check %q (%s), want %q", r.Check, r.Detail, check)
	}
	t.Logf("refused (%s): %s", r.Check, r.Detail)
}
