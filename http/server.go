// Package http serves Gatehouse's REST API under /v1, its health endpoints
// and its OpenAPI document. Handlers decode, call one directory method and
// encode; the rules live in package directory.
package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/provision"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sso"
)

// Server is the HTTP face of a directory.
type Server struct {
	dir    *directory.Directory
	log    *slog.Logger
	mux    *http.ServeMux
	ready  atomic.Bool
	routes []Route

	signin     *signin.Service // nil: no sign-in endpoints, API keys only
	signinOpts SigninOptions
	keyUsed    sync.Map   // key id → when this node last recorded its use
	mailKeeper MailKeeper // the demo's mail catcher; nil in production
	metrics    *metrics
	sso        *sso.Service       // nil: no single sign-on
	prov       *provision.Service // nil: no connected directories
	console    bool               // a console is mounted: signing in on a page leads to it
}

// Route is one registered endpoint, listed so the OpenAPI document can be checked against the server.
type Route struct {
	Method  string
	Pattern string
	Auth    bool
}

// New returns a server over dir. It answers /readyz with 503 until SetReady(true).
func New(dir *directory.Directory, log *slog.Logger) *Server {
	s := &Server{dir: dir, log: log, mux: http.NewServeMux()}
	s.metrics = newMetrics(s)
	s.register()
	return s
}

// SetReady says whether the index has caught up and the node may take traffic.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Routes lists every endpoint the server registered.
func (s *Server) Routes() []Route { return s.routes }

// Handler returns the root handler with the common middleware.
func (s *Server) Handler() http.Handler { return s.withRequestID(s.recoverPanics(s.mux)) }

// handler is an authenticated endpoint: it returns an error instead of writing one.
type handler func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error

// handle registers an authenticated endpoint.
func (s *Server) handle(method, pattern string, h handler) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Auth: true})
	reads := method == "GET" || questions[pattern]
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		a, r, err := s.authenticate(r, method+" "+pattern)
		if err == nil {
			err = checkQuery(r, method+" "+pattern)
		}
		switch {
		case err == nil && reads && a.User != nil:
			err = s.gatedRead(w, r, a, h)
		case err == nil:
			err = h(w, r, a)
		}
		if err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// gatedRead answers a read inside the organization's read gate, so that it
// never sees a group commit's writes before they are committed, and sends the
// answer once out of the gate: a client slow to take it must not hold off the
// organization's writers, and through them every other writer.
func (s *Server) gatedRead(w http.ResponseWriter, r *http.Request, a *directory.Actor, h handler) error {
	buf := answers.Get().(*bufferedAnswer) // checks pass here thousands of times a second
	buf.header, buf.status = w.Header(), http.StatusOK
	defer func() {
		if buf.body.Cap() <= 1<<20 { // an export's megabytes are not kept for the next check
			buf.header = nil
			buf.body.Reset()
			answers.Put(buf)
		}
	}()
	ctx, done := s.dir.ReadIn(r.Context(), a.User.Org)
	err := h(buf, r.WithContext(ctx), a)
	done()
	if err != nil {
		return err
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
	return nil
}

var answers = sync.Pool{New: func() any { return &bufferedAnswer{} }}

// bufferedAnswer keeps an answer's status and body; headers go to the real one.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header         { return b.header }
func (b *bufferedAnswer) WriteHeader(status int)      { b.status = status }
func (b *bufferedAnswer) Write(p []byte) (int, error) { return b.body.Write(p) }

// questions are the POST routes that only read: they pass the read gate like GETs.
var questions = map[string]bool{"/v1/check": true, "/v1/check/batch": true, "/v1/explain": true}

// handlePublic registers an endpoint that needs no key.
func (s *Server) handlePublic(method, pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r, method+" "+pattern); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		h(w, r)
	})
}

