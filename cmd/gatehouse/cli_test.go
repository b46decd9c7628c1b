package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
)

// cliServer is a real Gatehouse node with the demo data, and the keys to talk to it.
type cliServer struct {
	m        *Main
	url      string
	operator string // the platform operator's key
	admin    string // the demo organization's Organization Admin key
	out      string // what serve printed
}

var keyRE = regexp.MustCompile(`ghk_[0-9a-z]+`)

// startCLIServer runs a node on a fresh store and keeps the CLI away from the
// caller's environment and saved login.
func startCLIServer(t *testing.T) *cliServer {
	t.Helper()
	return startCLIServerOn(t, filepath.Join(t.TempDir(), "g.db"))
}

// startCLIServerOn is startCLIServer on a given store: an SQLite path or a
// postgres:// URL; opts change the node's configuration before it starts.
func startCLIServerOn(t *testing.T, store string, opts ...func(*Main)) *cliServer {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("GATEHOUSE_URL", "")
	t.Setenv("GATEHOUSE_KEY", "")
	cfg := DefaultConfig()
	cfg.Store = store
	cfg.Addr = "127.0.0.1:0"
	cfg.Demo = true
	cfg.OperatorKey = "operator-key-for-the-cli-tests-0123456789"
	var buf bytes.Buffer
	m := &Main{Config: cfg, Out: &buf, Log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(m)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Main.Run: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	admin := keyRE.FindString(buf.String())
	if admin == "" {
		t.Fatalf("the demo printed no admin key:\n%s", buf.String())
	}
	return &cliServer{m: m, url: "http://" + m.Addr(), operator: cfg.OperatorKey, admin: admin, out: buf.String()}
}

// run runs the CLI in-process as a person would, with the server and key as flags.
func (s *cliServer) run(key string, args ...string) (stdout, stderr string, code int) {
	if key != "" {
		args = append(args, "--server", s.url, "--key", key)
	}
	var out, errOut bytes.Buffer
	code = execute(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// mustRun runs the CLI and fails the test unless it succeeds.
func (s *cliServer) mustRun(t *testing.T, key string, args ...string) string {
	t.Helper()
	out, errOut, code := s.run(key, args...)
	if code != 0 {
		t.Fatalf("gatehouse %s: exit %d, want 0\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (s *cliServer) revision() gh.Revision { return s.m.Directory().Index().Revision() }

func wantAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

func TestCLIOnboarding(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	ws := append([]string{"--workspace", "litware"}, org...)
	steps := []struct {
		name string
		args []string
		want []string
	}{
		{"create workspace", append([]string{"workspaces", "create", "Litware", "--slug", "litware"}, org...),
			[]string{`Created workspace "Litware" (litware, ws_`}},
		{"template assigned partner groups", append([]string{"assignments", "list"}, ws...),
			[]string{"SOC Tier 1", "Incident Analyst", "SOC Managers", "Admin"}},
		{"create workspace user", append([]string{"users", "create", "bob@litware.example", "--given-name", "Bob", "--family-name", "Stone"}, ws...),
			[]string{"Created user bob@litware.example (usr_", "in workspace litware"}},
		{"list workspace users", append([]string{"users", "list"}, ws...),
			[]string{"EMAIL", "bob@litware.example", "Bob Stone", "active"}},
		{"assign role", append([]string{"assign", "--user", "bob@litware.example", "--role", "Customer Viewer"}, ws...),
			[]string{"user bob@litware.example now has role Customer Viewer in workspace litware"}},
		{"check allowed", append([]string{"check", "--user", "bob@litware.example", "--capability", "incidents.view"}, ws...),
			[]string{"allowed: bob@litware.example has incidents.view at level full"}},
		{"check denied", append([]string{"check", "--user", "bob@litware.example", "--capability", "incidents.close"}, ws...),
			[]string{"denied: bob@litware.example does not have incidents.close", "why: gatehouse explain"}},
		{"explain denial", append([]string{"explain", "--user", "bob@litware.example", "--capability", "incidents.close"}, ws...),
			[]string{"DENIED", "✓ user", "✓ assignment", "✗ grant", "none of the roles (Customer Viewer) grants incidents.close",
				"Fix: change the role of \"bob@litware.example\""}},
		{"explain through nested group", append([]string{"explain", "--user", "nina.berg@northwind.example", "--capability", "incidents.view"}, ws...),
			[]string{"ALLOWED", "group SOC Tier 1 (via Night Shift) as Incident Analyst"}},
		{"audit shows the actions", append([]string{"audit", "list", "--actor", "admin@northwind.example"}, org...),
			[]string{"workspace.create", "user.create", "assignment.create", "admin@northwind.example", "cli"}},
		{"audit verify", append([]string{"audit", "verify"}, org...),
			[]string{"ok: the audit chain of northwind is intact"}},
	}
	denials := map[string]bool{"check denied": true, "explain denial": true} // exit 1, as kubectl auth can-i
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, errOut, code := s.run(s.admin, st.args...)
			if want := map[bool]int{true: 1, false: 0}[denials[st.name]]; code != want {
				t.Fatalf("gatehouse %s: exit %d, want %d\nstderr: %s", strings.Join(st.args, " "), code, want, errOut)
			}
			wantAll(t, "gatehouse "+strings.Join(st.args, " "), out, st.want...)
		})
	}
}

func TestCLIJSON(t *testing.T) {
	s := startCLIServer(t)
	tests := []struct {
		name  string
		args  []string
		into  func() any
		check func(t *testing.T, v any)
	}{
		{"workspaces list", []string{"workspaces", "list", "--org", "northwind"},
			func() any { return &directory.List[*gh.Workspace]{} },
			func(t *testing.T, v any) {
				if n := len(v.(*directory.List[*gh.Workspace]).Items); n != 3 {
					t.Errorf("workspaces = %d, want 3", n)
				}
			}},
		{"users get", []string{"users", "get", "ciso@contoso.example", "--org", "northwind", "--workspace", "contoso"},
			func() any { return &gh.User{} },
			func(t *testing.T, v any) {
				if u := v.(*gh.User); u.Email != "ciso@contoso.example" || u.IsOrg() {
					t.Errorf("user = %s (org user %v), want ciso@contoso.example, a workspace user", u.Email, u.IsOrg())
				}
			}},
		{"check", []string{"check", "--org", "northwind", "--user", "lee.chen@northwind.example", "--workspace", "contoso", "--capability", "incidents.close"},
			func() any { return &engine.Decision{} },
			func(t *testing.T, v any) {
				if d := v.(*engine.Decision); !d.Allowed || d.Level != gh.LevelFull || d.Revision == 0 {
					t.Errorf("decision = %+v, want allowed at full with a revision", d)
				}
			}},
		{"explain", []string{"explain", "--org", "northwind", "--user", "sam.okafor@northwind.example", "--workspace", "contoso", "--capability", "incidents.close"},
			func() any { return &engine.Explanation{} },
			func(t *testing.T, v any) {
				if e := v.(*engine.Explanation); e.Allowed || len(e.Steps) == 0 || e.Fix == "" {
					t.Errorf("explanation = %+v, want a denial with steps and a fix", e)
				}
			}},
		{"audit verify", []string{"audit", "verify", "--org", "northwind"},
			func() any { return &gh.ChainReport{} },
			func(t *testing.T, v any) {
				if r := v.(*gh.ChainReport); !r.OK || r.Checked == 0 {
					t.Errorf("report = %+v, want ok with events checked", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := s.run(s.admin, append(tt.args, "-o", "json")...)
			if want := map[bool]int{true: 1, false: 0}[tt.name == "explain"]; code != want { // the explained question is denied
				t.Fatalf("exit %d, want %d\nstderr: %s", code, want, errOut)
			}
			v := tt.into()
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("-o json printed %q: %v", out, err)
			}
			tt.check(t, v)
		})
	}
}

func TestCLIBadInput(t *testing.T) {
	s := startCLIServer(t)
	ws := []string{"--org", "northwind", "--workspace", "contoso"}
	tests := []struct {
		name string
		key  string
		args []string
		want []string // in stderr
	}{
		{"unknown role", s.admin, append([]string{"assign", "--user", "ciso@contoso.example", "--role", "Chief Wizard"}, ws...),
			[]string{"error: no such role is usable here", "--role: is not a role usable here"}},
		{"bad email", s.admin, append([]string{"users", "create", "not-an-email", "--given-name", "Ann"}, ws...),
			[]string{"error: some fields are invalid", "email: must be an email address"}},
		{"missing given name", s.admin, append([]string{"users", "create", "ann@contoso.example"}, ws...),
			[]string{"--given-name: is required"}},
		{"email taken", s.admin, append([]string{"users", "create", "ciso@contoso.example", "--given-name", "C"}, ws...),
			[]string{"error: another user here has this email"}},
		{"missing --org", s.admin, []string{"users", "list"},
			[]string{`required flag(s) "org" not set`}},
		{"missing --user or --group", s.admin, append([]string{"assign", "--role", "admin"}, ws...),
			[]string{"[user group] is required"}},
		{"unknown user", s.admin, append([]string{"assign", "--user", "nobody@contoso.example", "--role", "admin"}, ws...),
			[]string{`no user with email "nobody@contoso.example"`}},
		{"bad grant", s.admin, []string{"roles", "create", "Odd", "--org", "northwind", "--grant", "incidents.close=max"},
			[]string{`--grant "incidents.close=max"`}},
		{"unknown capability", s.admin, []string{"roles", "create", "Odd", "--org", "northwind", "--grant", "coffee.make=full"},
			[]string{"grants.coffee.make: is not a known capability"}},
		{"role without grants", s.admin, []string{"roles", "create", "Odd", "--org", "northwind"},
			[]string{"--grant CAPABILITY=full|limited", "--from ROLE"}},
		{"bad level", s.admin, append([]string{"check", "--user", "ciso@contoso.example", "--capability", "incidents.view", "--level", "max"}, ws...),
			[]string{`--level "max": want full or limited`}},
		{"delete without --yes", s.admin, []string{"workspaces", "delete", "contoso", "--org", "northwind"},
			[]string{"add --yes"}},
		{"bad output", s.admin, []string{"orgs", "list", "-o", "yaml"},
			[]string{`--output "yaml": want table or json`}},
		{"no key", "", []string{"orgs", "list", "--server", s.url},
			[]string{"error: no API key", "gatehouse login", "gatehouse keys create"}},
		{"refused key", "ghk_not-a-key", []string{"orgs", "list"},
			[]string{"the key was refused"}},
		{"server down", "", []string{"orgs", "list", "--server", "http://127.0.0.1:1", "--key", "ghk_x"},
			[]string{"cannot reach Gatehouse at http://127.0.0.1:1"}},
		{"operator cannot touch a directory", s.operator, append([]string{"users", "create", "op@contoso.example", "--given-name", "Op"}, ws...),
			[]string{"error: the platform operator manages organizations, not their directories"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.revision()
			out, errOut, code := s.run(tt.key, tt.args...)
			if code == 0 {
				t.Fatalf("gatehouse %s: exit 0, want non-zero; stdout %q", strings.Join(tt.args, " "), out)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			wantAll(t, "stderr", errOut, tt.want...)
			if after := s.revision(); after != before {
				t.Errorf("revision = %d after a refused command, want %d (nothing changed)", after, before)
			}
		})
	}
}

func TestCLIWorkspaceAdminStaysInItsWorkspace(t *testing.T) {
	s := startCLIServer(t)
	out := s.mustRun(t, s.admin, "keys", "create", "--org", "northwind", "--workspace", "contoso", "--user", "it-admin@contoso.example", "--name", "laptop")
	key := keyRE.FindString(out)
	if key == "" {
		t.Fatalf("keys create printed no key: %q", out)
	}
	s.mustRun(t, key, "users", "list", "--org", "northwind", "--workspace", "contoso") // its own workspace works
	s.mustRun(t, s.operator, "orgs", "create", "Acme", "--admin-email", "ana@acme.example", "--admin-given-name", "Ana")

	other := []string{"--org", "northwind", "--workspace", "fabrikam"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"list users", append([]string{"users", "list"}, other...), "error: workspace not found"},
		{"create user", append([]string{"users", "create", "eve@fabrikam.example", "--given-name", "Eve"}, other...), "error: workspace not found"},
		{"create group", append([]string{"groups", "create", "Takeover"}, other...), "error: workspace not found"},
		{"assign", append([]string{"assign", "--user", "it-admin@contoso.example", "--role", "admin"}, other...), "error: workspace not found"},
		{"assignments", append([]string{"assignments", "list"}, other...), "error: workspace not found"},
		{"audit", append([]string{"audit", "list"}, other...), "error: workspace not found"},
		{"organization users", []string{"users", "list", "--org", "northwind"}, "error: organization-level lists are visible to organization users only"},
		{"another organization", []string{"workspaces", "list", "--org", "acme"}, "error: organization not found"},
	}
	t.Run("org admin and another organization", func(t *testing.T) {
		if _, errOut, code := s.run(s.admin, "users", "list", "--org", "acme"); code == 0 || !strings.Contains(errOut, "error: organization not found") {
			t.Errorf("northwind's admin lists acme's users: exit %d, stderr %q; want non-zero, organization not found", code, errOut)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.revision()
			out, errOut, code := s.run(key, tt.args...)
			if code == 0 {
				t.Fatalf("gatehouse %s with a Contoso admin's key: exit 0, want non-zero; stdout %q", strings.Join(tt.args, " "), out)
			}
			wantAll(t, "stderr", errOut, tt.want)
			if after := s.revision(); after != before {
				t.Errorf("revision = %d, want %d (nothing changed)", after, before)
			}
		})
	}
}

func TestCLILogin(t *testing.T) {
	s := startCLIServer(t)
	out := s.mustRun(t, "", "login", "--server", s.url, "--key", s.admin)
	wantAll(t, "login", out, "The key sees 1 organization(s): northwind")
	path := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "gatehouse", "config.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("login saved no %s: %v", path, err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s mode = %o, want 600 (it holds a key)", path, perm)
	}
	out = s.mustRun(t, "", "workspaces", "list", "--org", "northwind") // no flags: the saved login
	wantAll(t, "workspaces list after login", out, "contoso", "fabrikam")

	// The saved key goes to the saved server only.
	if _, errOut, code := s.run("", "orgs", "list", "--server", "http://127.0.0.1:1"); code == 0 || !strings.Contains(errOut, "no API key") {
		t.Errorf("orgs list --server elsewhere after login: exit %d, stderr %q; want non-zero and no API key", code, errOut)
	}
	if _, errOut, code := s.run("", "login", "--server", s.url, "--key", "ghk_wrong"); code == 0 || !strings.Contains(errOut, "the key was refused") {
		t.Errorf("login with a wrong key: exit %d, stderr %q; want non-zero and the key refused", code, errOut)
	}
}

func TestCLIClientErrors(t *testing.T) {
	s := startCLIServer(t)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<h1>upstream down</h1>"))
	}))
	t.Cleanup(proxy.Close)
	ctx := context.Background()
	tests := []struct {
		name   string
		client *ghttp.Client
		method string
		path   string
		body   any
		want   ghttp.APIError // RequestID is only checked to be set when the server is Gatehouse
		text   string         // in Error()
	}{
		{"invalid input", ghttp.NewClient(s.url, s.admin, nil), "POST", "/v1/orgs/northwind/workspaces/contoso/users",
			map[string]string{"email": "nope", "given_name": "N"},
			ghttp.APIError{Status: 400, Code: "invalid_input", Detail: "some fields are invalid",
				Fields: map[string]string{"email": "must be an email address such as ana@example.com"}},
			"some fields are invalid; email must be an email address such as ana@example.com (400 invalid_input, request "},
		{"not found", ghttp.NewClient(s.url, s.admin, nil), "GET", "/v1/orgs/northwind/workspaces/nowhere", nil,
			ghttp.APIError{Status: 404, Code: "workspace_not_found", Detail: "workspace not found"},
			"workspace not found (404 workspace_not_found"},
		{"bad key", ghttp.NewClient(s.url, "ghk_wrong", nil), "GET", "/v1/orgs", nil,
			ghttp.APIError{Status: 401, Code: "invalid_credentials", Detail: "the API key is missing, unknown, expired or no longer valid"},
			"(401 invalid_credentials"},
		{"not problem+json", ghttp.NewClient(proxy.URL, "k", nil), "GET", "/v1/orgs", nil,
			ghttp.APIError{Status: 502, Code: "http_502", Detail: "the server answered 502 Bad Gateway: <h1>upstream down</h1>"},
			"the server answered 502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.client.Do(ctx, tt.method, tt.path, tt.body, nil)
			var got *ghttp.APIError
			if !errors.As(err, &got) {
				t.Fatalf("Do(%s %s) = %v, want *APIError", tt.method, tt.path, err)
			}
			if tt.client.BaseURL == s.url && got.RequestID == "" {
				t.Errorf("RequestID is empty, want the server's request id")
			}
			want := tt.want
			want.RequestID = got.RequestID
			if got.Status != want.Status || got.Code != want.Code || got.Detail != want.Detail || !equalFields(got.Fields, want.Fields) {
				t.Errorf("Do(%s %s) = %+v, want %+v", tt.method, tt.path, *got, want)
			}
			if !strings.Contains(got.Error(), tt.text) {
				t.Errorf("Error() = %q, want it to contain %q", got.Error(), tt.text)
			}
		})
	}

}

