package scim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/scim"
	"gatehouse.dev/gatehouse/sqlite"
)

// stores opens a fresh store of each kind; every test runs on both.
var stores = []struct {
	name string
	open func(t *testing.T) gh.Store
}{
	{"sqlite", func(t *testing.T) gh.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		return s
	}},
	{"postgres", func(t *testing.T) gh.Store {
		s, err := postgres.Open(context.Background(), postgrestest.DSN(t))
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		return s
	}},
}

// env is the real HTTP server with SCIM mounted, over a real store, with
// an organization that has a SCIM directory and a workspace that has one.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	dir    *directory.Directory
	store  gh.Store
	org    *gh.Org
	ws     *gh.Workspace
	orgDir *gh.ExternalDirectory
	wsDir  *gh.ExternalDirectory
	token  string // the organization's directory's
	wsTok  string // the workspace's directory's
}

func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { fn(t, newEnv(t, s.open(t))) })
	}
}

func newEnv(t *testing.T, store gh.Store) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), log, time.Now)
	if err := dir.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	server := ghttp.New(dir, log)
	scim.New(dir, log).Mount(server)
	server.SetReady(true)
	srv := httptest.NewServer(server.Handler())
	t.Cleanup(func() {
		srv.Close()
		store.Close()
	})
	e := &env{t: t, srv: srv, dir: dir, store: store}
	sys := directory.SystemActor("test")
	o, _, _, err := dir.CreateOrg(ctx, sys, directory.OrgInput{Name: "Acme", Admin: directory.UserInput{Email: "admin@acme.test", GivenName: "Ada"}})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	e.org = o
	if e.ws, _, err = dir.CreateWorkspace(ctx, sys, o, directory.WorkspaceInput{Name: "Blue"}); err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	e.orgDir, e.token = e.connect(directory.Scope{Org: o}, "Entra")
	e.wsDir, e.wsTok = e.connect(directory.Scope{Org: o, Workspace: e.ws}, "Okta")
	return e
}

// connect connects a SCIM directory to the scope's home and mints its token.
func (e *env) connect(s directory.Scope, name string) (*gh.ExternalDirectory, string) {
	e.t.Helper()
	ctx := context.Background()
	sys := directory.SystemActor("test")
	x := &gh.ExternalDirectory{ID: gh.ExternalDirectoryID(gh.NewID("xd")), Type: gh.DirectorySCIM, Name: name}
	if _, err := e.dir.CreateExternalDirectory(ctx, sys, s, x, ""); err != nil {
		e.t.Fatalf("connect directory: %v", err)
	}
	_, secret, _, err := e.dir.NewDirectoryToken(ctx, sys, s, x.ID)
	if err != nil {
		e.t.Fatalf("directory token: %v", err)
	}
	return x, secret.Reveal()
}

// obj is a decoded JSON answer with dotted-path accessors.
type obj map[string]any

func (o obj) get(path string) any {
	var cur any = map[string]any(o)
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i := 0
			for _, ch := range part {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func (o obj) str(path string) string {
	s, _ := o.get(path).(string)
	return s
}

func (o obj) num(path string) int {
	f, _ := o.get(path).(float64)
	return int(f)
}

func (o obj) list(path string) []any {
	l, _ := o.get(path).([]any)
	return l
}

// answer is a response: status, headers and decoded body.
type answer struct {
	status int
	header http.Header
	body   obj
}

// call sends a SCIM request with a bearer token; body is sent as is.
func (e *env) call(token, method, path, body string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/scim/v2"+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: obj{}}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return a
}

// must sends a request and fails unless it answers want.
func (e *env) must(token, method, path, body string, want int) obj {
	e.t.Helper()
	a := e.call(token, method, path, body)
	if a.status != want {
		e.t.Fatalf("%s %s = %d %v, want %d", method, path, a.status, a.body, want)
	}
	if a.status != http.StatusNoContent {
		if ct := a.header.Get("Content-Type"); ct != "application/scim+json" {
			e.t.Fatalf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
	}
	return a.body
}

// refused sends a request and fails unless it answers a SCIM error with
// that status and scimType ("" for none).
func (e *env) refused(token, method, path, body string, status int, scimType string) obj {
	e.t.Helper()
	b := e.must(token, method, path, body, status)
	if got := b.list("schemas"); len(got) != 1 || got[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		e.t.Fatalf("%s %s: schemas %v, want the SCIM error schema", method, path, got)
	}
	if b.str("status") != itoa(status) || b.str("scimType") != scimType {
		e.t.Fatalf("%s %s: status %q scimType %q, want %d %q (%v)", method, path, b.str("status"), b.str("scimType"), status, scimType, b)
	}
	return b
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// filter is a list query with the filter URL-encoded, as clients send it.
func filter(kind, f string, extra ...string) string {
	q := "/" + kind + "?filter=" + url.QueryEscape(f)
	for _, x := range extra {
		q += "&" + x
	}
	return q
}

// events is the organization's events, newest first.
func (e *env) events() []*gh.Event {
	e.t.Helper()
	evs, err := e.store.ListEvents(context.Background(), gh.EventFilter{Org: e.org.ID, Limit: 1000})
	if err != nil {
		e.t.Fatalf("events: %v", err)
	}
	return evs
}

// state is what must not change when a request is refused: the number of
// events, and so of changes, in the organization.
func (e *env) state() int { return len(e.events()) }

func (e *env) unchanged(before int, what string) {
	e.t.Helper()
	if after := e.state(); after != before {
		e.t.Fatalf("%s: %d events after, %d before: something changed", what, after, before)
	}
}

// user is a user as the directory holds it.
func (e *env) user(id string) *gh.User {
	u := e.dir.Index().User(gh.UserID(id))
	if u == nil {
		e.t.Fatalf("user %s does not exist", id)
	}
	return u
}

// ext is a user's enterprise extension.
func ext(u obj) obj {
	m, _ := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	return m
}
