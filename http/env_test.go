package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/provision"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sqlite"
	"gatehouse.dev/gatehouse/sso"
)

// stores opens a fresh store of each kind; every behavioural test runs on both.
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

// env is a real server over a real store, driven over HTTP.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	dir      *directory.Directory
	server   *ghttp.Server
	store    gh.Store
	signin   *signin.Service
	clock    *testClock    // every part of the server reads this clock
	logs     *lockedBuffer // everything the server logged, as JSON lines
	operator string
	sso      *sso.Service
	prov     *provision.Service
	// dns is the DNS server (host:port) domain proofs are looked up at;
	// tests that prove domains start one.
	dns atomic.Value
}

const operatorKey = "test-operator-key-0123456789abcdef"

// forEachStore runs fn against a fresh server on every store kind.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			fn(t, newEnv(t, s.open(t)))
		})
	}
}

// newEnv starts a server on store; opts adjust the sign-in service's settings.
func newEnv(t *testing.T, store gh.Store, opts ...func(*signin.Config)) *env {
	t.Helper()
	ctx := context.Background()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &testClock{t: time.Now().UTC().Truncate(time.Microsecond)} // as stored: a report at the instant of an event must see it
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), log, clock.Now)
	if err := dir.Load(ctx); err != nil {
		t.Fatalf("load: %v", err)
	}
	if _, err := dir.EnsureOperatorKey(ctx, operatorKey); err != nil {
		t.Fatalf("operator key: %v", err)
	}
	s := ghttp.New(dir, log)
	sealer, err := auth.NewSealer("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=") // a fixed test key
	if err != nil {
		t.Fatal(err)
	}
	// The listener exists before the server starts: its address is the
	// public URL that identity providers send browsers back to.
	srv := httptest.NewUnstartedServer(nil)
	prov := provision.New(dir, provision.Config{PublicURL: "http://" + srv.Listener.Addr().String(), Sealer: sealer}, log)
	cfg := signin.Config{Params: auth.FastParams, PublicURL: "https://gatehouse.test", Sealer: sealer,
		DirectoryPassword: prov.CheckPassword}
	for _, o := range opts {
		o(&cfg)
	}
	svc := signin.New(dir, store, cfg, log)
	s.EnableSignin(svc, ghttp.SigninOptions{})
	e := &env{t: t, srv: srv, dir: dir, server: s, operator: operatorKey, store: store, clock: clock, logs: logs, signin: svc, prov: prov}
	e.sso = sso.New(dir, svc, sso.Config{PublicURL: "http://" + srv.Listener.Addr().String(), Sealer: sealer, LookupTXT: e.lookupTXT}, log)
	s.EnableSSO(e.sso)
	s.EnableDirectories(e.prov)
	s.SetReady(true)
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		store.Close()
	})
	return e
}

