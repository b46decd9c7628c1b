package http_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const goldenOpenAPI = "testdata/openapi.golden.json"

// openAPIEnv starts a server on SQLite and fetches its OpenAPI document.
func openAPIEnv(t *testing.T) (*env, []byte, map[string]any) {
	t.Helper()
	e := newEnv(t, stores[0].open(t))
	resp, err := e.srv.Client().Get(e.srv.URL + "/openapi.json")
	if err != nil {
		t.Fatalf("GET /openapi.json: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %s, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return e, raw, doc
}

func TestOpenAPIVersion(t *testing.T) {
	_, _, doc := openAPIEnv(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
}

func TestOpenAPIGolden(t *testing.T) {
	_, raw, _ := openAPIEnv(t)
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenOpenAPI), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenOpenAPI, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenOpenAPI)
	if err != nil {
		t.Fatalf("%v (create it with go test ./http -run OpenAPI -update)", err)
	}
	if diff := cmp.Diff(string(want), string(raw)); diff != "" {
		t.Fatalf("GET /openapi.json differs from %s (-golden +served); if the change is intended, "+
			"refresh it with go test ./http -run OpenAPI -update:\n%s", goldenOpenAPI, diff)
	}
}

// TestOpenAPIRoutes proves the document describes exactly the registered routes.
func TestOpenAPIRoutes(t *testing.T) {
	e, _, doc := openAPIEnv(t)
	paths := doc["paths"].(map[string]any)
	routes := e.server.Routes()
	registered := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Pattern
		registered[key] = true
		item, _ := paths[r.Pattern].(map[string]any)
		opn, ok := item[strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			t.Errorf("route %s is not in the document", key)
			continue
		}
		sec, hasSec := opn["security"].([]any)
		if public := hasSec && len(sec) == 0; public == r.Auth {
			t.Errorf("%s: documented public = %v, want %v", key, public, !r.Auth)
		}
	}
	for pattern, item := range paths {
		for method := range item.(map[string]any) {
			if key := strings.ToUpper(method) + " " + pattern; !registered[key] {
				t.Errorf("the document describes %s, which is not a route", key)
			}
		}
	}
}

// TestOpenAPIStructure checks what an OpenAPI 3.1 validator would: every
// $ref resolves, every component schema is valid JSON Schema 2020-12, path
// parameters match their patterns and operation ids are unique.
func TestOpenAPIStructure(t *testing.T) {
	_, _, doc := openAPIEnv(t)
	walkRefs(doc, func(ref string) {
		if _, err := pointer(doc, ref); err != nil {
			t.Errorf("$ref %s does not resolve: %v", ref, err)
		}
	})
	c := compiler(t, doc)
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := c.Compile(docURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
	ids := map[string]string{}
	for pattern, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			opn := o.(map[string]any)
			where := strings.ToUpper(method) + " " + pattern
			id, _ := opn["operationId"].(string)
			if prev, dup := ids[id]; dup || id == "" {
				t.Errorf("%s: operationId %q is empty or also used by %s", where, id, prev)
			}
			ids[id] = where
			if len(opn["responses"].(map[string]any)) == 0 {
				t.Errorf("%s has no responses", where)
			}
			var inPath []string
			for _, p := range asList(opn["parameters"]) {
				p := p.(map[string]any)
				if p["in"] == "path" {
					inPath = append(inPath, p["name"].(string))
					if p["required"] != true {
						t.Errorf("%s: path parameter %s is not required", where, p["name"])
					}
				}
			}
			if want := patternParams(pattern); !slices.Equal(inPath, want) {
				t.Errorf("%s: path parameters %v, want %v", where, inPath, want)
			}
		}
	}
}