func TestCLIClientBatch(t *testing.T) {
	s := startCLIServer(t)
	ctx := context.Background()
	c := ghttp.NewClient(s.url, s.admin, nil)
	rev := s.revision()
	res, got, err := c.CheckBatch(ctx, []ghttp.CheckRequest{
		{Org: "northwind", User: "lee.chen@northwind.example", Workspace: "contoso", Capability: "incidents.close", Consistency: &ghttp.Consistency{AtLeastRevision: rev}},
		{Org: "northwind", User: "ghost@northwind.example", Workspace: "contoso", Capability: "incidents.close"},
		{Org: "northwind", User: "sam.okafor@northwind.example", Workspace: "contoso", Capability: "incidents.close"},
	})
	if err != nil || len(res) != 3 || got < rev {
		t.Fatalf("CheckBatch = %d results, revision %d, %v; want 3, at least %d, nil", len(res), got, err, rev)
	}
	var ae *ghttp.APIError
	if !res[0].Allowed || res[0].Err != nil || !errors.As(res[1].Err, &ae) || ae.Status != 404 || res[2].Allowed || res[2].Err != nil {
		t.Errorf("CheckBatch = %+v, want allowed, a 404 error, denied", res)
	}
}

// TestCLIClientReadsItsWrites passes the revision a change returned to the
// questions that follow, as the platform's services do after a grant.
func TestCLIClientReadsItsWrites(t *testing.T) {
	s := startCLIServer(t)
	ctx := context.Background()
	c := ghttp.NewClient(s.url, s.admin, nil)
	var users directory.List[*gh.User]
	if err := c.Do(ctx, "GET", "/v1/orgs/northwind/users?q=sam.okafor", nil, &users); err != nil || len(users.Items) != 1 {
		t.Fatalf("find sam.okafor: %d users, %v", len(users.Items), err)
	}
	sam := users.Items[0]
	var a directory.AssignmentView
	if err := c.Do(ctx, "POST", "/v1/orgs/northwind/workspaces/fabrikam/assignments",
		map[string]any{"principal": gh.UserPrincipal(sam.ID), "role": "incident_responder"}, &a); err != nil {
		t.Fatalf("assign: %v", err)
	}
	after := &ghttp.Consistency{AtLeastRevision: a.Revision}
	q := ghttp.CheckRequest{Org: "northwind", User: sam.Email, Workspace: "fabrikam", Capability: "incidents.close", Consistency: after}

	d, err := c.Check(ctx, q)
	if err != nil || !d.Allowed || d.Revision < a.Revision {
		t.Errorf("Check = %+v, %v; want allowed at revision %d or later", d, err, a.Revision)
	}
	e, err := c.Explain(ctx, q)
	if err != nil || !e.Allowed || len(e.Paths) == 0 || e.Paths[0].Principal != gh.UserPrincipal(sam.ID) {
		t.Errorf("Explain = %+v, %v; want allowed through sam's own assignment", e, err)
	}
	wss, _, err := c.LookupWorkspaces(ctx, ghttp.CheckRequest{Org: "northwind", User: sam.Email, Capability: "incidents.close", Consistency: after})
	if err != nil || len(wss) != 1 || wss[0].Name != "Fabrikam" {
		t.Errorf("LookupWorkspaces = %+v, %v; want only Fabrikam", wss, err)
	}
	us, _, err := c.LookupUsers(ctx, ghttp.CheckRequest{Org: "northwind", Workspace: "fabrikam", Capability: "incidents.close", Level: gh.LevelLimited, Consistency: after})
	found := false
	for _, u := range us {
		found = found || u.User == sam.ID
	}
	if err != nil || !found {
		t.Errorf("LookupUsers = %+v, %v; want sam.okafor among them", us, err)
	}
}

