package saml

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"

	"gatehouse.dev/gatehouse"
)

const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	statusOK    = "urn:oasis:names:tc:SAML:2.0:status:Success"
	maxResponse = 1 << 20 // 1 MiB of base64: far above any real Response
)

// Expect says which request a Response must answer.
type Expect struct {
	RequestID  string // the AuthnRequest ID we issued (InResponseTo)
	AnyRequest bool   // the test bench: InResponseTo is not checked
}

// Parse reads a base64 SAML Response posted to our ACS and returns what it
// asserts. Every refusal is a *gatehouse.Rejection whose Check is one of
// malformed, status, issuer, signature, unsigned, encryption, audience,
// recipient, expired, not_yet_valid or in_response_to. A Response without
// InResponseTo (IdP-initiated) is admitted only with AllowIdPInitiated or
// AnyRequest. Replay is the caller's to refuse, by Assertion.ID until
// Assertion.Expires.
func (sp *SP) Parse(samlResponseB64 string, exp Expect) (*gatehouse.Assertion, error) {
	now := sp.cfg.Now()
	raw, doc, err := decode(samlResponseB64)
	if err != nil {
		return nil, err
	}
	signed, err := sp.precheck(doc)
	if err != nil {
		return nil, err
	}
	resp, err := sp.verify(raw, now, signed)
	if err != nil {
		return nil, err
	}
	a, err := theAssertion(resp)
	if err != nil {
		return nil, err
	}
	if err := sp.checkAudience(a); err != nil {
		return nil, err
	}
	expires, err := sp.checkTime(a, now)
	if err != nil {
		return nil, err
	}
	if err := sp.checkRequest(resp, a, exp); err != nil {
		return nil, err
	}
	out := sp.claims(a)
	out.ID, out.Expires = a.ID, expires
	return out, nil
}

// decode turns the posted base64 into bytes and an XML tree, refusing what
// is not a well-formed Response.
func decode(b64 string) ([]byte, *etree.Document, error) {
	// Forms and mail clients wrap base64 in lines; the spaces are not data.
	clean := strings.Join(strings.Fields(b64), "")
	if clean == "" {
		return nil, nil, gatehouse.Reject("malformed", "empty SAMLResponse")
	}
	if len(clean) > maxResponse {
		return nil, nil, gatehouse.Reject("malformed", "SAMLResponse larger than 1 MiB")
	}
	raw, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, nil, gatehouse.Reject("malformed", "SAMLResponse is not base64: "+err.Error())
	}
	// encoding/xml does not read back what it wrote for some inputs
	// (namespace tricks); signatures checked on one reading and values
	// taken from another is how such quirks become forgeries.
	if err := rtvalidator.Validate(bytes.NewReader(raw)); err != nil {
		return nil, nil, gatehouse.Reject("malformed", "XML does not round-trip: "+err.Error())
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, nil, gatehouse.Reject("malformed", "SAMLResponse is not XML: "+err.Error())
	}
	if doc.Root() == nil {
		return nil, nil, gatehouse.Reject("malformed", "SAMLResponse is not XML: no root element")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, nil, gatehouse.Reject("malformed", "root element is not a samlp:Response but "+root.FullTag())
	}
	return raw, doc, nil
}

// precheck reads the unverified Response for reasons to refuse before any
// signature is checked: an error status, a foreign issuer, assertions out
// of place. It only ever refuses; nothing it reads is believed. It reports
// whether a Signature element sits where one belongs.
func (sp *SP) precheck(doc *etree.Document) (signed bool, err error) {
	root := doc.Root()
	if err := checkStatus(root); err != nil {
		return false, err
	}
	if err := sp.checkIssuers(root); err != nil {
		return false, err
	}
	a, err := placedAssertion(root)
	if err != nil {
		return false, err
	}
	signed = hasSignature(root) || hasSignature(a)
	if a.Tag == "Assertion" && !signed {
		return false, gatehouse.Reject("unsigned", "neither the Response nor the Assertion is signed")
	}
	return signed, nil
}

func checkStatus(root *etree.Element) error {
	code := root.FindElement("./Status/StatusCode")
	if code == nil {
		return gatehouse.Reject("malformed", "Response has no Status")
	}
	top := code.SelectAttrValue("Value", "")
	if top == statusOK {
		return nil
	}
	detail := "status " + top
	if sub := code.FindElement("./StatusCode"); sub != nil {
		detail += " / " + sub.SelectAttrValue("Value", "")
	}
	if msg := root.FindElement("./Status/StatusMessage"); msg != nil {
		detail += ": " + strings.TrimSpace(textOf(msg))
	}
	return gatehouse.Reject("status", detail)
}

