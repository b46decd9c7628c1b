package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// record is a resource as filters see it: every attribute the resource
// type has is a key, lower-cased (RFC 7644 §3.4.2.2: attribute names in
// filters ignore case), even when the resource has no value for it, so
// that an unknown attribute can be told from an empty one. Values are
// strings, bools, times, records (complex) or []record (multi-valued).
type record map[string]any

// lookupFilter is the filter a directory sends before each create, one
// attribute equal to a string without escapes: `userName eq "ann@example.com"`.
var lookupFilter = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*) eq ("[^"\\]*")$`)

// compile parses a filter; an empty one accepts everything.
func compile(raw string) (filter.Expression, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	// The general parser took an eighth of the server's time in an initial
	// load, where every create begins with a lookup; that form is read
	// here into the expression the parser gives.
	if m := lookupFilter.FindStringSubmatch(raw); m != nil {
		var v string
		if json.Unmarshal([]byte(m[2]), &v) == nil {
			return &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: m[1]}, Operator: filter.EQ, CompareValue: v}, nil
		}
	}
	e, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return nil, badFilter("the filter is not valid: %v", err)
	}
	return e, nil
}

func badFilter(format string, args ...any) *Error {
	return scimErr(http.StatusBadRequest, "invalidFilter", fmt.Sprintf(format, args...))
}

// match reports whether rec passes e; attributes the resource type does
// not have, and comparisons its attributes do not support, are errors.
func match(e filter.Expression, rec record) (bool, error) {
	switch e := e.(type) {
	case nil:
		return true, nil
	case *filter.LogicalExpression:
		l, err := match(e.Left, rec)
		if err != nil {
			return false, err
		}
		r, err := match(e.Right, rec)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		ok, err := match(e.Expression, rec)
		return !ok, err
	case *filter.AttributeExpression:
		vals, err := resolve(rec, e.AttributePath)
		if err != nil {
			return false, err
		}
		return compareAny(vals, strings.ToLower(string(e.Operator)), e.CompareValue)
	case *filter.ValuePath:
		// emails[type eq "work" and value co "@x"]: one value of the
		// multi-valued attribute must pass the inner filter on its own.
		v, err := attr(rec, e.AttributePath.URI(), e.AttributePath.AttributeName)
		if err != nil {
			return false, err
		}
		elems, ok := v.([]record)
		if !ok {
			return false, badFilter("%s is not multi-valued", e.AttributePath.AttributeName)
		}
		for _, el := range elems {
			ok, err := match(e.ValueFilter, el)
			if err != nil || ok {
				return ok, err
			}
		}
		if len(elems) == 0 { // still refuse unknown sub-attributes
			_, err := match(e.ValueFilter, emptyLike(e.AttributePath.AttributeName))
			return false, err
		}
		return false, nil
	}
	return false, badFilter("unsupported filter expression")
}

// attr looks an attribute up, by schema URN (the core schemas are the
// record itself; an extension is a sub-record named by its URN).
func attr(rec record, uri, name string) (any, error) {
	uri = strings.ToLower(strings.TrimSuffix(uri, ":"))
	if uri != "" && uri != strings.ToLower(userSchema) && uri != strings.ToLower(groupSchema) {
		ext, ok := rec[uri].(record)
		if !ok {
			return nil, badFilter("unknown schema %s", uri)
		}
		rec = ext
	}
	v, ok := rec[strings.ToLower(name)]
	if !ok {
		return nil, badFilter("unknown attribute %s", name)
	}
	return v, nil
}

// resolve returns the values a path names: one for a simple attribute,
// one per value of a multi-valued one (its sub-attribute, or "value").
func resolve(rec record, p filter.AttributePath) ([]any, error) {
	v, err := attr(rec, p.URI(), p.AttributeName)
	if err != nil {
		return nil, err
	}
	sub := strings.ToLower(p.SubAttributeName())
	switch v := v.(type) {
	case record:
		if sub == "" {
			return nil, badFilter("%s is complex: name one of its sub-attributes", p.AttributeName)
		}
		s, ok := v[sub]
		if !ok {
			return nil, badFilter("unknown attribute %s", p)
		}
		return []any{s}, nil
	case []record:
		if sub == "" {
			sub = "value"
		}
		out := []any{}
		for _, el := range v {
			s, ok := el[sub]
			if !ok {
				return nil, badFilter("unknown attribute %s", p)
			}
			out = append(out, s)
		}
		if _, ok := emptyLike(p.AttributeName)[sub]; !ok {
			return nil, badFilter("unknown attribute %s", p)
		}
		return out, nil
	}
	if sub != "" {
		return nil, badFilter("unknown attribute %s", p)
	}
	return []any{v}, nil
}

