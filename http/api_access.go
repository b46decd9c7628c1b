package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// checkRequest is the body of /v1/check and /v1/explain. A workspace
// capability needs a workspace; an organization capability is asked without one.
type checkRequest struct {
	Org         string                 `json:"org,omitempty"`
	User        string                 `json:"user"`
	Workspace   string                 `json:"workspace,omitempty"`
	Capability  gh.Capability          `json:"capability"`
	Level       string                 `json:"level,omitempty"`
	Consistency *directory.Consistency `json:"consistency,omitempty"`
}

func (c checkRequest) question() (directory.Question, error) {
	l, err := gh.ParseLevel(c.Level)
	return directory.Question{Org: c.Org, User: c.User, Workspace: c.Workspace, Capability: c.Capability, Level: l}, err
}

func (s *Server) await(r *http.Request, c *directory.Consistency) error {
	if c == nil {
		return nil
	}
	return s.dir.Await(r.Context(), *c)
}

func (s *Server) check(r *http.Request, a *directory.Actor, in checkRequest) (engine.Decision, error) {
	q, err := in.question()
	if err != nil {
		return engine.Decision{}, err
	}
	if ci, ok := s.dir.Catalogue().Lookup(in.Capability); ok && ci.Scope == gh.ScopeOrganization && in.Workspace == "" {
		return s.dir.CheckOrg(a, in.Org, in.User, in.Capability)
	}
	return s.dir.Check(a, q)
}

// strictest merges a batch's consistency with its questions' own: the batch
// waits once for the latest revision any of them asks for.
func strictest(c *directory.Consistency, qs []checkRequest) *directory.Consistency {
	out := directory.Consistency{}
	if c != nil {
		out = *c
	}
	for _, q := range qs {
		if q.Consistency != nil {
			out.AtLeastRevision = max(out.AtLeastRevision, q.Consistency.AtLeastRevision)
			out.FullyConsistent = out.FullyConsistent || q.Consistency.FullyConsistent
		}
	}
	return &out
}

// maxBatch bounds the questions of one batch check.
const maxBatch = 1000

// indexDigest is what GET /v1/index/digest answers.
type indexDigest struct {
	Revision gh.Revision `json:"revision"`
	Digest   string      `json:"digest"`
}

func (s *Server) registerAccess() {
	// Two nodes at the same revision must hold the same directory: the
	// operator compares their digests (and so do the restart tests).
	s.handle("GET", "/v1/index/digest", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		if !a.Operator {
			return gh.Forbidden("only the platform operator may read the index digest")
		}
		var c directory.Consistency
		c.FullyConsistent = r.URL.Query().Get("fully_consistent") == "true"
		if err := s.await(r, &c); err != nil {
			return err
		}
		idx := s.dir.Index()
		writeJSON(w, http.StatusOK, indexDigest{Revision: idx.Revision(), Digest: idx.Digest()})
		return nil
	})
	s.handle("POST", "/v1/check", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in checkRequest
		if err := decodeWith(w, r, &in, func(b []byte) bool { return fastCheck(b, &in) }); err != nil {
			return err
		}
		if err := s.await(r, in.Consistency); err != nil {
			return err
		}
		d, err := s.check(r, a, in)
		if err != nil {
			return err
		}
		s.metrics.countChecks(boolInt(d.Allowed), boolInt(!d.Allowed))
		writeRaw(w, appendDecision(make([]byte, 0, 64), d))
		return nil
	})
	s.handle("POST", "/v1/check/batch", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in batchCheckRequest
		if err := decodeWith(w, r, &in, func(b []byte) bool { return fastBatch(b, &in) }); err != nil {
			return err
		}
		if len(in.Checks) == 0 || len(in.Checks) > maxBatch {
			return gh.Invalid("invalid_input", "checks", "must hold 1 to 1000 questions")
		}
		if err := s.await(r, strictest(in.Consistency, in.Checks)); err != nil {
			return err
		}
		out := make([]batchCheckResult, len(in.Checks))
		var rev gh.Revision
		var allowed, denied int
		for i, c := range in.Checks {
			d, err := s.check(r, a, c)
			if err != nil {
				e := gh.AsError(err)
				st := Status(e)
				out[i].Error = &Problem{Type: "about:blank", Title: http.StatusText(st), Status: st, Code: e.Code, Detail: e.Message, Fields: e.Fields}
				continue
			}
			out[i].Decision = d
			rev = max(rev, d.Revision)
			if d.Allowed {
				allowed++
			} else {
				denied++
			}
		}
		s.metrics.countChecks(allowed, denied)
		writeRaw(w, appendBatch(make([]byte, 0, 16+48*len(out)), batchCheckResponse{out, max(rev, s.dir.Index().Revision())}))
		return nil
	})
	s.handle("POST", "/v1/explain", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in checkRequest
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := s.await(r, in.Consistency); err != nil {
			return err
		}
		q, err := in.question()
		if err != nil {
			return err
		}
		var e *engine.Explanation
		if ci, ok := s.dir.Catalogue().Lookup(in.Capability); ok && ci.Scope == gh.ScopeOrganization && in.Workspace == "" {
			e, err = s.dir.ExplainOrg(a, in.Org, in.User, in.Capability)
		} else {
			e, err = s.dir.Explain(a, q)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, e)
		return nil
	})
	s.handle("GET", "/v1/lookup/workspaces", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		q := r.URL.Query()
		l, p, err := s.lookupParams(r)
		if err != nil {
			return err
		}
		list, rev, err := s.dir.LookupWorkspaces(a, q.Get("org"), q.Get("user"), gh.Capability(q.Get("capability")), l, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, LookupList[engine.WorkspaceAccess]{list.Items, list.Next, rev})
		return nil
	})
	s.handle("GET", "/v1/lookup/users", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		q := r.URL.Query()
		l, p, err := s.lookupParams(r)
		if err != nil {
			return err
		}
		list, rev, err := s.dir.LookupUsers(a, q.Get("org"), q.Get("workspace"), gh.Capability(q.Get("capability")), l, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, LookupList[engine.UserAccess]{list.Items, list.Next, rev})
		return nil
	})
}