func equalFields(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCLIGuard(t *testing.T) {
	s := startCLIServer(t)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("closed")) })
	who := func(r *http.Request) (string, string) { return r.Header.Get("X-User"), r.URL.Query().Get("ws") }
	up := ghttp.NewClient(s.url, s.admin, nil)
	var users directory.List[*gh.User]
	if err := up.Do(context.Background(), "GET", "/v1/orgs/northwind/workspaces/contoso/users?q=it-admin", nil, &users); err != nil || len(users.Items) != 1 {
		t.Fatalf("find it-admin@contoso.example: %d users, %v", len(users.Items), err)
	}
	tests := []struct {
		name   string
		client *ghttp.Client
		user   string
		ws     string
		want   int
	}{
		{"allowed through a group", up, "lee.chen@northwind.example", "contoso", http.StatusOK},
		{"allowed by user id", up, string(users.Items[0].ID), "contoso", http.StatusOK},
		{"denied", up, "sam.okafor@northwind.example", "contoso", http.StatusForbidden},
		{"workspace user elsewhere", up, "it-admin@contoso.example", "fabrikam", http.StatusForbidden},
		{"unknown user", up, "ghost@northwind.example", "contoso", http.StatusForbidden},
		{"unknown workspace", up, "lee.chen@northwind.example", "nowhere", http.StatusForbidden},
		{"no user", up, "", "contoso", http.StatusForbidden},
		{"gatehouse unreachable", ghttp.NewClient("http://127.0.0.1:1", s.admin, nil), "lee.chen@northwind.example", "contoso", http.StatusServiceUnavailable},
		{"gatehouse refuses our key", ghttp.NewClient(s.url, "ghk_wrong", nil), "lee.chen@northwind.example", "contoso", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ghttp.Guard(tt.client, "incidents.close", who)(app)
			req := httptest.NewRequest("POST", "/incidents/42/close?ws="+tt.ws, nil)
			req.Header.Set("X-User", tt.user)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("Guard(%s in %s) = %d %q, want %d", tt.user, tt.ws, rec.Code, rec.Body.String(), tt.want)
			}
			if ran := rec.Body.String() == "closed"; ran != (tt.want == http.StatusOK) {
				t.Errorf("Guard(%s in %s) ran the handler = %v, want %v", tt.user, tt.ws, ran, tt.want == http.StatusOK)
			}
		})
	}
}

