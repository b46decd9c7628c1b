package http

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// schemaSet turns Go types into JSON Schemas (draft 2020-12, the dialect of
// OpenAPI 3.1) the way encoding/json renders them, so the document cannot
// drift from the types. Named structs and enumerations become components.
type schemaSet struct {
	defs  map[string]any          // components.schemas
	names map[string]reflect.Type // which type owns each component name
}

func newSchemaSet() *schemaSet {
	return &schemaSet{defs: map[string]any{}, names: map[string]reflect.Type{}}
}

// enums lists the values of the string types that only take a few. Level
// marshals itself as one of its names.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[gh.Status]():        {string(gh.StatusActive), string(gh.StatusSuspended), string(gh.StatusArchived), string(gh.StatusInvited), string(gh.StatusDisabled)},
	reflect.TypeFor[gh.OrgRole]():       {string(gh.OrgRoleAdmin), string(gh.OrgRoleMember)},
	reflect.TypeFor[gh.PrincipalType](): {string(gh.PrincipalUser), string(gh.PrincipalGroup)},
	reflect.TypeFor[gh.Scope]():         {string(gh.ScopeWorkspace), string(gh.ScopeOrganization)},
	reflect.TypeFor[gh.ActorType]():     {string(gh.ActorOperator), string(gh.ActorUser), string(gh.ActorSystem)},
	reflect.TypeFor[gh.ObjectKind](): {string(gh.KindOrg), string(gh.KindWorkspace), string(gh.KindUser), string(gh.KindGroup),
		string(gh.KindMembership), string(gh.KindRole), string(gh.KindAssignment), string(gh.KindTemplate), string(gh.KindAPIKey), string(gh.KindCapability)},
	reflect.TypeFor[gh.KeyOrigin](): {string(gh.KeyBootstrap), string(gh.KeyRecovery)},
	reflect.TypeFor[gh.Level]():     {gh.LevelNone.String(), gh.LevelLimited.String(), gh.LevelFull.String()},
}

// opaque are the types that marshal themselves into something other than their Go shape.
var opaque = map[reflect.Type]map[string]any{
	reflect.TypeFor[time.Time]():       {"type": "string", "format": "date-time"},
	reflect.TypeFor[json.RawMessage](): {"description": "Any JSON value."},
	reflect.TypeFor[directory.PolicyPatch](): {"$ref": "#/components/schemas/SecurityPolicy",
		"description": "Only the settings named change (JSON merge patch, RFC 7386); null returns a setting to its default."},
}

// schema returns the schema of t: a $ref for components, inline otherwise.
// A pointer at the top of a body or in a list is never null.
func (s *schemaSet) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if sc, ok := opaque[t]; ok {
		return sc
	}
	if vals, ok := enums[t]; ok {
		return s.component(t, func() map[string]any { return map[string]any{"type": "string", "enum": vals} })
	}
	if t.Implements(reflect.TypeFor[json.Marshaler]()) || t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
		panic(fmt.Sprintf("openapi: %v marshals itself; describe it in enums or opaque", t))
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		return s.component(t, func() map[string]any { return s.object(t) })
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": s.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// component defines t once under its name and refers to it.
func (s *schemaSet) component(t reflect.Type, build func() map[string]any) map[string]any {
	name := componentName(t)
	ref := map[string]any{"$ref": "#/components/schemas/" + name}
	if prev, ok := s.names[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("openapi: %v and %v are both named %s", prev, t, name))
		}
		return ref
	}
	s.names[name] = t
	s.defs[name] = build()
	return ref
}

// componentName is the type's name, capitalised; an instance of a generic
// type is named after its argument: List[*gatehouse.User] is UserList.
func componentName(t reflect.Type) string {
	name := t.Name()
	if base, arg, ok := strings.Cut(name, "["); ok {
		arg = strings.TrimSuffix(arg, "]")
		name = arg[strings.LastIndexByte(arg, '.')+1:] + upperFirst(base)
	}
	return upperFirst(name)
}

func upperFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// field is one JSON property of a struct, found at some embedding depth.
type field struct {
	name     string
	depth    int
	schema   map[string]any
	optional bool
}

// object describes a struct as encoding/json writes it: embedded structs
// without a tag are flattened, and the shallowest field of a name wins.
func (s *schemaSet) object(t reflect.Type) map[string]any {
	props, byName := map[string]any{}, map[string]field{}
	var required []string
	for _, f := range s.fields(t, 0) {
		prev, seen := byName[f.name]
		switch {
		case seen && prev.depth == f.depth:
			panic(fmt.Sprintf("openapi: %v has two %q fields at one depth; encoding/json drops both", t, f.name))
		case seen && prev.depth < f.depth:
			continue
		}
		byName[f.name], props[f.name] = f, f.schema
	}
	for name, f := range byName {
		if !f.optional {
			required = append(required, name)
		}
	}
	for _, name := range slices.Concat(inputRequired[t], mayBeNull[t]) {
		if _, ok := props[name]; !ok {
			panic(fmt.Sprintf("openapi: %v has no field %q", t, name))
		}
	}
	if req, ok := inputRequired[t]; ok {
		required = slices.Clone(req)
	}
	// Request bodies refuse unknown fields, and responses carry only these.
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		slices.Sort(required)
		o["required"] = required
	}
	return o
}

func (s *schemaSet) fields(t reflect.Type, depth int) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, s.fields(ft, depth+1)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := hasOpt(opts, "omitzero") || (hasOpt(opts, "omitempty") && ft.Kind() != reflect.Struct)
		sc := s.schema(ft)
		if (ft.Kind() == reflect.Pointer && !optional) || slices.Contains(mayBeNull[t], name) {
			sc = nullable(sc)
		}
		out = append(out, field{name: name, depth: depth, schema: sc, optional: optional})
	}
	return out
}

func hasOpt(opts, want string) bool { return slices.Contains(strings.Split(opts, ","), want) }

// nullable admits null besides what sc admits: a nil pointer without omitempty.
func nullable(sc map[string]any) map[string]any {
	if typ, ok := sc["type"].(string); ok {
		out := map[string]any{}
		for k, v := range sc {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return map[string]any{"anyOf": []any{sc, map[string]any{"type": "null"}}}
}
