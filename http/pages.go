package http

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sso"
)

// The pages are where emailed links lead until the web console exists: set a
// password from an invitation or a reset link, ask for a reset, sign in.
// Plain HTML forms, no script; each calls the same signin method as the JSON
// API. The link's token is the credential of the set-password forms; the
// forms that need none (sign-in, reset request, MFA code) carry a random
// value that must also be in a SameSite=Strict cookie (double submit), so
// another site cannot post them on a visitor's behalf.

//go:embed templates/*.html
var templateFS embed.FS

var pageTemplates = template.Must(template.ParseFS(templateFS, "templates/*.html"))

const (
	formCookie = "gatehouse_form"
	formField  = "form_token"
	maxForm    = 16 << 10
)

// pageData is what every page template reads.
type pageData struct {
	Title, Error, Notice string
	Token                string // the emailed link's token, carried into the form
	FormToken            string // the double-submit value of forms without a link token
	Email, Org           string
	Workspace            string // the home, when one email and password open several
	AskHome              bool   // they did: the form asks for the home
	Done, MFA, SignedIn  bool
	EmailCode, SMSCode   bool     // the second step offers a code by email, by SMS
	Next                 string   // where the console sends the browser once signed in
	Choices              []choice // identity providers to pick from
	// Continue is where the page sends the browser at once (a refresh, not a
	// redirect: a form's redirects may not leave the site, CSP form-action).
	Continue string
}

func (s *Server) registerPages() {
	s.handlePublic("GET", "/signin", s.signinPage)
	s.handlePublic("POST", "/signin", s.page(s.signinPost))
	s.handlePublic("POST", "/signin/mfa", s.page(s.signinMFAPost))
	s.handlePublic("POST", "/signin/mfa/code", s.page(s.signinCodePost))
	s.handlePublic("GET", "/invitations/accept", s.invitationPage)
	s.handlePublic("POST", "/invitations/accept", s.page(s.invitationPost))
	s.handlePublic("GET", "/password/reset", s.resetPage)
	s.handlePublic("POST", "/password/reset", s.page(s.resetPost))
}

// pageHeaders forbid what a page never needs: scripts from elsewhere,
// framing (clickjacking), a Referer carrying the link's token, caching.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// render writes a page; it is rendered to a buffer first so that a template
// error becomes a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("render page", "err", err, "page", name, "request_id", requestID(r))
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("something went wrong on our side")
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageError shows a failed step on the page it came from, in the API's words
// and status; internal errors are logged and shown as a generic message.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, name string, d pageData, err error) {
	e := gh.AsError(err)
	if e.Kind == gh.KindInternal {
		s.log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", requestID(r))
		e = gh.Errorf(gh.KindInternal, "internal", "something went wrong on our side; try again in a moment")
	}
	d.Error = e.Message
	if len(e.Fields) > 1 || (len(e.Fields) == 1 && e.Code == "invalid_input") {
		d.Error = ""
		for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
			d.Error += field + " " + e.Fields[field] + ". "
		}
	}
	s.render(w, r, Status(e), name, d)
}

// page adapts a form handler: the body must be a small urlencoded form.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			s.pageError(w, r, "problem.html", pageData{Title: "Unsupported form"},
				gh.Errorf(gh.KindUnsupported, "unsupported_media_type", "send the form as application/x-www-form-urlencoded"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			s.pageError(w, r, "problem.html", pageData{Title: "Unreadable form"},
				gh.Errorf(gh.KindInvalid, "malformed_body", "the form could not be read"))
			return
		}
		h(w, r)
	}
}

// formToken returns the double-submit value for a form: the browser's own
// (so that two open tabs both work), or a new one set in the cookie.
func (s *Server) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v, _ := auth.NewToken()
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: v.Reveal(), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.signinOpts.SecureCookies})
	return v.Reveal()
}

var errForm = gh.Errorf(gh.KindForbidden, "csrf", "this form has expired or came from another site; open the page again and retry")

