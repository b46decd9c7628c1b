// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) to connected
// directories such as Microsoft Entra ID and Okta: they create, change and
// remove the users and groups of their own home through it. A request's
// bearer token names the directory, and through it the only home the
// request can see or touch; every change is the directory's own event.
package scim

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3.12).
const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// base is where the SCIM endpoints live.
const base = "/scim/v2"

// maxBody caps a request body.
const maxBody = 1 << 20

// Server answers SCIM requests over a directory.
type Server struct {
	dir *directory.Directory
	log *slog.Logger
}

// New returns a SCIM server over dir.
func New(dir *directory.Directory, log *slog.Logger) *Server {
	return &Server{dir: dir, log: log}
}

// handler is a SCIM endpoint called for an authenticated directory.
type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// call is one request of a directory.
type call struct {
	x *gh.ExternalDirectory
	a *directory.Actor
}

// Mount registers the SCIM endpoints under /scim/v2/, outside the API's
// OpenAPI document.
func (s *Server) Mount(web interface{ Page(string, http.Handler) }) {
	routes := []struct {
		pattern string
		h       handler
	}{
		{"GET /Users", s.listUsers},
		{"POST /Users", s.createUser},
		{"GET /Users/{id}", s.getUser},
		{"PUT /Users/{id}", s.replaceUser},
		{"PATCH /Users/{id}", s.patchUser},
		{"DELETE /Users/{id}", s.deleteUser},
		{"GET /Groups", s.listGroups},
		{"POST /Groups", s.createGroup},
		{"GET /Groups/{id}", s.getGroup},
		{"PUT /Groups/{id}", s.replaceGroup},
		{"PATCH /Groups/{id}", s.patchGroup},
		{"DELETE /Groups/{id}", s.deleteGroup},
		{"GET /ServiceProviderConfig", s.serviceProviderConfig},
		{"GET /Schemas", s.schemas},
		{"GET /ResourceTypes", s.resourceTypes},
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		web.Page(method+" "+base+path, s.serve(rt.h))
	}
	web.Page(base+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, scimErr(http.StatusNotFound, "", "no such endpoint"))
	}))
}

// serve authenticates the directory and renders the handler's error.
func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (*call, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, gh.Errorf(gh.KindUnauthenticated, "invalid_token", "a bearer token is required")
	}
	x, err := s.dir.DirectoryForToken(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	src := gh.Source{Via: "scim", RequestID: ghttp.RequestID(r), UserAgent: r.UserAgent()}
	return &call{x: x, a: directory.DirectoryActor(x, src)}, nil
}

// Error is a SCIM error answer (RFC 7644 §3.12).
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return e.Detail }

func scimErr(status int, scimType, detail string) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: detail}
}

// fail renders err as a SCIM error; the status comes from the API's one
// table of error kinds.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *Error
	if !errors.As(err, &se) {
		se = s.translate(r, err)
	}
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	writeError(w, se)
}

func (s *Server) translate(r *http.Request, err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return scimErr(http.StatusRequestEntityTooLarge, "", "the request body is larger than 1 MiB")
	}
	status := ghttp.Status(err)
	var ge *gh.Error
	if status == http.StatusInternalServerError || !errors.As(err, &ge) {
		s.log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", ghttp.RequestID(r))
		return scimErr(http.StatusInternalServerError, "", "internal error")
	}
	se := scimErr(status, "", ge.Message)
	switch {
	case ge.Code == "email_taken" || ge.Code == "name_taken":
		se.ScimType = "uniqueness"
	case ge.Kind == gh.KindInvalid:
		se.ScimType = "invalidValue"
		if len(ge.Fields) > 0 {
			se.Detail = ge.Message + ": " + fieldsText(ge.Fields)
		}
	}
	return se
}

func fieldsText(f map[string]string) string {
	var parts []string
	for k, v := range f {
		parts = append(parts, k+" "+v)
	}
	return strings.Join(parts, "; ")
}

func writeError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"schemas": []string{errorSchema}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most 1 MiB into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *Error
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &se): // a value of the right shape but refused
			return se
		}
		return scimErr(http.StatusBadRequest, "invalidSyntax", "the body is not valid JSON for this request: "+err.Error())
	}
	if dec.More() {
		return scimErr(http.StatusBadRequest, "invalidSyntax", "the body holds more than one JSON value")
	}
	return nil
}

// location is the absolute URL of a resource.
func location(r *http.Request, kind, id string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + base + "/" + kind + "/" + id
}

// version is a resource's weak ETag: its revision.
func version(rev gh.Revision) string { return `W/"` + strconv.FormatInt(int64(rev), 10) + `"` }
