package saml

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/samlidp"

	"gatehouse.dev/gatehouse"
)

// The real peer: crewjam/saml's samlidp, over HTTP, with one user.
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

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Print(...any)          {}
func (quietLog) Println(...any)        {}
func (quietLog) Fatal(...any)          {}
func (quietLog) Fatalf(string, ...any) {}
func (quietLog) Fatalln(...any)        {}
func (quietLog) Panic(...any)          {}
func (quietLog) Panicf(string, ...any) {}
func (quietLog) Panicln(...any)        {}

// idp is a running samlidp server.
type idp struct {
	srv      *httptest.Server
	server   *samlidp.Server
	metadata []byte
}

// newIdP starts samlidp with its own fresh signing key and the test user.
func newIdP(t *testing.T, email string) *idp {
	t.Helper()
	keyPEM, certPEM, err := NewKeyPair("samlidp")
	if err != nil {
		t.Fatalf("NewKeyPair: %v", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(pair.Certificate[0])
	key := pair.PrivateKey.(*rsa.PrivateKey)
	p := &idp{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.server.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	u, _ := url.Parse(p.srv.URL)
	p.server, err = samlidp.New(samlidp.Options{
		URL: *u, Key: key, Signer: key, Certificate: cert,
		Store: &samlidp.MemoryStore{}, Logger: quietLog{},
	})
	if err != nil {
		t.Fatalf("samlidp.New: %v", err)
	}
	p.put(t, "/users/"+testUser, `{"password":"`+testPassword+`","email":"`+email+
		`","given_name":"Alice","surname":"Liddell","groups":["admins","staff"]}`)
	p.metadata = p.get(t, "/metadata")
	return p
}

func (p *idp) put(t *testing.T, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, p.srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT %s: %s", path, resp.Status)
	}
}

func (p *idp) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get(p.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	return body
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
	if !encryption {
		md = withoutEncryptionKey(t, md)
	}
	p.put(t, "/services/"+url.PathEscape(sp.cfg.EntityID), string(md))
}

func withoutEncryptionKey(t *testing.T, md []byte) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	for _, kd := range doc.FindElements("//KeyDescriptor[@use='encryption']") {
		kd.Parent().RemoveChild(kd)
	}
	out, _ := doc.WriteToBytes()
	return out
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

// browser is an http.Client with cookies that does not follow redirects
// blindly into our (absent) ACS.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
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
	c := browser()
	page := fetch(t, c, http.MethodGet, authURL, nil)
	fields := formFields(page)
	if _, ok := fields["password"]; !ok {
		t.Fatalf("IdP did not show a login form:\n%s", page)
	}
	fields["user"], fields["password"] = testUser, testPassword
	page = fetch(t, c, http.MethodPost, formAction(t, page), fields)
	return autoPost(t, page), formFields(page)["RelayState"], requestID
}

// signInIdPInitiated logs in at the IdP and follows its shortcut to us.
func signInIdPInitiated(t *testing.T, p *idp, sp *SP) string {
	t.Helper()
	p.put(t, "/shortcuts/gatehouse", `{"service_provider":"`+sp.cfg.EntityID+`"}`)
	c := browser()
	fetch(t, c, http.MethodPost, p.srv.URL+"/login", map[string]string{"user": testUser, "password": testPassword})
	return autoPost(t, fetch(t, c, http.MethodGet, p.srv.URL+"/login/gatehouse", nil))
}

func fetch(t *testing.T, c *http.Client, method, target string, form map[string]string) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		v := url.Values{}
		for k, val := range form {
			v.Set(k, val)
		}
		body = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", method, target, resp.Status, page)
	}
	return string(page)
}

var (
	inputRe  = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)
	actionRe = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
)

func formFields(page string) map[string]string {
	out := map[string]string{}
	for _, m := range inputRe.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

func formAction(t *testing.T, page string) string {
	t.Helper()
	m := actionRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

func autoPost(t *testing.T, page string) string {
	t.Helper()
	if formAction(t, page) != testACS {
		t.Fatalf("IdP posts to %q, want our ACS %q", formAction(t, page), testACS)
	}
	resp := formFields(page)["SAMLResponse"]
	if resp == "" {
		t.Fatalf("no SAMLResponse in:\n%s", page)
	}
	return resp
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