// checkForm accepts a form only when its hidden value matches the cookie and
// the browser, when it says, sent it from this site.
func checkForm(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errForm
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			return errForm
		}
	}
	c, err := r.Cookie(formCookie)
	v := r.PostForm.Get(formField)
	if err != nil || v == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(v)) != 1 {
		return errForm
	}
	return nil
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pageData{Title: "Sign in", FormToken: s.formToken(w, r), Next: q.Get("next"), Org: q.Get("org"), Workspace: q.Get("workspace")}
	d.Choices = s.homeChoices(d.Org, d.Workspace, d.Next)
	s.render(w, r, http.StatusOK, "signin.html", d)
}

// homeChoices are the "Sign in with …" buttons of the home a sign-in link
// names (?org=, and ?workspace= for a customer's own people): a home's
// providers are public to whoever knows its name, as its sign-in page is.
func (s *Server) homeChoices(orgSlug, wsSlug, next string) []choice {
	if s.sso == nil || orgSlug == "" {
		return nil
	}
	x := s.dir.Index()
	o := x.OrgBySlug(strings.ToLower(strings.TrimSpace(orgSlug)))
	if o == nil || !o.Active() {
		return nil
	}
	h := gh.Home{Org: o.ID}
	if wsSlug != "" && wsSlug != "-" {
		w := x.WorkspaceBySlug(o.ID, strings.ToLower(strings.TrimSpace(wsSlug)))
		if w == nil {
			return nil
		}
		h.Workspace = w.ID
	}
	var out []choice
	for _, c := range s.sso.Choices(h) {
		out = append(out, choice{Name: c.Name, URL: withNext(c.StartURL, sso.LocalPath(next))})
	}
	return out
}

func (s *Server) signinPost(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	d := pageData{Title: "Sign in", Email: f.Get("email"), Org: f.Get("org"), Workspace: f.Get("workspace"), FormToken: s.formToken(w, r), Next: f.Get("next")}
	if err := checkForm(r); err != nil {
		s.pageError(w, r, "signin.html", d, err)
		return
	}
	in := signin.LoginInput{Org: d.Org, Workspace: d.Workspace, Email: d.Email, Password: f.Get("password")}
	st, err := s.signin.Login(r.Context(), in, s.client(r))
	if err != nil {
		d.AskHome = gh.AsError(err).Code == "home_required" // the message lists the homes

		s.pageError(w, r, "signin.html", d, err)
		return
	}
	s.signedIn(w, r, st, d)
}

func (s *Server) signinMFAPost(w http.ResponseWriter, r *http.Request) {
	d, session, err := s.secondStep(w, r)
	var st *signin.Started
	if err == nil {
		st, err = s.signin.LoginMFA(r.Context(), session, r.PostForm.Get("code"), s.client(r))
	}
	if err != nil {
		s.offerCodes(r, &d)
		s.pageError(w, r, "signin.html", d, err)
		return
	}
	s.signedIn(w, r, st, d)
}

// signinCodePost sends a code by email or SMS for the second step, and
// shows the step again, saying where the code went.
func (s *Server) signinCodePost(w http.ResponseWriter, r *http.Request) {
	d, session, err := s.secondStep(w, r)
	var sent *signin.CodeSent
	if err == nil {
		sent, err = s.signin.SendCode(r.Context(), session, r.PostForm.Get("method"), s.client(r))
	}
	s.offerCodes(r, &d)
	if err != nil {
		s.pageError(w, r, "signin.html", d, err)
		return
	}
	d.Notice = "We sent a code to " + sent.SentTo + ". It works once, for 10 minutes."
	s.render(w, r, http.StatusOK, "signin.html", d)
}

// secondStep is the page and the pending session of a post to the second
// step of signing in; an error when there is no session or the form is bad.
func (s *Server) secondStep(w http.ResponseWriter, r *http.Request) (pageData, string, error) {
	d := pageData{Title: "Sign in", MFA: true, FormToken: s.formToken(w, r), Next: r.PostForm.Get("next")}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return d, "", gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "sign in first")
	}
	return d, c.Value, checkForm(r)
}

// offerCodes fills the second step's "Email me a code" and "Text me a
// code" offers from the request's session.
func (s *Server) offerCodes(r *http.Request, d *pageData) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		d.setOffers(s.signin.PendingFactors(r.Context(), c.Value))
	}
}

func (d *pageData) setOffers(methods []string) {
	d.EmailCode, d.SMSCode = slices.Contains(methods, gh.MFAMethodEmail), slices.Contains(methods, gh.MFAMethodSMS)
}