// subAttributes lists the sub-attributes of the multi-valued attributes,
// so that filters on them are checked when a resource has no values.
var subAttributes = map[string][]string{
	"emails":       {"value", "type", "primary"},
	"phonenumbers": {"value", "type", "primary"},
	"members":      {"value", "display", "type"},
}

func emptyLike(name string) record {
	el := record{}
	for _, s := range subAttributes[strings.ToLower(name)] {
		el[s] = nil
	}
	return el
}

// compareAny is true when one of the values passes; "ne" is true when
// none is equal.
func compareAny(vals []any, op string, want any) (bool, error) {
	if op == "ne" {
		eq, err := compareAny(vals, "eq", want)
		return !eq, err
	}
	if op == "pr" {
		for _, v := range vals {
			if present(v) {
				return true, nil
			}
		}
		return false, nil
	}
	if len(vals) == 0 {
		vals = []any{nil}
	}
	for _, v := range vals {
		ok, err := compare(v, op, want)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case time.Time:
		return !v.IsZero()
	}
	return true
}

// compare applies one operator; strings compare without case (caseExact
// is false for every attribute Gatehouse serves but id).
func compare(v any, op string, want any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, checkOperand(op, want)
	case bool:
		b, ok := boolOf(want)
		if !ok || op != "eq" {
			return false, badFilter("a boolean attribute compares with eq or ne true or false")
		}
		return v == b, nil
	case time.Time:
		s, _ := want.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false, badFilter("a date compares with an RFC 3339 time, not %v", want)
		}
		return ordered(v.Compare(t), op)
	case string:
		s, ok := want.(string)
		if !ok {
			return false, badFilter("a string attribute compares with a string, not %v", want)
		}
		a, b := strings.ToLower(v), strings.ToLower(s)
		switch op {
		case "eq":
			return a == b, nil
		case "co":
			return strings.Contains(a, b), nil
		case "sw":
			return strings.HasPrefix(a, b), nil
		case "ew":
			return strings.HasSuffix(a, b), nil
		}
		return ordered(strings.Compare(a, b), op)
	}
	return false, badFilter("unsupported comparison")
}

func checkOperand(op string, want any) error {
	switch op {
	case "eq", "co", "sw", "ew", "gt", "ge", "lt", "le":
		return nil
	}
	return badFilter("unknown operator %s", op)
}

func ordered(c int, op string) (bool, error) {
	switch op {
	case "eq":
		return c == 0, nil
	case "gt":
		return c > 0, nil
	case "ge":
		return c >= 0, nil
	case "lt":
		return c < 0, nil
	case "le":
		return c <= 0, nil
	}
	return false, badFilter("%s does not apply to this attribute", op)
}

// boolOf reads a boolean, also as the strings "True" and "False" that
// Entra ID sends.
func boolOf(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// equality is the value of a filter that is one `name eq "value"` on a
// string attribute of the core schema, as Entra ID and Okta send to look a
// resource up before creating it; such a filter is answered from an index
// instead of testing every resource.
func equality(e filter.Expression, name string) (string, bool) {
	a, ok := e.(*filter.AttributeExpression)
	if !ok || a.Operator != filter.EQ || a.AttributePath.SubAttribute != nil ||
		!strings.EqualFold(a.AttributePath.AttributeName, name) {
		return "", false
	}
	if uri := strings.TrimSuffix(a.AttributePath.URI(), ":"); uri != "" && !strings.EqualFold(uri, userSchema) && !strings.EqualFold(uri, groupSchema) {
		return "", false
	}
	v, ok := a.CompareValue.(string)
	return v, ok
}
