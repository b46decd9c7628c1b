package http_test

import (
	"strings"
	"testing"
)

// TestEveryErrorIsAProblem: unknown routes, wrong methods, unknown query
// parameters and malformed bodies all answer application/problem+json that
// says what is wrong in the caller's terms, and change nothing.
func TestEveryErrorIsAProblem(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		csv := "email,first_name,last_name\nzoe@acme.example,Zoe,Park\n"
		cases := []struct {
			name, method, path string
			body               any
			contentType        string
			status             int
			code, field        string
			detail             []string
		}{
			{"unknown route", "GET", "/v1/nothing-here", nil, "", 404, "route_not_found", "", []string{"/v1/nothing-here", "/openapi.json"}},
			{"unknown route under an org", "GET", org + "/nope", nil, "", 404, "route_not_found", "", nil},
			{"wrong method", "DELETE", "/v1/orgs", nil, "", 405, "method_not_allowed", "", []string{"DELETE", "GET or POST"}},
			{"unknown parameter on a CSV invitation", "POST", org + "/invitations?role=admin", csv, "text/csv", 400, "unknown_parameter", "role", []string{`"role"`, "mode"}},
			{"unknown parameter on a list", "GET", org + "/users?stauts=active", nil, "", 400, "unknown_parameter", "stauts", []string{`"stauts"`, "status"}},
			{"parameter of a route that takes none", "GET", org + "/users/export?format=json", nil, "", 400, "unknown_parameter", "format", []string{"takes no query parameters"}},
			{"malformed JSON says where", "POST", org + "/groups", "{\n  \"name\": \"x\",\n}", "", 400, "malformed_body", "", []string{"line 3, column 1"}},
			{"truncated JSON", "POST", org + "/groups", `{"name": `, "", 400, "malformed_body", "", []string{"ends too soon", "line 1, column 10"}},
			{"wrong type in a field", "POST", org + "/groups", `{"name": 7}`, "", 400, "malformed_body", "name", nil},
			{"array instead of an object", "POST", org + "/groups", `["x"]`, "", 400, "malformed_body", "", []string{"must be an object, not an array"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := p.head()
				var headers []string
				if c.contentType != "" {
					headers = []string{"Content-Type", c.contentType}
				}
				got, out, resp := p.call(p.admin, c.method, c.path, c.body, headers...)
				if got != c.status || out.str("code") != c.code {
					t.Fatalf("%s %s = %d %v, want %d %s", c.method, c.path, got, out, c.status, c.code)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type = %q, want application/problem+json", ct)
				}
				detail := out.str("detail") + " " + out.str("fields."+c.field)
				for _, w := range c.detail {
					if !strings.Contains(detail, w) {
						t.Errorf("detail = %q, want it to contain %q", detail, w)
					}
				}
				for _, goWord := range []string{"Go ", "struct", "unmarshal", "int64"} {
					if strings.Contains(detail, goWord) {
						t.Errorf("detail = %q speaks Go (%q)", detail, goWord)
					}
				}
				if c.field != "" && out.str("fields."+c.field) == "" {
					t.Errorf("fields = %v, want a message for %s", out.get("fields"), c.field)
				}
				if c.status == 405 && resp.Header.Get("Allow") != "GET, POST, HEAD" {
					t.Errorf("Allow = %q, want GET, POST, HEAD", resp.Header.Get("Allow"))
				}
				if p.head() != before {
					t.Errorf("revision moved %d→%d: a refused request changed something", before, p.head())
				}
			})
		}
		if got, out, _ := p.call(p.admin, "GET", org+"/users?status=active&limit=5", nil); got != 200 {
			t.Errorf("GET users with documented parameters = %d %v, want 200", got, out)
		}
	})
}
