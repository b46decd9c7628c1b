package http

import (
	"net/http"

	"gatehouse.dev/gatehouse/signin"
)

// What the web console, mounted on this server, shares with it: the mux, the
// session cookie, the client's address as the trusted proxies give it, and
// the double-submit form token of the public pages.

// SessionCookie names the cookie a signed-in browser holds.
const SessionCookie = sessionCookie

// Page registers a handler for the console's pages. Pages are not API
// routes: they are not in the OpenAPI document and read their own queries.
func (s *Server) Page(pattern string, h http.Handler) {
	s.console = true
	s.mux.Handle(pattern, h)
}

// ClientOf says who sent a request, as sign-in records it.
func (s *Server) ClientOf(r *http.Request) signin.Client { return s.client(r) }

// SecureCookies reports whether cookies are sent with Secure (behind TLS).
func (s *Server) SecureCookies() bool { return s.signinOpts.SecureCookies }

// FormToken returns the double-submit value a page's forms carry.
func (s *Server) FormToken(w http.ResponseWriter, r *http.Request) string { return s.formToken(w, r) }

// CheckForm accepts a posted form only when it came from one of our pages.
func CheckForm(r *http.Request) error { return checkForm(r) }

// RequestID is the id the server gave a request.
func RequestID(r *http.Request) string { return requestID(r) }
