// Package console is Gatehouse's web console: server-rendered pages over the
// same directory and sign-in methods the API calls, for the two places where
// a partner works — Settings → User Management for its organization and each
// customer workspace's IAM → Users & Groups — and an access explorer that
// answers "why can't X do Y in W?". Pages are html/template; htmx (embedded,
// never from a CDN) only spares full reloads, every form works without it.
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/provision"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sso"
)

//go:embed templates/*.html
var templateFS embed.FS

// Web is what the console needs of the HTTP server it is mounted on.
type Web interface {
	Page(pattern string, h http.Handler)
	ClientOf(r *http.Request) signin.Client
	SecureCookies() bool
	FormToken(w http.ResponseWriter, r *http.Request) string
	// SSO is the single sign-on service; nil when it is off.
	SSO() *sso.Service
	// Provisioning is the connected directories' service; nil when it is off.
	Provisioning() *provision.Service
}

// Console serves the pages.
type Console struct {
	dir    *directory.Directory
	signin *signin.Service
	web    Web
	log    *slog.Logger
	pages  map[string]*template.Template
}

// Mount builds the console and registers its pages on web.
func Mount(web Web, dir *directory.Directory, sign *signin.Service, log *slog.Logger) *Console {
	c := &Console{dir: dir, signin: sign, web: web, log: log, pages: parsePages()}
	c.routes()
	return c
}

// parsePages parses each page with the layout and the shared parts, so that
// every page can define its own "content".
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || base == "parts.html" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", n))
	}
	return pages
}

// handler is a page: it fills v (v.show) or redirects, or returns an error
// that becomes the error page.
type handler func(w http.ResponseWriter, r *http.Request, v *view) error

// get registers a page that reads; it renders inside the organization's read
// gate, so it never shows a group commit's writes before they are committed.
func (c *Console) get(pattern string, h handler) {
	c.web.Page("GET "+pattern, c.signedIn(h, reading))
}

// post registers a form; it must carry the form token.
func (c *Console) post(pattern string, h handler) {
	c.web.Page("POST "+pattern, c.signedIn(h, posting))
}

// preview registers a page that shows a what-if. It reads without the read
// gate: a what-if runs in the committer, which waits for the gate's readers.
func (c *Console) preview(pattern string, h handler) {
	c.web.Page("GET "+pattern, c.signedIn(h, ungated))
}

// mode is how a page runs: reading in the organization's read gate,
// posting a form, or reading out of the gate — previews, whose what-if runs
// in the committer, and the operator's pages, which have no organization.
type mode uint8

const (
	reading mode = iota
	posting
	ungated
)

const maxForm = 3 << 20 // a picture (at most 2 MiB) or a CSV import is the largest form

func (c *Console) signedIn(h handler, m mode) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.session(w, r)
		if !ok {
			return
		}
		c.respond(w, r, v, h, m)
	}
}

// respond reads a posted form, runs the page's handler and sends its page
// or the error page.
func (c *Console) respond(w http.ResponseWriter, r *http.Request, v *view, h handler, m mode) {
	if m == posting {
		if err := readForm(w, r); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	page, err := c.serve(w, r, v, h, m == reading)
	switch {
	case err != nil:
		c.fail(w, r, v, err)
	case v.page != "":
		c.send(w, v.status, page)
	}
}

// readForm reads a posted form, and accepts it only when it came from one of
// our pages with its form token.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := parseForm(r); err != nil {
		return err
	}
	return ghttp.CheckForm(r)
}

// serve runs a page's handler and renders its page. A page that only reads
// does both inside the organization's read gate; a form does not, since its
// write waits for a commit that waits for the gate's readers.
func (c *Console) serve(w http.ResponseWriter, r *http.Request, v *view, h handler, gate bool) ([]byte, error) {
	if gate {
		_, done := c.dir.ReadIn(r.Context(), v.Org.ID)
		defer done()
	}
	if err := h(w, r, v); err != nil || v.page == "" {
		return nil, err
	}
	return c.execute(v)
}

// parseForm reads a urlencoded or multipart form (a CSV file).
func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxForm)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the form could not be read; it may be too large")
	}
	return nil
}

// session finds the signed-in user, or sends the browser where it must go:
// to sign in, or to the step its session still lacks.
func (c *Console) session(w http.ResponseWriter, r *http.Request) (*view, bool) {
	ck, err := r.Cookie(ghttp.SessionCookie)
	if err != nil {
		c.toSignin(w, r)
		return nil, false
	}
	a, sess, gate, err := c.signin.Authenticate(r.Context(), ck.Value, c.web.ClientOf(r))
	if err != nil || a.User == nil {
		c.toSignin(w, r)
		return nil, false
	}
	a.Source.RequestID = ghttp.RequestID(r)
	v := c.newView(w, r, a, sess)
	if gate != signin.GateFull && !gatePages[gate][r.URL.Path] {
		http.Redirect(w, r, gateHome[gate], http.StatusSeeOther)
		return nil, false
	}
	v.gate = gate
	if gate == signin.GateFull {
		// A count the header shows is not worth failing the page for.
		v.Unread, _ = c.signin.Notes().Unread(r.Context(), a.User)
	}
	return v, true
}

// gatePages are what a session that is not fully signed in may open.
var (
	gatePages = map[signin.Gate]map[string]bool{
		signin.GateMFA:      {"/signout": true},
		signin.GateEnrol:    {"/account/setup": true, "/account/mfa": true, "/account/mfa/confirm": true, "/account/mfa/qr.png": true, "/signout": true},
		signin.GatePassword: {"/account/setup": true, "/account/password": true, "/signout": true},
	}
	gateHome = map[signin.Gate]string{signin.GateMFA: "/signin", signin.GateEnrol: "/account/setup", signin.GatePassword: "/account/setup"}
)

func (c *Console) toSignin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// execute renders v's page to memory: a template error becomes a clean
// error page, never half a page.
func (c *Console) execute(v *view) ([]byte, error) {
	t := c.pages[v.page]
	if t == nil {
		return nil, gh.Errorf(gh.KindInternal, "internal", "no page %q", v.page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// send writes a rendered page with the headers every page has.
func (c *Console) send(w http.ResponseWriter, status int, page []byte) {
	headers(w)
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(page)
}

// headers: no script or style but our own files, no framing, no caching of
// pages that show a directory, no Referer leaving the console.
func headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// Images may be data: URIs: the stylesheet draws its icons that way, and an
// image cannot run script.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

// fail shows an error: the API's status and words; internal errors are logged
// and shown as a generic message. Another tenant's page is the same 404.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	e := gh.AsError(err)
	if e.Kind == gh.KindInternal {
		c.log.Error("console", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", ghttp.RequestID(r))
		e = gh.Errorf(gh.KindInternal, "internal", "something went wrong on our side; try again in a moment")
	}
	v.Title, v.page, v.Data = titleOf(e), "error.html", e
	v.Error = message(e)
	page, rerr := c.execute(v)
	if rerr != nil {
		c.log.Error("render error page", "err", rerr)
		http.Error(w, "something went wrong on our side", http.StatusInternalServerError)
		return
	}
	c.send(w, ghttp.Status(e), page)
}

func titleOf(e *gh.Error) string {
	switch e.Kind {
	case gh.KindNotFound:
		return "Not found"
	case gh.KindForbidden:
		return "Not allowed"
	case gh.KindInvalid:
		return "That did not work"
	}
	return "Something went wrong"
}
