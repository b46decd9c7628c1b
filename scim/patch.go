package scim

import (
	"fmt"
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PATCH (RFC 7644 §3.5.2).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// decodePatch reads a PatchOp body. Ops are lower-cased: Entra ID sends
// "Replace", "Add" and "Remove".
func decodePatch(w http.ResponseWriter, r *http.Request) ([]patchOp, error) {
	var body struct {
		Operations []patchOp `json:"Operations"`
	}
	if err := decode(w, r, &body); err != nil {
		return nil, err
	}
	if len(body.Operations) == 0 {
		return nil, scimErr(http.StatusBadRequest, "invalidSyntax", "Operations is required")
	}
	for i := range body.Operations {
		op := &body.Operations[i]
		op.Op = strings.ToLower(strings.TrimSpace(op.Op))
		op.Path = strings.TrimSpace(op.Path)
		switch op.Op {
		case "add", "replace":
			if op.Value == nil {
				return nil, invalidValue("%s needs a value", op.Op)
			}
		case "remove":
			if op.Path == "" {
				return nil, scimErr(http.StatusBadRequest, "noTarget", "remove needs a path")
			}
		default:
			return nil, scimErr(http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("unknown op %q", op.Op))
		}
	}
	return body.Operations, nil
}

func invalidValue(format string, args ...any) *Error {
	return scimErr(http.StatusBadRequest, "invalidValue", fmt.Sprintf(format, args...))
}

// target is a parsed PATCH path: a schema URN (lower-cased, "" for the
// core schema), an attribute and a sub-attribute (lower-cased), and the
// value filter of a multi-valued attribute.
type target struct {
	uri, attr, sub string
	values         filter.Expression
}

func parseTarget(path string) (target, error) {
	// The whole extension as a path: its value is an object of its attributes.
	if strings.EqualFold(path, enterpriseSchema) {
		return target{uri: strings.ToLower(enterpriseSchema)}, nil
	}
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return target{}, scimErr(http.StatusBadRequest, "invalidPath", fmt.Sprintf("the path %q is not valid", path))
	}
	t := target{attr: strings.ToLower(p.AttributePath.AttributeName), values: p.ValueExpression,
		sub: strings.ToLower(p.AttributePath.SubAttributeName())}
	if p.SubAttribute != nil {
		t.sub = strings.ToLower(*p.SubAttribute)
	}
	if uri := strings.ToLower(strings.TrimSuffix(p.AttributePath.URI(), ":")); uri != strings.ToLower(userSchema) && uri != strings.ToLower(groupSchema) {
		t.uri = uri
	}
	return t, nil
}

// apply applies one operation to a user. Attributes Gatehouse does not
// keep are passed over, as directories send them whatever is mapped.
func (doc *userDoc) apply(op patchOp) error {
	if op.Path == "" {
		return eachPath(op, doc.apply)
	}
	t, err := parseTarget(op.Path)
	if err != nil {
		return err
	}
	remove := op.Op == "remove"
	if t.uri == strings.ToLower(enterpriseSchema) {
		return doc.applyEnterprise(t, op)
	}
	if t.uri != "" {
		return nil
	}
	switch t.attr {
	case "active":
		if remove {
			return nil
		}
		b, ok := boolOf(op.Value)
		if !ok {
			return invalidValue("active must be true or false")
		}
		v := flexBool(b)
		doc.Active = &v
	case "username":
		return setString(&doc.UserName, op.Value, remove)
	case "externalid":
		return setString(&doc.ExternalID, op.Value, remove)
	case "displayname":
		return setString(&doc.DisplayName, op.Value, remove)
	case "title":
		return setString(&doc.Title, op.Value, remove)
	case "name":
		return doc.applyName(t.sub, op.Value, remove)
	case "emails":
		return applyMulti(&doc.Emails, t, op)
	case "phonenumbers":
		return applyMulti(&doc.Phones, t, op)
	}
	return nil
}

func (doc *userDoc) applyName(sub string, v any, remove bool) error {
	if doc.Name == nil {
		doc.Name = &nameDoc{}
	}
	switch sub {
	case "givenname":
		return setString(&doc.Name.GivenName, v, remove)
	case "familyname":
		return setString(&doc.Name.FamilyName, v, remove)
	case "":
		if remove {
			doc.Name = &nameDoc{}
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return invalidValue("name must be an object")
		}
		for k, x := range obj {
			if err := doc.applyName(strings.ToLower(k), x, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (doc *userDoc) applyEnterprise(t target, op patchOp) error {
	if doc.Enterprise == nil {
		doc.Enterprise = &enterprise{}
	}
	switch t.attr {
	case "department":
		return setString(&doc.Enterprise.Department, op.Value, op.Op == "remove")
	case "":
		if op.Op == "remove" {
			doc.Enterprise = &enterprise{}
			return nil
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return invalidValue("%s must be an object", enterpriseSchema)
		}
		for k, v := range obj {
			if strings.EqualFold(k, "department") {
				if err := setString(&doc.Enterprise.Department, v, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// applyMulti changes emails or phoneNumbers. Gatehouse keeps one value of
// each, so a filtered path (emails[type eq "work"].value) sets that one.
func applyMulti(ms *[]multi, t target, op patchOp) error {
	if op.Op == "remove" {
		*ms = nil
		return nil
	}
	if t.values != nil || t.sub != "" {
		if t.sub != "" && t.sub != "value" {
			return nil // type, primary: nothing kept
		}
		var s string
		if err := setString(&s, op.Value, false); err != nil {
			return err
		}
		*ms = []multi{{Value: s, Primary: true}}
		return nil
	}
	list, ok := op.Value.([]any)
	if !ok {
		list = []any{op.Value}
	}
	var out []multi
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			return invalidValue("%s values must be objects", t.attr)
		}
		var m multi
		for k, v := range obj {
			switch strings.ToLower(k) {
			case "value":
				if err := setString(&m.Value, v, false); err != nil {
					return err
				}
			case "primary":
				b, _ := boolOf(v)
				m.Primary = flexBool(b)
			}
		}
		out = append(out, m)
	}
	*ms = out
	return nil
}

func setString(dst *string, v any, remove bool) error {
	if remove {
		*dst = ""
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return invalidValue("expected a string, got %v", v)
	}
	*dst = s
	return nil
}

// eachPath applies a path-less add or replace as one operation per key of
// its value: the keys are paths, dotted ("name.givenName") or schema URNs,
// as Entra ID and Okta send them; schemas, id and meta are not changed.
func eachPath(op patchOp, apply func(patchOp) error) error {
	obj, ok := op.Value.(map[string]any)
	if !ok {
		return invalidValue("an op without a path needs an object value")
	}
	for k, v := range obj {
		if strings.EqualFold(k, "schemas") || strings.EqualFold(k, "id") || strings.EqualFold(k, "meta") {
			continue
		}
		if err := apply(patchOp{Op: op.Op, Path: k, Value: v}); err != nil {
			return err
		}
	}
	return nil
}