// authenticate finds the actor of a request: an API key in Authorization, or
// else a session cookie. A user's organization and own address ranges apply
// to every request, however it is authenticated.
func (s *Server) authenticate(r *http.Request, pattern string) (*directory.Actor, *http.Request, error) {
	var a *directory.Actor
	var err error
	if secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && secret != "" {
		a, err = s.dir.Authenticate(strings.TrimSpace(secret), gh.Source{IP: s.clientIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r), Via: via(r)})
	} else {
		a, r, err = s.authenticateSession(r, pattern)
	}
	if err != nil {
		return nil, r, err
	}
	if a.Key != "" {
		s.recordKeyUse(r, a)
	}
	if u := a.User; u != nil && !a.Recovery { // a recovery key is how a locked-out admin fixes the ranges
		o := s.dir.Index().Org(u.Org)
		if o == nil || !gh.AllowedFrom(o.Policy.AllowedCIDRs, a.Source.IP) || !gh.AllowedFrom(u.AllowedCIDRs, a.Source.IP) {
			return nil, r, gh.Errorf(gh.KindForbidden, "address_not_allowed", "your organization does not allow requests from this address")
		}
	}
	return a, r, nil
}

// via names the interface a request came from; the CLI says so in a header.
// recordKeyUse writes a key's last use at most once a minute per node, so
// that the check path is not a write per request.
func (s *Server) recordKeyUse(r *http.Request, a *directory.Actor) {
	now := s.dir.Now()
	if last, ok := s.keyUsed.Load(a.Key); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.keyUsed.Store(a.Key, now)
	if err := s.dir.Store().TouchKey(r.Context(), a.Key, now, a.Source.IP); err != nil {
		s.log.Warn("record key use", "err", err, "key_id", a.Key)
	}
}

func via(r *http.Request) string {
	if v := r.Header.Get("Gatehouse-Client"); v == "cli" {
		return "cli"
	}
	return "api"
}

type ctxKey struct{}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Request ids are a random prefix per process and a counter: unique across
// nodes and restarts in practice, and no random read per request.
var (
	idPrefix  = func() string { var b [6]byte; _, _ = rand.Read(b[:]); return hex.EncodeToString(b[:]) }()
	idCounter atomic.Uint64
)

func newRequestID() string {
	return idPrefix + strconv.FormatUint(idCounter.Add(1), 36)
}

// withRequestID gives every request an id (the caller's X-Request-Id when it is
// sane), echoes it, and logs the request once it is done.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || !requestIDRE.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(sw, r)
		route := r.Pattern // set by the mux for matched requests; "/" (the catch-all) for unknown paths
		if route == "" || route == "/" {
			route = "unmatched"
		}
		s.metrics.observe(route, sw.status, time.Since(start))
		if r.URL.Path != "/v1/check" && r.URL.Path != "/v1/check/batch" { // the hot path stays quiet
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id)
		}
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "value", v, "path", r.URL.Path, "request_id", requestID(r))
				writeError(w, r, s.log, gh.Errorf(gh.KindInternal, "internal", "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) register() {
	s.handlePublic("GET", "/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
	})
	s.handlePublic("GET", "/metrics", s.metrics.handler().ServeHTTP)
	s.handlePublic("GET", "/readyz", func(w http.ResponseWriter, r *http.Request) {
		body := readyBody{Ready: s.ready.Load(), Revision: s.dir.Index().Revision()}
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	s.handlePublic("GET", "/openapi.json", serveOpenAPI)
	s.mux.HandleFunc("/", s.unmatched)
	s.registerCatalogue()
	s.registerOrgs()
	s.registerWorkspaces()
	s.registerUsers()
	s.registerProfiles()
	s.registerGroups()
	s.registerRoles()
	s.registerAssignments()
	s.registerExclusions()
	s.registerTemplates()
	s.registerKeys()
	s.registerAccess()
	s.registerEvents()
	s.registerReports()
	s.registerCSV()
	s.registerBatch()
	s.registerWhatIf()
}