// LookupList is one page of a lookup: its answers in id order, the cursor of
// the next page ("" after the last) and the revision the page reflects.
type LookupList[T any] struct {
	Items    []T         `json:"items"`
	Next     string      `json:"next_cursor,omitempty"`
	Revision gh.Revision `json:"revision"`
}

// lookupParams reads ?level=, the page (?cursor=, ?limit=, ?paths=) and the
// consistency parameters of a lookup, and waits as they ask.
func (s *Server) lookupParams(r *http.Request) (gh.Level, directory.LookupPage, error) {
	q := r.URL.Query()
	var p directory.LookupPage
	l, err := gh.ParseLevel(q.Get("level"))
	if err != nil {
		return l, p, err
	}
	if p.Page, err = page(r); err != nil {
		return l, p, err
	}
	switch q.Get("paths") {
	case "", "false":
	case "true":
		p.Paths = true
	default:
		return l, p, gh.Invalid("invalid_query", "paths", "must be true or false")
	}
	var c directory.Consistency
	if v := q.Get("at_least_revision"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return l, p, gh.Invalid("invalid_query", "at_least_revision", "must be a revision number")
		}
		c.AtLeastRevision = gh.Revision(n)
	}
	c.FullyConsistent = q.Get("fully_consistent") == "true"
	return l, p, s.await(r, &c)
}