// lookupTXT asks the test's DNS server, when it started one.
func (e *env) lookupTXT(ctx context.Context, name string) ([]string, error) {
	addr, _ := e.dns.Load().(string)
	if addr == "" {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return r.LookupTXT(ctx, name)
}

// testClock is a clock tests move by hand, for expiry, lockout windows and TOTP steps.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
			var i int
			if _, err := fmt.Sscan(part, &i); err != nil || i >= len(c) {
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

func (o obj) num(path string) int64 {
	f, _ := o.get(path).(float64)
	return int64(f)
}

func (o obj) list(path string) []any {
	l, _ := o.get(path).([]any)
	return l
}

// call sends a request with an API key (none when key is empty) and returns
// the status, decoded body and response.
func (e *env) call(key, method, path string, body any, headers ...string) (int, obj, *http.Response) {
	e.t.Helper()
	if key != "" {
		headers = append([]string{"Authorization", "Bearer " + key}, headers...)
	}
	return e.callWith(e.srv.Client(), method, path, body, headers...)
}

// callWith sends a request through a given client (one with a cookie jar, say).
func (e *env) callWith(c *http.Client, method, path string, body any, headers ...string) (int, obj, *http.Response) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := obj{}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out, resp
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(key, method, path string, body any, want int) obj {
	e.t.Helper()
	got, out, _ := e.call(key, method, path, body)
	if got != want {
		e.t.Fatalf("%s %s = %d %v, want %d", method, path, got, out, want)
	}
	return out
}

// org creates an organization and returns its slug, its admin's id and a key for the admin.
func (e *env) org(slug string) (adminID, adminKey string) {
	e.t.Helper()
	o := e.must(e.operator, "POST", "/v1/orgs", obj{"name": slug + " Security", "slug": slug,
		"admin": obj{"email": "admin@" + slug + ".example", "given_name": "Ada", "family_name": "Admin"}}, 201)
	adminID = o.str("admin.id")
	return adminID, e.key(slug, adminID)
}

// key makes a personal key for a user, as the operator.
func (e *env) key(org, userID string) string {
	e.t.Helper()
	return e.must(e.operator, "POST", "/v1/orgs/"+org+"/users/"+userID+"/keys", obj{"name": "test"}, 201).str("key")
}

// create POSTs and returns the new object's id.
func (e *env) create(key, path string, body any) string {
	e.t.Helper()
	return e.must(key, "POST", path, body, 201).str("id")
}

func (e *env) user(key, path, email string) string {
	e.t.Helper()
	return e.create(key, path+"/users", obj{"email": email, "given_name": strings.Split(email, "@")[0]})
}

func (e *env) addMember(key, groupPath, typ, id string) {
	e.t.Helper()
	got, out, _ := e.call(key, "POST", groupPath+"/members", obj{"member": obj{"type": typ, "id": id}})
	if got != 201 && got != 200 {
		e.t.Fatalf("add %s %s to %s = %d %v", typ, id, groupPath, got, out)
	}
}

func (e *env) assign(key, org, ws, typ, id, role string) obj {
	e.t.Helper()
	got, out, _ := e.call(key, "POST", "/v1/orgs/"+org+"/workspaces/"+ws+"/assignments",
		obj{"principal": obj{"type": typ, "id": id}, "role": role})
	if got != 201 && got != 200 {
		e.t.Fatalf("assign %s %s in %s = %d %v", typ, id, ws, got, out)
	}
	return out
}

// check asks /v1/check as key and returns whether it was allowed and at what level.
func (e *env) check(key, org, user, ws, capability string, level ...string) (bool, string) {
	e.t.Helper()
	body := obj{"org": org, "user": user, "workspace": ws, "capability": capability}
	if len(level) > 0 {
		body["level"] = level[0]
	}
	out := e.must(key, "POST", "/v1/check", body, 200)
	return out.get("allowed") == true, out.str("level")
}

func (e *env) head() gh.Revision { return e.dir.Index().Revision() }

// decode reads a JSON body into dst, failing the test on bad JSON.
func (e *env) decode(r io.Reader, dst any) {
	e.t.Helper()
	raw, _ := io.ReadAll(r)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, dst); err != nil {
			e.t.Fatalf("decode %q: %v", raw, err)
		}
	}
}

// storeLegacy writes a user change straight to the store, as data written
// before today's validation would be, and lets the server's index catch up.
func (e *env) storeLegacy(id string, edit func(u *gh.User)) {
	e.t.Helper()
	cur := e.dir.Index().User(gh.UserID(id))
	next := *cur
	edit(&next)
	err := e.store.Update(context.Background(), func(tx gh.Tx) error {
		next.Touch(tx.Next(), cur.UpdatedAt)
		return tx.Append(&gh.Event{Revision: tx.Next(), Org: cur.Org, Time: cur.UpdatedAt,
			Actor: gh.Actor{Type: gh.ActorSystem}, Action: "user.update", Target: gh.Target{Type: gh.KindUser, ID: id},
			Changes: []gh.Change{{Kind: gh.KindUser, ID: id, Before: gh.MustJSON(cur), After: gh.MustJSON(&next)}}})
	})
	if err != nil {
		e.t.Fatalf("store legacy user: %v", err)
	}
	if err := e.dir.CatchUp(context.Background()); err != nil {
		e.t.Fatalf("catch up: %v", err)
	}
}
