package saml

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"gatehouse.dev/gatehouse/ssotest"
)

// Each attack starts from a real samlidp Response (cleartext, so it can be
// edited) and must be refused with the check the caller logs.

// realResponse signs in at a fresh IdP and returns the SP, its Response
// and the request it answers.
func realResponse(t *testing.T, email string) (*idp, *SP, string, string) {
	t.Helper()
	p := newIdP(t, email)
	sp := newSP(t, p, plainEntity, nil)
	p.register(t, sp, false)
	resp, _, reqID := signIn(t, sp, "")
	return p, sp, resp, reqID
}

func removeSignature(t *testing.T, el *etree.Element) *etree.Element {
	t.Helper()
	sig := child(t, el, "Signature")
	el.RemoveChild(sig)
	return sig
}

func setNameID(t *testing.T, assertion *etree.Element, v string) {
	t.Helper()
	child(t, child(t, assertion, "Subject"), "NameID").SetText(v)
}

// evilCopy is the signed assertion made unsigned, with another ID and
// another subject: what a wrapping attacker wants read.
func evilCopy(t *testing.T, assertion *etree.Element) *etree.Element {
	t.Helper()
	evil := assertion.Copy()
	removeSignature(t, evil)
	evil.CreateAttr("ID", "_evil")
	setNameID(t, evil, "admin@corp.example")
	return evil
}

func TestRefusesSignatureWrappingAssertionInExtensions(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	for _, keepResponseSig := range []bool{false, true} {
		forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
			if !keepResponseSig {
				removeSignature(t, root)
			}
			signed := child(t, root, "Assertion")
			root.RemoveChild(signed)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(signed)
			root.InsertChildAt(child(t, root, "Status").Index(), ext)
			root.AddChild(evilCopy(t, signed))
		})
		a, err := sp.Parse(forged, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	}
}

func TestRefusesSignatureWrappingSecondAssertion(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	for _, before := range []bool{true, false} {
		forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
			removeSignature(t, root)
			signed := child(t, root, "Assertion")
			evil := evilCopy(t, signed)
			if before {
				root.InsertChildAt(signed.Index(), evil)
			} else {
				root.AddChild(evil)
			}
		})
		a, err := sp.Parse(forged, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	}
}

func TestRefusesUnsignedResponse(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
		removeSignature(t, root)
		removeSignature(t, child(t, root, "Assertion"))
	})
	a, err := sp.Parse(forged, Expect{RequestID: reqID})
	wantRejection(t, a, err, "unsigned")
}

func TestRefusesSignatureOverAnotherElement(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	t.Run("response signature points at the assertion", func(t *testing.T) {
		forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
			assertion := child(t, root, "Assertion")
			removeSignature(t, assertion)
			setNameID(t, assertion, "admin@corp.example")
			ref := root.FindElement("./Signature/SignedInfo/Reference")
			ref.CreateAttr("URI", "#"+assertion.SelectAttrValue("ID", ""))
		})
		a, err := sp.Parse(forged, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	})
	t.Run("assertion signature points at the response", func(t *testing.T) {
		forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
			removeSignature(t, root)
			assertion := child(t, root, "Assertion")
			setNameID(t, assertion, "admin@corp.example")
			ref := assertion.FindElement("./Signature/SignedInfo/Reference")
			ref.CreateAttr("URI", "#"+root.SelectAttrValue("ID", ""))
		})
		a, err := sp.Parse(forged, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	})
}

func TestRefusesModifiedSignedAssertion(t *testing.T) {
	_, sp, resp, reqID := realResponse(t, testEmail)
	for _, keepResponseSig := range []bool{true, false} {
		forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
			if !keepResponseSig {
				removeSignature(t, root)
			}
			setNameID(t, child(t, root, "Assertion"), "admin@corp.example")
		})
		a, err := sp.Parse(forged, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	}
}

// A comment inside the NameID leaves the signature valid (exclusive
// canonicalization drops comments); a reader that stops at the comment
// would take the attacker's own account for admin@corp.example.
func TestNameIDCommentInjection(t *testing.T) {
	const full = "admin@corp.example.evil.example"
	_, sp, resp, reqID := realResponse(t, full)
	forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
		nameID := child(t, child(t, child(t, root, "Assertion"), "Subject"), "NameID")
		nameID.SetText("admin@corp.example")
		nameID.CreateComment("")
		nameID.CreateText(".evil.example")
	})
	if !strings.Contains(decoded(t, forged), "admin@corp.example<!---->.evil.example") {
		t.Fatalf("the forged response lacks the comment:\n%s", decoded(t, forged))
	}
	a, err := sp.Parse(forged, Expect{RequestID: reqID})
	if err != nil {
		t.Logf("refused: %v", err) // as good as reading it whole
		return
	}
	if a.Subject != full {
		t.Fatalf("Subject = %q, want %q (or a refusal)", a.Subject, full)
	}
}