func TestCLIImportAndExport(t *testing.T) {
	s := startCLIServer(t)
	ws := []string{"--org", "northwind", "--workspace", "contoso"}
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte("email,first_name,last_name,role,group\nann@contoso.example,Ann,Ames,Incident Analyst,\nnot-an-email,Bad,Row,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := s.revision()
	_, errOut, code := s.run(s.admin, append([]string{"users", "import", file}, ws...)...)
	if code == 0 || !strings.Contains(errOut, "nothing was imported") || !strings.Contains(errOut, "line 3.email") || s.revision() != before {
		t.Fatalf("import with a bad row: exit %d, stderr %q; want a failure naming line 3 and no change", code, errOut)
	}
	out := s.mustRun(t, s.admin, append([]string{"users", "import", file, "--valid-only"}, ws...)...)
	wantAll(t, "import --valid-only", out, "Imported 1 users", "skipped line 3")
	csvOut := s.mustRun(t, s.admin, append([]string{"users", "export"}, ws...)...)
	wantAll(t, "users export", csvOut, "id,email,first_name", "ann@contoso.example,Ann,Ames,active")
	access := s.mustRun(t, s.admin, append([]string{"access", "export"}, ws...)...)
	wantAll(t, "access export", access, "Contoso", "ann@contoso.example", "Incident Analyst", "nina.berg@northwind.example", "Night Shift > SOC Tier 1")
}

func TestCLIInvitesAndShowsTheOutbox(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	out := s.mustRun(t, s.admin, append([]string{"users", "invite", "kim@northwind.example", "--given-name", "Kim"}, org...)...)
	wantAll(t, "users invite", out, "Invited kim@northwind.example")
	out = s.mustRun(t, s.admin, append([]string{"mail", "list"}, org...)...)
	wantAll(t, "mail list", out, "invitation", "kim@northwind.example")
	out = s.mustRun(t, s.admin, append([]string{"users", "reset-mfa", "sam.okafor@northwind.example"}, org...)...)
	wantAll(t, "users reset-mfa", out, "Second factor of sam.okafor@northwind.example removed")
	if _, errOut, code := s.run(s.admin, append([]string{"users", "invite", "not-an-email", "--given-name", "X"}, org...)...); code == 0 || !strings.Contains(errOut, "email") {
		t.Errorf("inviting a bad address: exit %d, stderr %q; want a failure naming the email", code, errOut)
	}
}

func TestCLICapabilities(t *testing.T) {
	s := startCLIServer(t)
	ws := []string{"--org", "northwind", "--workspace", "contoso"}
	before := s.revision()
	for _, bad := range []struct {
		key  string
		args []string
		want string
	}{
		{s.admin, []string{"capabilities", "add", "vulns.triage", "--description", "Triage findings"}, "only the platform operator may add capabilities"},
		{s.operator, []string{"capabilities", "add", "vulns.triage", "--description", "Triage", "--builtin", "incident_analyst=max"}, `--builtin "incident_analyst=max"`},
		{s.operator, []string{"capabilities", "add", "vulns.triage"}, "description: is required"},
		{s.operator, []string{"capabilities", "add", "incidents.view", "--description", "again"}, "already has this capability"},
	} {
		if out, errOut, code := s.run(bad.key, bad.args...); code == 0 || out != "" || !strings.Contains(errOut, bad.want) {
			t.Errorf("gatehouse %s: exit %d, stdout %q, stderr %q; want a failure saying %q", strings.Join(bad.args, " "), code, out, errOut, bad.want)
		}
	}
	if s.revision() != before {
		t.Fatalf("refused commands changed the directory")
	}
	out := s.mustRun(t, s.operator, "capabilities", "add", "vulns.triage", "--description", "Triage findings", "--builtin", "incident_analyst=limited")
	wantAll(t, "capabilities add", out, "Added capability vulns.triage; Admin and 1 other built-in role(s) hold it.")
	wantAll(t, "capabilities list", s.mustRun(t, s.admin, "capabilities", "list"), "vulns.triage", "workspace", "added", "Triage findings", "incidents.view", "built-in")
	check := append([]string{"check", "--user", "nina.berg@northwind.example", "--capability", "vulns.triage"}, ws...)
	wantAll(t, "check at limited", s.mustRun(t, s.admin, append(check, "--level", "limited")...), "allowed: nina.berg@northwind.example has vulns.triage at level limited")
	if out, _, code := s.run(s.admin, check...); code != 1 || !strings.Contains(out, "denied") {
		t.Errorf("check at full: exit %d, stdout %q; want 1 and denied", code, out)
	}
	s.mustRun(t, s.admin, "roles", "create", "Vuln Triage", "--org", "northwind", "--grant", "vulns.triage=full")
	if _, errOut, code := s.run(s.operator, "capabilities", "remove", "vulns.triage"); code == 0 || !strings.Contains(errOut, "custom roles grant this capability: Vuln Triage") {
		t.Errorf("remove while a role grants it: exit %d, stderr %q", code, errOut)
	}
}

// The operator can no longer make itself a key in an organization whose admin
// has one of their own, but can recover it, loudly.
func TestCLIOperatorRecovery(t *testing.T) {
	s := startCLIServer(t)
	args := []string{"keys", "create", "--org", "northwind", "--user", "admin@northwind.example"}
	if _, errOut, code := s.run(s.operator, args...); code == 0 || !strings.Contains(errOut, "only a recovery key") {
		t.Errorf("operator keys create: exit %d, stderr %q; want non-zero, only a recovery key", code, errOut)
	}
	out := s.mustRun(t, s.operator, "orgs", "recover", "--org", "northwind", "--user", "admin@northwind.example")
	wantAll(t, "orgs recover", out, "Recovery key", "from any address", "security contacts have been told")
	key := keyRE.FindString(out)
	s.mustRun(t, key, "workspaces", "list", "--org", "northwind")
	audit := s.mustRun(t, s.admin, "audit", "list", "--org", "northwind", "--limit", "5")
	wantAll(t, "audit list", audit, "org.recover")
	if _, errOut, code := s.run(s.admin, "orgs", "recover", "--org", "northwind"); code == 0 || !strings.Contains(errOut, "only the platform operator") {
		t.Errorf("an admin's orgs recover: exit %d, stderr %q; want refused", code, errOut)
	}
}

// TestCLILookupPages reads a lookup whole (with the paths, as before), one
// page at a time with --limit and --cursor, and without paths.
func TestCLILookupPages(t *testing.T) {
	s := startCLIServer(t)
	ask := []string{"lookup", "workspaces", "--org", "northwind", "--user", "lee.chen@northwind.example", "--capability", "incidents.view"}
	var whole ghttp.LookupList[engine.WorkspaceAccess]
	if err := json.Unmarshal([]byte(s.mustRun(t, s.admin, append(ask, "-o", "json")...)), &whole); err != nil {
		t.Fatal(err)
	}
	if len(whole.Items) < 2 || whole.Revision == 0 || whole.Next != "" || len(whole.Items[0].Paths) == 0 {
		t.Fatalf("lookup -o json = %+v; want every workspace (at least 2) with paths and the revision", whole)
	}
	table := s.mustRun(t, s.admin, ask...)
	if !strings.Contains(table, "THROUGH") || !strings.Contains(table, whole.Items[len(whole.Items)-1].Name) {
		t.Errorf("lookup =\n%s\nwant every workspace with how it is reached", table)
	}

	first := s.mustRun(t, s.admin, append(ask, "--limit", "1")...)
	cursor := regexp.MustCompile(`\(more: add --cursor (\S+)\)`).FindStringSubmatch(first)
	if cursor == nil || !strings.Contains(first, whole.Items[0].Name) || strings.Contains(first, whole.Items[1].Name) {
		t.Fatalf("lookup --limit 1 =\n%s\nwant %s alone and how to read on", first, whole.Items[0].Name)
	}
	rest := s.mustRun(t, s.admin, append(ask, "--cursor", cursor[1], "--paths=false")...)
	if strings.Contains(rest, "THROUGH") || strings.Contains(rest, whole.Items[0].Name) || !strings.Contains(rest, whole.Items[1].Name) || strings.Contains(rest, "more:") {
		t.Errorf("lookup --cursor %s --paths=false =\n%s\nwant the rest, without paths", cursor[1], rest)
	}
}

func TestCLIBulkActionsAndInvitesMany(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	before := s.revision()
	out := s.mustRun(t, s.admin, append([]string{"users", "bulk", "--filter", "group=SOC Tier 1,status=active", "--action", "disable", "--preview"}, org...)...)
	wantAll(t, "users bulk --preview", out, "sam.okafor@northwind.example", "nina.berg@northwind.example", "would_change", "Nothing was changed")
	if s.revision() != before {
		t.Fatalf("a preview changed the directory")
	}
	out = s.mustRun(t, s.admin, append([]string{"users", "bulk", "--users", "sam.okafor@northwind.example,nobody@northwind.example", "--action", "disable"}, org...)...)
	wantAll(t, "users bulk", out, "sam.okafor@northwind.example", "done", "Not found: nobody@northwind.example", "disable for 1 users: 1 done")
	before = s.revision()
	if _, errOut, code := s.run(s.admin, append([]string{"users", "bulk", "--filter", "home=org,status=active", "--action", "disable", "--all-or-nothing"}, org...)...); code == 0 || !strings.Contains(errOut, "admin@northwind.example: admin@northwind.example is the last active Organization Admin") || s.revision() != before {
		t.Errorf("disabling everyone all or nothing: exit %d, stderr %q; want a refusal naming the last admin, and no change", code, errOut)
	}
	out = s.mustRun(t, s.admin, append([]string{"users", "invite", "kim@northwind.example", "lu@northwind.example",
		"--role", "incident_analyst", "--role-workspace", "contoso", "--group", "SOC Tier 2"}, org...)...)
	wantAll(t, "users invite many", out, "kim@northwind.example", "lu@northwind.example", "Invited 2 people")
	if _, errOut, code := s.run(s.admin, append([]string{"users", "bulk", "--filter", "colour=blue", "--action", "disable"}, org...)...); code == 0 || !strings.Contains(errOut, "the keys are") {
		t.Errorf("a bad filter: exit %d, stderr %q; want a usage failure", code, errOut)
	}
}

// The operator sets an organization's seats; its admin shares them out and
// sees them used.
func TestCLISeats(t *testing.T) {
	s := startCLIServer(t)
	wantAll(t, "orgs update", s.mustRun(t, s.operator, "orgs", "update", "northwind", "--seats", "500"), "Seats:", "of 500 used")
	if _, errOut, code := s.run(s.admin, "orgs", "update", "northwind", "--seats", "900"); code == 0 || !strings.Contains(errOut, "only the platform operator") {
		t.Errorf("an admin's orgs update --seats: exit %d, stderr %q; want refused", code, errOut)
	}
	wantAll(t, "workspaces update", s.mustRun(t, s.admin, "workspaces", "update", "contoso", "--org", "northwind", "--seats", "40"), "seats", "of 40 used")
	wantAll(t, "workspaces get", s.mustRun(t, s.admin, "workspaces", "get", "contoso", "--org", "northwind"), "Seats:", "of 40 used")
	wantAll(t, "orgs get", s.mustRun(t, s.admin, "orgs", "get", "northwind"), "of 500 used")
	if _, errOut, code := s.run(s.admin, "workspaces", "update", "fabrikam", "--org", "northwind", "--seats", "480"); code == 0 || !strings.Contains(errOut, "more than the organization's 500 seats") {
		t.Errorf("shares over the total: exit %d, stderr %q; want refused", code, errOut)
	}
}