// checkIssuers refuses a Response or cleartext Assertion that names another
// issuer, so it is told apart from a mere bad signature in the logs.
func (sp *SP) checkIssuers(root *etree.Element) error {
	for _, path := range []string{"./Issuer", "./Assertion/Issuer"} {
		for _, is := range root.FindElements(path) {
			if got := strings.TrimSpace(textOf(is)); got != sp.idp.entityID {
				return gatehouse.Reject("issuer", fmt.Sprintf("issuer %q, want %q", got, sp.idp.entityID))
			}
		}
	}
	return nil
}

// placedAssertion returns the one Assertion or EncryptedAssertion, which
// must be a child of the Response. An assertion anywhere else (Extensions,
// inside another assertion, a second one beside the first) is the shape of
// signature wrapping: one assertion is verified, another is read.
func placedAssertion(root *etree.Element) (*etree.Element, error) {
	var found []*etree.Element
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, c := range el.ChildElements() {
			if c.Tag == "Assertion" || c.Tag == "EncryptedAssertion" {
				found = append(found, c)
			}
			walk(c)
		}
	}
	walk(root)
	switch {
	case len(found) == 0:
		return nil, gatehouse.Reject("malformed", "Response carries no assertion")
	case len(found) > 1:
		return nil, gatehouse.Reject("signature", fmt.Sprintf("Response carries %d assertions; one is accepted (signature wrapping)", len(found)))
	case found[0].Parent() != root || found[0].NamespaceURI() != nsAssertion:
		return nil, gatehouse.Reject("signature", "assertion is not a child of the Response (signature wrapping)")
	}
	return found[0], nil
}

func hasSignature(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			return true
		}
	}
	return false
}

// textOf is the whole text of an element, comments skipped: etree's Text()
// stops at the first comment, which is how a NameID like
// "admin@corp.example<!---->.evil.example" gets truncated.
func textOf(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// verify has gosaml2 check the signatures (Response, Assertion or both),
// decrypt, and check Destination, Recipient, issuers, status and the bearer
// confirmation. Its clock is set back by the skew: it compares
// SubjectConfirmationData NotOnOrAfter without any, and checkTime repeats
// that check with the skew anyway.
func (sp *SP) verify(raw []byte, now time.Time, signed bool) (*types.Response, error) {
	resp, err := sp.provider(now.Add(-sp.cfg.Skew)).ValidateEncodedResponse(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		return nil, classify(err, signed)
	}
	return resp, nil
}

// classify names the check a gosaml2 error stands for.
func classify(err error, sawSignature bool) *gatehouse.Rejection {
	var bad saml2.ErrInvalidValue
	var missing saml2.ErrMissingElement
	var parsing saml2.ErrParsing
	switch {
	case errors.Is(err, dsig.ErrMissingSignature) && !sawSignature:
		return gatehouse.Reject("unsigned", "neither the Response nor the Assertion is signed")
	case errors.Is(err, dsig.ErrMissingSignature):
		return gatehouse.Reject("signature", "no signature covers the Response or the Assertion (it references another element)")
	case errors.As(err, &bad):
		return gatehouse.Reject(invalidValueCheck(bad), err.Error())
	case errors.As(err, &missing), errors.As(err, &parsing):
		return gatehouse.Reject("malformed", err.Error())
	case strings.Contains(err.Error(), "decrypt") || strings.Contains(err.Error(), "encrypted assertion"):
		return gatehouse.Reject("encryption", err.Error())
	}
	return gatehouse.Reject("signature", err.Error())
}

func invalidValueCheck(e saml2.ErrInvalidValue) string {
	switch {
	case e.Reason == saml2.ReasonExpired:
		return "expired"
	case e.Key == saml2.DestinationAttr || e.Key == saml2.RecipientAttr:
		return "recipient"
	case e.Key == saml2.IssuerTag:
		return "issuer"
	case e.Key == saml2.StatusCodeTag:
		return "status"
	}
	return "malformed"
}

// theAssertion is the one verified assertion. gosaml2 keeps only verified
// ones; precheck already refused more than one.
func theAssertion(resp *types.Response) (*types.Assertion, error) {
	if len(resp.Assertions) != 1 {
		return nil, gatehouse.Reject("signature", fmt.Sprintf("%d verified assertions, want 1", len(resp.Assertions)))
	}
	a := &resp.Assertions[0]
	if !resp.SignatureValidated && !a.SignatureValidated {
		return nil, gatehouse.Reject("unsigned", "neither the Response nor the Assertion signature was verified")
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return nil, gatehouse.Reject("malformed", "assertion has no NameID")
	}
	return a, nil
}
