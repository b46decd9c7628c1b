package http

import (
	"net/http"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Requests no route takes still answer problem+json, as every other error
// does: ServeMux's own 404 and 405 are plain text a client cannot parse.

// probeMethods are the methods tried to fill a 405's Allow header.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unmatched answers a request whose path no route has (404) or whose path
// has routes for other methods only (405, with Allow naming them).
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && r.Method == http.MethodGet && s.signin != nil {
		// Welcome emails sent before the sign-in page existed link to the root.
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, s.log, gh.Errorf(gh.KindWrongMethod, "method_not_allowed",
			"%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
		return
	}
	writeError(w, r, s.log, gh.Errorf(gh.KindNotFound, "route_not_found",
		"there is no endpoint at %s; /openapi.json lists them all", r.URL.Path))
}

// allowedMethods asks the mux which methods it would route for r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	if slices.Contains(out, http.MethodGet) {
		out = append(out, http.MethodHead)
	}
	return out
}

// queryOf lists, per "METHOD PATTERN", the query parameters the route takes:
// those its OpenAPI operation documents, so the two cannot disagree.
var queryOf = func() map[string][]string {
	out := map[string][]string{}
	for key, o := range expandOperations() {
		for _, q := range o.query {
			out[key] = append(out[key], q.name)
		}
	}
	return out
}()

// checkQuery refuses a query parameter the route does not take: ignoring it
// would answer as if the caller had not asked (a filter that filters nothing).
func checkQuery(r *http.Request, route string) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	allowed := queryOf[route]
	var unknown []string
	for name := range r.URL.Query() {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	e := gh.Errorf(gh.KindInvalid, "unknown_parameter", "unknown query parameter %q: %s", unknown[0], takes(allowed))
	e.Fields = map[string]string{}
	for _, n := range unknown {
		e.Fields[n] = "is not a parameter of this endpoint"
	}
	return e
}

func takes(allowed []string) string {
	if len(allowed) == 0 {
		return "this endpoint takes no query parameters"
	}
	return "this endpoint takes " + strings.Join(allowed, ", ")
}