func TestRefusesWrongAudience(t *testing.T) {
	p, _, resp, reqID := realResponse(t, testEmail)
	other := newSP(t, p, "https://other.test/saml/metadata", nil)
	a, err := other.Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "audience")
}

func TestRefusesWrongRecipient(t *testing.T) {
	p, _, resp, reqID := realResponse(t, testEmail)
	other := newSP(t, p, plainEntity, func(c *Config) { c.ACSURL = "https://gatehouse.test/other/acs" })
	a, err := other.Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "recipient")
	// Without the Destination, gosaml2 still checks the Recipient.
	forged := tamper(t, resp, func(t *testing.T, root *etree.Element) {
		removeSignature(t, root)
		root.RemoveAttr("Destination")
	})
	a, err = other.Parse(forged, Expect{RequestID: reqID})
	wantRejection(t, a, err, "recipient")
}

func TestRefusesWrongIssuer(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	t.Run("another IdP", func(t *testing.T) {
		rogue := newIdP(t, testEmail)
		rogueSP := newSP(t, rogue, plainEntity, nil)
		rogue.register(t, rogueSP, false)
		resp, _, reqID := signIn(t, rogueSP, "")
		a, err := sp.Parse(resp, Expect{RequestID: reqID})
		wantRejection(t, a, err, "issuer")
	})
	t.Run("our IdP's name, another key", func(t *testing.T) {
		rogue := newIdP(t, testEmail)
		rogue.claimEntityID(p)
		rogueSP := newSP(t, rogue, plainEntity, nil)
		if rogueSP.IdPEntityID() != sp.IdPEntityID() {
			t.Fatalf("rogue IdP is %q, want it to claim %q", rogueSP.IdPEntityID(), sp.IdPEntityID())
		}
		rogue.register(t, rogueSP, false)
		resp, _, reqID := signIn(t, rogueSP, "")
		a, err := sp.Parse(resp, Expect{RequestID: reqID})
		wantRejection(t, a, err, "signature")
	})
}

// samlidp's assertions live 90 seconds; the default skew adds 3 minutes.
func TestRefusesExpiredAssertion(t *testing.T) {
	p, _, resp, reqID := realResponse(t, testEmail)
	at := func(d time.Duration, skew time.Duration) *SP {
		return newSP(t, p, plainEntity, func(c *Config) {
			c.Now = func() time.Time { return time.Now().Add(d) }
			c.Skew = skew
		})
	}
	if _, err := at(4*time.Minute, 0).Parse(resp, Expect{RequestID: reqID}); err != nil {
		t.Errorf("Parse 4 minutes on, within the skew: %v", err)
	}
	a, err := at(5*time.Minute, 0).Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "expired")
	// A skew of an hour is bounded at 10 minutes.
	a, err = at(12*time.Minute, time.Hour).Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "expired")
}

func TestRefusesNotYetValid(t *testing.T) {
	p, _, resp, reqID := realResponse(t, testEmail)
	early := newSP(t, p, plainEntity, func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	})
	a, err := early.Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "not_yet_valid")
}

func TestRefusesMalformedBase64AndXML(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for name, in := range map[string]string{
		"empty":        "",
		"not base64":   "PHNhbWxwOl!!!",
		"not XML":      b64("hello"),
		"unclosed":     b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`),
		"other root":   b64(`<Response xmlns="urn:example"/>`),
		"no status":    b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`),
		"no assertion": b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`),
	} {
		t.Run(name, func(t *testing.T) {
			a, err := sp.Parse(in, Expect{AnyRequest: true})
			wantRejection(t, a, err, "malformed")
		})
	}
}

// A passive request the IdP cannot answer without a login comes back with
// the status Responder / NoPassive.
func TestRefusesIdPErrorStatus(t *testing.T) {
	p := newIdP(t, testEmail)
	sp := newSP(t, p, plainEntity, nil)
	p.register(t, sp, false)
	gs := sp.provider(time.Now())
	gs.IsPassive = true
	doc, err := gs.BuildAuthRequestDocument()
	if err != nil {
		t.Fatal(err)
	}
	reqID := doc.Root().SelectAttrValue("ID", "")
	authURL, err := gs.BuildAuthURLRedirect("", doc)
	if err != nil {
		t.Fatal(err)
	}
	post, err := ssotest.NewBrowser(t).CaptureSAMLAt(authURL, testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp := autoPost(t, post)
	a, err := sp.Parse(resp, Expect{RequestID: reqID})
	wantRejection(t, a, err, "status")
}
