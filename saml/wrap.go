package saml

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Wrap prepares a pasted answer for Parse, for the test bench: it takes a
// Response or a bare Assertion, as raw XML or base64, and returns the
// base64 of a Response. A bare assertion is wrapped into a minimal unsigned
// Response with a success status and the assertion's issuer; it then
// passes only if the assertion itself is signed.
func Wrap(xmlOrB64 string) (string, error) {
	raw, err := readPasted(xmlOrB64)
	if err != nil {
		return "", err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return "", fmt.Errorf("saml wrap: not XML: %v", err)
	}
	root := doc.Root()
	switch {
	case root.Tag == "Response" && root.NamespaceURI() == nsProtocol:
		return base64.StdEncoding.EncodeToString(raw), nil
	case root.Tag == "Assertion" && root.NamespaceURI() == nsAssertion:
		return wrapAssertion(root)
	}
	return "", fmt.Errorf("saml wrap: %s is neither a samlp:Response nor a saml:Assertion", root.FullTag())
}

// readPasted accepts raw XML or its base64.
func readPasted(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("saml wrap: nothing to wrap")
	}
	if strings.HasPrefix(s, "<") {
		return []byte(s), nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, fmt.Errorf("saml wrap: neither XML nor base64: %v", err)
	}
	return raw, nil
}

// wrapAssertion puts the assertion, unchanged, under a new Response. The
// assertion keeps its own namespace declarations, so its signature still
// verifies.
func wrapAssertion(a *etree.Element) (string, error) {
	doc := etree.NewDocument()
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("xmlns:saml", nsAssertion)
	resp.CreateAttr("ID", "_wrapped-"+a.SelectAttrValue("ID", ""))
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", time.Now().UTC().Format(time.RFC3339))
	if is := a.FindElement("./Issuer"); is != nil {
		resp.CreateElement("saml:Issuer").SetText(strings.TrimSpace(textOf(is)))
	}
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusOK)
	resp.AddChild(a.Copy())
	out, err := doc.WriteToBytes()
	if err != nil {
		return "", fmt.Errorf("saml wrap: %v", err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
