package ssotest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/samlidp"
)

// GroupsAttribute is the attribute samlidp lists a person's groups in.
const GroupsAttribute = "eduPersonAffiliation"

// IdP is a running SAML identity provider: crewjam/saml's samlidp with
// its own signing key, on a loopback http server.
type IdP struct {
	t        testing.TB
	srv      *httptest.Server
	server   *samlidp.Server
	metadata []byte
}

// NewIdP starts samlidp with a fresh key and no users or service providers.
func NewIdP(t testing.TB) *IdP {
	t.Helper()
	key, cert := keyPair(t)
	p := &IdP{t: t}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.server.ServeHTTP(w, r) }))
	t.Cleanup(p.srv.Close)
	u, _ := url.Parse(p.srv.URL)
	var err error
	p.server, err = samlidp.New(samlidp.Options{URL: *u, Key: key, Signer: key, Certificate: cert,
		Store: &samlidp.MemoryStore{}, Logger: quiet{}})
	if err != nil {
		t.Fatalf("ssotest: samlidp: %v", err)
	}
	p.metadata = p.call(http.MethodGet, "/metadata", nil)
	return p
}

// URL is the IdP's base URL.
func (p *IdP) URL() string { return p.srv.URL }

// MetadataURL is where the IdP serves its metadata.
func (p *IdP) MetadataURL() string { return p.srv.URL + "/metadata" }

// MetadataXML is the IdP's metadata.
func (p *IdP) MetadataXML() []byte { return bytes.Clone(p.metadata) }

// AddUser adds a person who signs in as name with password; assertions
// about them carry email and groups (in GroupsAttribute), and name as
// their given name.
func (p *IdP) AddUser(name, password, email string, groups []string) {
	p.t.Helper()
	p.AddPerson(name, password, email, name, "", groups)
}

// AddPerson is AddUser with a given and a family name.
func (p *IdP) AddPerson(name, password, email, given, family string, groups []string) {
	p.t.Helper()
	if groups == nil {
		groups = []string{}
	}
	u := map[string]any{"password": password, "email": email, "given_name": given, "groups": groups}
	if family != "" {
		u["surname"] = family
	}
	body, _ := json.Marshal(u)
	p.call(http.MethodPut, "/users/"+url.PathEscape(name), body)
}

// Server is the samlidp server itself, for tests that change its settings.
func (p *IdP) Server() *samlidp.Server { return p.server }

// RotateKey gives the IdP a new signing key and certificate, as its admin
// does when a certificate nears its end: its metadata changes with them.
func (p *IdP) RotateKey() {
	key, cert := keyPair(p.t)
	p.server.IDP.Key, p.server.IDP.Signer, p.server.IDP.Certificate = key, key, cert
	p.RefreshMetadata()
}

// RefreshMetadata reads the IdP's metadata again, after a change of its settings.
func (p *IdP) RefreshMetadata() { p.metadata = p.call(http.MethodGet, "/metadata", nil) }

// keyPair makes the IdP's signing key and a self-signed certificate for it.
func keyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("ssotest: IdP key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "ssotest samlidp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("ssotest: IdP certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// AddSP registers a service provider from its metadata (Gatehouse serves it
// at GET /sso/{id}/saml/metadata). The IdP encrypts assertions when the
// metadata offers an encryption key.
func (p *IdP) AddSP(metadataXML []byte) string {
	p.t.Helper()
	id := entityID(p.t, metadataXML)
	p.call(http.MethodPut, "/services/"+url.PathEscape(id), metadataXML)
	return id
}

// AddSPCleartext registers a service provider without its encryption key,
// so that assertions travel in clear and tests can read and tamper with them.
func (p *IdP) AddSPCleartext(metadataXML []byte) string {
	p.t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(metadataXML); err != nil {
		p.t.Fatalf("ssotest: SP metadata: %v", err)
	}
	for _, kd := range doc.FindElements("//KeyDescriptor[@use='encryption']") {
		kd.Parent().RemoveChild(kd)
	}
	out, _ := doc.WriteToBytes()
	return p.AddSP(out)
}

func entityID(t testing.TB, md []byte) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatalf("ssotest: SP metadata: %v", err)
	}
	if el := doc.FindElement("//EntityDescriptor"); el != nil {
		return el.SelectAttrValue("entityID", "")
	}
	t.Fatalf("ssotest: SP metadata has no EntityDescriptor")
	return ""
}

// IdPInitiated signs username in at the IdP with b and sends them, unasked,
// to the service provider spEntityID with relayState. It returns the form
// the IdP would have the browser post, without posting it.
func (p *IdP) IdPInitiated(b *Browser, spEntityID, relayState, username, password string) (*SAMLPost, error) {
	p.t.Helper()
	shortcut := "sc" + strings.ToLower(randomText(8))
	sc := map[string]any{"service_provider": spEntityID}
	if relayState != "" {
		sc["relay_state"] = relayState
	}
	body, _ := json.Marshal(sc)
	p.call(http.MethodPut, "/shortcuts/"+shortcut, body)
	resp, err := b.c.PostForm(p.srv.URL+"/login", url.Values{"user": {username}, "password": {password}})
	if err != nil {
		return nil, err
	}
	drain(resp)
	resp, err = b.c.Get(p.srv.URL + "/login/" + shortcut)
	if err != nil {
		return nil, err
	}
	return samlPostOf(resp)
}

// call sends an admin request to samlidp's API.
func (p *IdP) call(method, path string, body []byte) []byte {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.srv.URL+path, bytes.NewReader(body))
	resp, err := p.srv.Client().Do(req)
	if err != nil {
		p.t.Fatalf("ssotest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		p.t.Fatalf("ssotest: %s %s: %s %s", method, path, resp.Status, out)
	}
	return out
}

// quiet is samlidp's logger, silenced.
type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Print(...any)          {}
func (quiet) Println(...any)        {}
func (quiet) Fatal(...any)          {}
func (quiet) Fatalf(string, ...any) {}
func (quiet) Fatalln(...any)        {}
func (quiet) Panic(...any)          {}
func (quiet) Panicf(string, ...any) {}
func (quiet) Panicln(...any)        {}