// signedIn sets the session cookie and says what comes next.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, st *signin.Started, d pageData) {
	s.setSession(w, st.Token, st.Session.ExpiresAt)
	if s.console && !st.MFARequired {
		next := "/" // the console sends a session that still lacks a step to that step
		if n := d.Next; strings.HasPrefix(n, "/") && !strings.HasPrefix(n, "//") && !strings.HasPrefix(n, "/\\") {
			next = n
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d.MFA, d.SignedIn = st.MFARequired, !st.MFARequired
	d.setOffers(st.MFAMethods)
	switch {
	case st.MFARequired:
		d.Notice = "Your password is right; now the second factor."
	case st.MustChangePassword:
		d.Notice = "Your organization asks you to change your password first (POST /v1/me/password)."
	case st.MFAEnrolment:
		d.Notice = "Your organization asks you to set up an authenticator app first (POST /v1/me/mfa/totp)."
	}
	if u := s.dir.Index().User(st.Session.User); u != nil {
		d.Email = u.Email
	}
	s.render(w, r, http.StatusOK, "signin.html", d)
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) {
	s.linkPage(w, r, "invitation.html", "Set your password")
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("token") == "" {
		s.render(w, r, http.StatusOK, "reset.html", pageData{Title: "Reset your password", FormToken: s.formToken(w, r)})
		return
	}
	s.linkPage(w, r, "reset.html", "Choose a new password")
}

// linkPage shows the set-password form of an emailed link. The link is
// checked when the form is sent, where it is used once.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request, name, title string) {
	token := r.URL.Query().Get("token")
	if token == "" {
		s.pageError(w, r, "problem.html", pageData{Title: "This link is incomplete"},
			gh.Errorf(gh.KindInvalid, "invalid_link", "the link has no token; open the whole link from the email, or ask for a new one"))
		return
	}
	s.render(w, r, http.StatusOK, name, pageData{Title: title, Token: token})
}

func (s *Server) invitationPost(w http.ResponseWriter, r *http.Request) {
	s.linkPost(w, r, "invitation.html", "Set your password", s.signin.AcceptInvitation)
}

func (s *Server) resetPost(w http.ResponseWriter, r *http.Request) {
	if r.PostForm.Get("token") == "" {
		s.resetRequestPost(w, r)
		return
	}
	s.linkPost(w, r, "reset.html", "Choose a new password", s.signin.ConfirmReset)
}

// linkPost sets the password of an emailed link. An unknown, used or expired
// link shows a page saying so; a refused password shows the form again.
func (s *Server) linkPost(w http.ResponseWriter, r *http.Request, name, title string,
	use func(ctx context.Context, in signin.AcceptInput, c signin.Client) (*gh.User, error)) {
	f := r.PostForm
	d := pageData{Title: title, Token: f.Get("token")}
	if f.Get("password") != f.Get("confirm") {
		s.pageError(w, r, name, d, gh.Invalid("password_mismatch", "confirm", "is not the same password; type it twice alike"))
		return
	}
	u, err := use(r.Context(), signin.AcceptInput{Token: d.Token, Password: f.Get("password")}, s.client(r))
	if gh.AsError(err).Code == "invalid_link" {
		s.pageError(w, r, "problem.html", pageData{Title: "This link no longer works"}, err)
		return
	}
	if err != nil {
		s.pageError(w, r, name, d, err)
		return
	}
	s.render(w, r, http.StatusOK, name, pageData{Title: "Password set", Done: true, Email: u.Email})
}

func (s *Server) resetRequestPost(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	d := pageData{Title: "Reset your password", Email: f.Get("email"), Org: f.Get("org"), FormToken: s.formToken(w, r)}
	err := checkForm(r)
	if err == nil {
		err = s.signin.RequestReset(r.Context(), d.Org, d.Email, s.client(r))
	}
	if err != nil {
		s.pageError(w, r, "reset.html", d, err)
		return
	}
	// The same answer whether or not the email belongs to anyone.
	d.Notice = "If " + d.Email + " belongs to an account that can sign in, a link to set a new password is on its way. It works for a short time, once."
	s.render(w, r, http.StatusOK, "reset.html", d)
}