// TestOpenAPIResponses validates real answers against the documented schemas.
func TestOpenAPIResponses(t *testing.T) {
	e, _, doc := openAPIEnv(t)
	c := compiler(t, doc)
	_, admin := e.org("acme")
	e.create(admin, "/v1/orgs/acme/workspaces", obj{"name": "Alpha"})
	ana := e.user(admin, "/v1/orgs/acme", "ana@acme.example")
	soc := e.create(admin, "/v1/orgs/acme/groups", obj{"name": "SOC"})
	e.addMember(admin, "/v1/orgs/acme/groups/"+soc, "user", ana)
	asg := e.assign(admin, "acme", "alpha", "group", soc, "incident_analyst").str("id")
	tpl := e.create(admin, "/v1/orgs/acme/templates", obj{"name": "SOC onboarding",
		"entries": []obj{{"group_id": soc, "role": "incident_analyst"}}})
	check := func(user, capability string) obj {
		return obj{"org": "acme", "user": user, "workspace": "alpha", "capability": capability}
	}
	cases := []struct {
		name, key, method, pattern, path string
		body                             any
		status                           int
	}{
		{"create org", e.operator, "POST", "/v1/orgs", "/v1/orgs",
			obj{"name": "Beta", "admin": obj{"email": "bo@beta.example", "given_name": "Bo"}}, 201},
		{"get org", admin, "GET", "/v1/orgs/{org}", "/v1/orgs/acme", nil, 200},
		{"create user", admin, "POST", "/v1/orgs/{org}/users", "/v1/orgs/acme/users",
			obj{"email": "cy@acme.example", "given_name": "Cy", "job_title": "Analyst"}, 201},
		{"create workspace user", admin, "POST", "/v1/orgs/{org}/workspaces/{ws}/users", "/v1/orgs/acme/workspaces/alpha/users",
			obj{"email": "dee@alpha.example", "given_name": "Dee"}, 201},
		{"list users", admin, "GET", "/v1/orgs/{org}/users", "/v1/orgs/acme/users?limit=1", nil, 200},
		{"list groups", admin, "GET", "/v1/orgs/{org}/groups", "/v1/orgs/acme/groups", nil, 200},
		{"list members", admin, "GET", "/v1/orgs/{org}/groups/{id}/members", "/v1/orgs/acme/groups/" + soc + "/members", nil, 200},
		{"add member again", admin, "POST", "/v1/orgs/{org}/groups/{id}/members", "/v1/orgs/acme/groups/" + soc + "/members",
			obj{"member": obj{"type": "user", "id": ana}}, 200},
		{"list assignments", admin, "GET", "/v1/orgs/{org}/workspaces/{ws}/assignments", "/v1/orgs/acme/workspaces/alpha/assignments", nil, 200},
		{"user assignments", admin, "GET", "/v1/orgs/{org}/users/{id}/assignments", "/v1/orgs/acme/users/" + ana + "/assignments", nil, 200},
		{"list orgs", e.operator, "GET", "/v1/orgs", "/v1/orgs", nil, 200},
		{"list workspaces", admin, "GET", "/v1/orgs/{org}/workspaces", "/v1/orgs/acme/workspaces?status=active", nil, 200},
		{"get assignment", admin, "GET", "/v1/orgs/{org}/workspaces/{ws}/assignments/{id}", "/v1/orgs/acme/workspaces/alpha/assignments/" + asg, nil, 200},
		{"get built-in role", admin, "GET", "/v1/orgs/{org}/roles/{id}", "/v1/orgs/acme/roles/incident_analyst", nil, 200},
		{"create role", admin, "POST", "/v1/orgs/{org}/roles", "/v1/orgs/acme/roles",
			obj{"name": "Viewer", "grants": obj{"incidents.view": "limited"}}, 201},
		{"apply template", admin, "POST", "/v1/orgs/{org}/workspaces/{ws}/templates/{id}/apply",
			"/v1/orgs/acme/workspaces/alpha/templates/" + tpl + "/apply", nil, 200},
		{"check allowed", admin, "POST", "/v1/check", "/v1/check", check(ana, "incidents.view"), 200},
		{"check denied", admin, "POST", "/v1/check", "/v1/check", check(ana, "incidents.delete"), 200},
		{"explain allowed", admin, "POST", "/v1/explain", "/v1/explain", check(ana, "incidents.view"), 200},
		{"explain denied", admin, "POST", "/v1/explain", "/v1/explain", check(ana, "incidents.delete"), 200},
		{"explain without access", admin, "POST", "/v1/explain", "/v1/explain", check("cy@acme.example", "incidents.view"), 200},
		{"lookup nothing", admin, "GET", "/v1/lookup/workspaces", "/v1/lookup/workspaces?org=acme&capability=incidents.view&user=cy@acme.example", nil, 200},
		{"batch check", admin, "POST", "/v1/check/batch", "/v1/check/batch",
			obj{"checks": []obj{check(ana, "incidents.view"), check(ana, "no.such")}}, 200},
		{"lookup workspaces", admin, "GET", "/v1/lookup/workspaces", "/v1/lookup/workspaces?org=acme&capability=incidents.view&user=" + ana, nil, 200},
		{"lookup users", admin, "GET", "/v1/lookup/users", "/v1/lookup/users?org=acme&workspace=alpha&capability=incidents.view", nil, 200},
		{"events", admin, "GET", "/v1/orgs/{org}/events", "/v1/orgs/acme/events?limit=2", nil, 200},
		{"verify events", admin, "GET", "/v1/orgs/{org}/events/verify", "/v1/orgs/acme/events/verify", nil, 200},
		{"create key", admin, "POST", "/v1/orgs/{org}/users/{id}/keys", "/v1/orgs/acme/users/" + ana + "/keys", obj{"name": "ci"}, 201},
		{"list keys", admin, "GET", "/v1/orgs/{org}/users/{id}/keys", "/v1/orgs/acme/users/" + ana + "/keys", nil, 200},
		{"capabilities", admin, "GET", "/v1/capabilities", "/v1/capabilities", nil, 200},
		{"add capability", e.operator, "POST", "/v1/capabilities/custom", "/v1/capabilities/custom",
			obj{"id": "vulns.triage", "description": "Triage findings", "builtin_grants": obj{"incident_analyst": "limited"}}, 201},
		{"change capability", e.operator, "PATCH", "/v1/capabilities/custom/{id}", "/v1/capabilities/custom/vulns.triage",
			obj{"description": "Triage vulnerability findings"}, 200},
		{"custom capabilities", e.operator, "GET", "/v1/capabilities/custom", "/v1/capabilities/custom", nil, 200},
		{"operator events", e.operator, "GET", "/v1/events", "/v1/events?action=capability.", nil, 200},
		{"verify operator events", e.operator, "GET", "/v1/events/verify", "/v1/events/verify", nil, 200},
		{"remove capability", e.operator, "DELETE", "/v1/capabilities/custom/{id}", "/v1/capabilities/custom/vulns.triage", nil, 200},
		{"built-in roles", admin, "GET", "/v1/roles", "/v1/roles", nil, 200},
		{"import users", admin, "POST", "/v1/orgs/{org}/users/import", "/v1/orgs/acme/users/import?mode=valid",
			"email,first_name,last_name\neve@acme.example,Eve,Ek\nnot-an-email,Bad,Row\n", 200},
		{"import all good", admin, "POST", "/v1/orgs/{org}/users/import", "/v1/orgs/acme/users/import",
			"email,first_name\nfay@acme.example,Fay\n", 200},
		{"export users", admin, "GET", "/v1/orgs/{org}/users/export", "/v1/orgs/acme/users/export", nil, 200},
		{"delete user", admin, "DELETE", "/v1/orgs/{org}/users/{id}", "/v1/orgs/acme/users/" + ana, nil, 200},
		{"openapi", "", "GET", "/openapi.json", "/openapi.json", nil, 200},
		{"ready", "", "GET", "/readyz", "/readyz", nil, 200},
		{"health", "", "GET", "/healthz", "/healthz", nil, 200},
		{"bad status filter", admin, "GET", "/v1/orgs/{org}/users", "/v1/orgs/acme/users?status=asleep", nil, 400},
		{"unknown field", admin, "POST", "/v1/orgs/{org}/groups", "/v1/orgs/acme/groups", obj{"name": "X", "colour": "red"}, 400},
		{"no key", "", "GET", "/v1/orgs", "/v1/orgs", nil, 401},
		{"not an operator", admin, "POST", "/v1/orgs", "/v1/orgs", obj{"name": "Gamma", "admin": obj{"email": "g@g.example", "given_name": "G"}}, 403},
		{"another tenant", admin, "GET", "/v1/orgs/{org}", "/v1/orgs/beta", nil, 404},
		{"taken slug", e.operator, "POST", "/v1/orgs", "/v1/orgs", obj{"name": "Acme", "slug": "acme", "admin": obj{"email": "a@a.example", "given_name": "A"}}, 409},
		{"stale If-Match", admin, "PATCH", "/v1/orgs/{org}/groups/{id}", "/v1/orgs/acme/groups/" + soc, obj{"name": "SOC 1"}, 412},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ifMatch string
			if tc.status == http.StatusPreconditionFailed {
				ifMatch = `"1"` // a revision long gone
			}
			resp, raw := send(t, e, tc.key, tc.method, tc.path, tc.body, "If-Match", ifMatch)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, resp.StatusCode, raw, tc.status)
			}
			res, err := response(doc, tc.method, tc.pattern, tc.status)
			if err != nil {
				t.Fatal(err)
			}
			media, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
			content, _ := res["content"].(map[string]any)
			if _, ok := content[media]; !ok {
				t.Fatalf("Content-Type = %q, documented %v", media, keys(content))
			}
			if _, ok := asMap(res["headers"])["ETag"]; ok && resp.Header.Get("ETag") == "" {
				t.Errorf("no ETag header, but the document promises one")
			}
			if !strings.HasSuffix(media, "json") {
				return
			}
			sch, err := c.Compile(docURL + "#" + escapePointer(res["$loc"].(string)+"/content/"+esc(media)+"/schema"))
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s %s answered %s\nwhich the document does not allow: %v", tc.method, tc.path, raw, err)
			}
		})
	}
}

