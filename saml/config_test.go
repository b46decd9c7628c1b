package saml

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/russellhaering/gosaml2/types"

	"gatehouse.dev/gatehouse"
)

func TestNewRefusesBadMetadata(t *testing.T) {
	p := newIdP(t, testEmail)
	good := newSP(t, p, plainEntity, nil)
	spMetadata, err := good.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(path string) []byte {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(p.metadata); err != nil {
			t.Fatal(err)
		}
		for _, el := range doc.FindElements(path) {
			el.Parent().RemoveChild(el)
		}
		out, _ := doc.WriteToBytes()
		return out
	}
	for name, md := range map[string][]byte{
		"empty":               nil,
		"not XML":             []byte("<html>login</html"),
		"SP metadata":         spMetadata,
		"no certificate":      edit("//KeyDescriptor"),
		"no redirect SSO":     edit("//SingleSignOnService"),
		"corrupt cert":        []byte(strings.Replace(string(p.metadata), `xmldsig#">MII`, `xmldsig#">!!`, 1)),
		"no IDPSSODescriptor": []byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`),
	} {
		t.Run(name, func(t *testing.T) {
			keyPEM, certPEM := testKeyPair(t)
			_, err := New(Config{EntityID: plainEntity, ACSURL: testACS, MetadataXML: md, KeyPEM: keyPEM, CertPEM: certPEM})
			var ge *gatehouse.Error
			if !errors.As(err, &ge) || ge.Kind != gatehouse.KindInvalid || ge.Code != "invalid_metadata" || ge.Fields["metadata_xml"] == "" {
				t.Fatalf("New = %v, want KindInvalid invalid_metadata on metadata_xml", err)
			}
			t.Logf("%s", ge.Message)
		})
	}
}

func TestMetadata(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	if sp.IdPEntityID() != p.url+"/metadata" {
		t.Errorf("IdPEntityID = %q, want %q", sp.IdPEntityID(), p.url+"/metadata")
	}
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"/EntityDescriptor[@entityID='" + plainEntity + "']",
		"/EntityDescriptor/SPSSODescriptor[@WantAssertionsSigned='true']",
		"/EntityDescriptor/SPSSODescriptor[@AuthnRequestsSigned='true']",
		"/EntityDescriptor/SPSSODescriptor/AssertionConsumerService[@Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'][@Location='" + testACS + "']",
		"/EntityDescriptor/SPSSODescriptor/KeyDescriptor[@use='signing']",
		"/EntityDescriptor/SPSSODescriptor/KeyDescriptor[@use='encryption']",
	} {
		if doc.FindElement(want) == nil {
			t.Errorf("metadata lacks %s:\n%s", want, md)
		}
	}
}

func TestFetchMetadata(t *testing.T) {
	p := newIdP(t, testEmail)
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(strings.Repeat(" ", maxMetadataSize+1)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	md, err := FetchMetadata(ctx, p.url+"/metadata", nil)
	if err != nil || !strings.Contains(string(md), `entityID="`+p.url+`/metadata"`) {
		t.Fatalf("FetchMetadata = %d bytes, %v; want the IdP metadata", len(md), err)
	}
	if _, err := FetchMetadata(ctx, srv.URL+"/big", srv.Client()); err == nil || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("FetchMetadata(oversize) = %v, want a size error", err)
	}
	if _, err := FetchMetadata(ctx, srv.URL+"/missing", srv.Client()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("FetchMetadata(404) = %v, want a status error", err)
	}
}

func TestWrap(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(decoded(t, resp)); err != nil {
		t.Fatal(err)
	}
	bare := etree.NewDocument()
	bare.SetRoot(doc.Root().SelectElement("Assertion").Copy())
	assertionXML, _ := bare.WriteToString()
	for name, in := range map[string]string{
		"response base64":  resp,
		"response XML":     decoded(t, resp),
		"assertion XML":    assertionXML,
		"assertion base64": base64.StdEncoding.EncodeToString([]byte(assertionXML)),
	} {
		t.Run(name, func(t *testing.T) {
			wrapped, err := Wrap(in)
			if err != nil {
				t.Fatalf("Wrap: %v", err)
			}
			a, err := sp.Parse(wrapped, Expect{RequestID: reqID})
			if err != nil || a.Subject != testEmail {
				t.Fatalf("Parse(Wrap) = %+v, %v; want %q admitted", a, err, testEmail)
			}
		})
	}
	// A bare assertion gets no signature from being wrapped.
	bare.Root().RemoveChild(bare.Root().SelectElement("Signature"))
	unsigned, _ := bare.WriteToString()
	wrapped, err := Wrap(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sp.Parse(wrapped, Expect{RequestID: reqID})
	wantRejection(t, a, err, "unsigned")
	if _, err := Wrap("<html/>"); err == nil {
		t.Error("Wrap(<html/>) = nil error, want one")
	}
}

func TestClaimsDefaults(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, func(c *Config) { c.Attributes.Groups = "" })
	attr := func(name string, vals ...string) types.Attribute {
		a := types.Attribute{Name: name}
		for _, v := range vals {
			a.Values = append(a.Values, types.AttributeValue{Value: v})
		}
		return a
	}
	a := &types.Assertion{
		Subject: &types.Subject{NameID: &types.NameID{Value: "u1", Format: emailFormat}},
		AttributeStatement: &types.AttributeStatement{Attributes: []types.Attribute{
			attr("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "bo@corp.example"),
			attr("displayName", "Bo Peep"),
			attr("memberOf", "g1", "g2"),
		}},
		AuthnStatement: &types.AuthnStatement{AuthnContext: &types.AuthnContext{
			AuthnContextClassRef: &types.AuthnContextClassRef{Value: "http://schemas.microsoft.com/claims/multipleauthn"},
		}},
	}
	got := sp.claims(a)
	if got.Email != "bo@corp.example" || got.Name != "Bo Peep" || !slices.Equal(got.Groups, []string{"g1", "g2"}) || !got.MFA {
		t.Errorf("claims = %+v", got)
	}
	// NameID in email format stands in for a missing email attribute.
	a.Subject.NameID.Value = "cy@corp.example"
	a.AttributeStatement = nil
	a.AuthnStatement.AuthnContext.AuthnContextClassRef.Value = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	got = sp.claims(a)
	if got.Email != "cy@corp.example" || got.MFA || got.Groups == nil {
		t.Errorf("claims = %+v, want email from NameID, no MFA, empty groups", got)
	}
}