// keyView is an API key as lists show it: never its secret or hash.
type keyView struct {
	ID        gh.KeyID   `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	User      gh.UserID  `json:"user_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Origin says the platform operator made the key, and why.
	Origin     gh.KeyOrigin `json:"origin,omitempty"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
	LastUsedIP string       `json:"last_used_ip,omitempty"`
}

func viewKey(k *gh.APIKey) keyView {
	return keyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, User: k.User, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Origin: k.Origin}
}

// recoverOrg gives a locked-out organization a one-hour key for one of its
// Organization Admins that works from any address (operator only).
func (s *Server) recoverOrg(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	o, err := s.dir.Org(a, r.PathValue("org"))
	if err != nil {
		return err
	}
	var in directory.RecoverInput
	if r.ContentLength != 0 { // the admin may go unnamed when there is one
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	k, secret, rev, err := s.dir.RecoverOrg(r.Context(), a, o, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, keyCreated{viewKey(k), secret.Reveal(), rev})
	return nil
}

func (s *Server) registerKeys() {
	s.handle("POST", "/v1/orgs/{org}/recover", s.recoverOrg)
	const base = "/v1/orgs/{org}/users/{id}/keys"
	s.handle("GET", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		keys, err := s.dir.ListKeys(a, o, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		ids := make([]gh.KeyID, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		used, err := s.dir.Store().KeyUsage(r.Context(), ids)
		if err != nil {
			return err
		}
		out := make([]keyView, len(keys))
		for i, k := range keys {
			out[i] = viewKey(k)
			if u, ok := used[k.ID]; ok {
				out[i].LastUsedAt, out[i].LastUsedIP = &u.At, u.IP
			}
		}
		writeJSON(w, http.StatusOK, directory.List[keyView]{Items: out})
		return nil
	})
	s.handle("POST", base, func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		var in directory.KeyInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if s.signin != nil {
			who := "keys/operator"
			if a.User != nil {
				who = "keys/" + string(a.User.ID)
			}
			if err := s.signin.Throttle(r.Context(), who); err != nil {
				return err
			}
		}
		k, secret, rev, err := s.dir.CreateKey(r.Context(), a, o, gh.UserID(r.PathValue("id")), in)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusCreated, keyCreated{viewKey(k), secret.Reveal(), rev})
		return nil
	})
	s.handle("DELETE", base+"/{key}", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		rev, err := s.dir.RevokeKey(r.Context(), a, o, gh.UserID(r.PathValue("id")), gh.KeyID(r.PathValue("key")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	})
}

func (s *Server) registerEvents() {
	// events serves one audit log; read lists it for the request's scope.
	events := func(read func(r *http.Request, a *directory.Actor, f gh.EventFilter) ([]*gh.Event, error)) handler {
		return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
			f, err := eventFilter(r)
			if err != nil {
				return err
			}
			evs, err := read(r, a, f)
			if err != nil {
				return err
			}
			out := directory.List[*gh.Event]{Items: evs}
			if evs == nil {
				out.Items = []*gh.Event{}
			}
			if len(evs) > 0 && len(evs) == f.Limit {
				out.Next = strconv.FormatInt(int64(evs[len(evs)-1].Revision), 10)
			}
			writeJSON(w, http.StatusOK, out)
			return nil
		}
	}
	list := events(func(r *http.Request, a *directory.Actor, f gh.EventFilter) ([]*gh.Event, error) {
		sc, err := s.scope(r, a)
		if err != nil {
			return nil, err
		}
		return s.dir.ListEvents(r.Context(), a, sc, f)
	})
	s.handle("GET", "/v1/orgs/{org}/events", list)
	s.handle("GET", "/v1/orgs/{org}/workspaces/{ws}/events", list)
	s.handle("GET", "/v1/events", events(func(r *http.Request, a *directory.Actor, f gh.EventFilter) ([]*gh.Event, error) {
		return s.dir.ListOperatorEvents(r.Context(), a, f)
	}))
	s.handle("GET", "/v1/events/verify", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		rep, err := s.dir.VerifyOperatorChain(r.Context(), a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	})
	s.handle("GET", "/v1/orgs/{org}/events/verify", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.dir.Org(a, r.PathValue("org"))
		if err != nil {
			return err
		}
		rep, err := s.dir.VerifyChain(r.Context(), a, o)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	})
}

func eventFilter(r *http.Request) (gh.EventFilter, error) {
	q := r.URL.Query()
	f := gh.EventFilter{Actor: gh.UserID(q.Get("actor")), Target: q.Get("target"), Action: q.Get("action"), Limit: directory.DefaultLimit}
	fields := gh.Fields{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > directory.MaxLimit {
			fields.Add("limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fields.Add("cursor", "must be a cursor this API returned")
		}
		f.Before = gh.Revision(n)
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields.Add(name, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
			}
			*dst = t
		}
	}
	return f, fields.Err()
}

// The check answers are written by hand: they are the hot path, and these
// few lines cost a fraction of reflection-based encoding. The OpenAPI test
// validates real answers against the documented types, so they cannot drift.

// appendDecision appends {"allowed":…,"level":…,"revision":…}.
func appendDecision(b []byte, d engine.Decision) []byte {
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = append(b, `,"level":"`...)
	b = append(b, d.Level.String()...)
	b = append(b, `","revision":`...)
	b = strconv.AppendInt(b, int64(d.Revision), 10)
	return append(b, '}')
}

// appendBatch appends a batch answer; the rare results that are errors go through encoding/json.
func appendBatch(b []byte, r batchCheckResponse) []byte {
	b = append(b, `{"results":[`...)
	for i, res := range r.Results {
		if i > 0 {
			b = append(b, ',')
		}
		if res.Error != nil {
			raw, _ := json.Marshal(res)
			b = append(b, raw...)
			continue
		}
		b = appendDecision(b, res.Decision)
	}
	b = append(b, `],"revision":`...)
	b = strconv.AppendInt(b, int64(r.Revision), 10)
	return append(b, '}', '\n')
}

// jsonContentType is shared by every raw answer; nothing writes to it.
var jsonContentType = []string{"application/json"}

// writeRaw sends an already encoded JSON answer with status 200.
func writeRaw(w http.ResponseWriter, body []byte) {
	// Canonical keys assigned directly: Set would allocate a fresh slice for
	// each value on the hottest path, and net/http copies the map anyway.
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))} // one write, no chunking
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