// send makes one request; a string body is sent as text/csv, anything else as
// JSON. Headers come in name, value pairs; empty values are left out.
func send(t *testing.T, e *env, key, method, path string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "text/csv"
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

const docURL = "https://gatehouse.test/openapi.json"

// compiler loads the document so schemas can be compiled by JSON pointer into it.
func compiler(t *testing.T, doc map[string]any) *jsonschema.Compiler {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	// Round-trip through the library's decoder, which keeps numbers exact.
	raw, _ := json.Marshal(doc)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(docURL, v); err != nil {
		t.Fatalf("add document: %v", err)
	}
	return c
}

// response finds the documented response of an operation, following a
// $ref to components.responses; "$loc" holds the JSON pointer it was found at.
func response(doc map[string]any, method, pattern string, status int) (map[string]any, error) {
	loc := "/paths/" + esc(pattern) + "/" + strings.ToLower(method) + "/responses/" + strconv.Itoa(status)
	v, err := pointer(doc, "#"+loc)
	if err != nil {
		return nil, err
	}
	if ref, ok := asMap(v)["$ref"].(string); ok {
		if v, err = pointer(doc, ref); err != nil {
			return nil, err
		}
		loc = strings.TrimPrefix(ref, "#")
	}
	out := map[string]any{"$loc": loc}
	for k, x := range asMap(v) {
		out[k] = x
	}
	return out, nil
}

// pointer resolves a local reference "#/a/b" in doc.
func pointer(doc any, ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%s is not a local reference", ref)
	}
	cur := doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok || m[tok] == nil {
			return nil, fmt.Errorf("%s: no %q", ref, tok)
		}
		cur = m[tok]
	}
	return cur, nil
}

func esc(tok string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok) }

// escapePointer makes a JSON pointer safe in a URL fragment.
func escapePointer(p string) string {
	return strings.NewReplacer("{", "%7B", "}", "%7D", "+", "%2B").Replace(p)
}

func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if s, ok := y.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(y, fn)
		}
	case []any:
		for _, y := range x {
			walkRefs(y, fn)
		}
	}
}

func patternParams(pattern string) []string {
	var out []string
	for _, seg := range strings.Split(pattern, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			out = append(out, strings.TrimSuffix(name, "}"))
		}
	}
	return out
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
