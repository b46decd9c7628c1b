package http

import (
	"net/http"
	"net/url"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/sso"
)

// EnableSSO serves single sign-on: the identity providers' and domains'
// admin endpoints, and the browser's round trip through a provider.
func (s *Server) EnableSSO(svc *sso.Service) {
	s.sso = svc
	s.registerProviders()
	s.registerDomains()
	s.registerSSOPages()
}

// SSO returns the single sign-on service, nil when it is off.
func (s *Server) SSO() *sso.Service { return s.sso }

func (s *Server) registerProviders() {
	const base = "/identity-providers"
	s.both("GET", base, s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		ps, err := s.dir.ListProviders(a, sc)
		if err != nil {
			return err
		}
		views := make([]*sso.ProviderView, 0, len(ps))
		for _, p := range ps {
			views = append(views, s.sso.View(p))
		}
		writeJSON(w, http.StatusOK, directory.List[*sso.ProviderView]{Items: views})
		return nil
	}))
	s.both("POST", base, s.inScope(createOf(func(c call, in sso.ProviderInput) (*sso.ProviderView, gh.Revision, error) {
		return s.sso.Create(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", base+"/{id}", s.inScope(getOf(func(c call) (*sso.ProviderView, error) {
		p, err := s.dir.GetProvider(c.a, c.sc, gh.ProviderID(c.id()))
		if err != nil {
			return nil, err
		}
		return s.sso.View(p), nil
	})))
	s.both("PUT", base+"/{id}", s.inScope(updateOf(func(c call, in sso.ProviderInput, m gh.Revision) (*sso.ProviderView, gh.Revision, error) {
		return s.sso.Replace(c.r.Context(), c.a, c.sc, gh.ProviderID(c.id()), in, m)
	})))
	s.both("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, m gh.Revision) (gh.Revision, error) {
		return s.sso.Delete(c.r.Context(), c.a, c.sc, gh.ProviderID(c.id()), m)
	})))
	s.both("POST", base+"/{id}/test", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in sso.BenchInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		res, err := s.sso.Test(r.Context(), a, sc, gh.ProviderID(r.PathValue("id")), in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}))
	s.both("GET", base+"/{id}/attempts", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		p, err := page(r)
		if err != nil {
			return err
		}
		evs, err := s.sso.Attempts(r.Context(), a, sc, gh.ProviderID(r.PathValue("id")), p.Limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.Event]{Items: nonNil(evs)})
		return nil
	}))
	s.handle("PUT", "/v1/orgs/{org}/workspaces/{ws}/sign-in", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in gh.SignInRule
		if err := decode(w, r, &in); err != nil {
			return err
		}
		ws, rev, err := s.dir.SetWorkspaceSignIn(r.Context(), a, sc, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, ws)
		return nil
	}))
}

// domainInput claims a domain.
type domainInput struct {
	Domain string `json:"domain"`
}

func (s *Server) registerDomains() {
	const base = "/domains"
	s.both("GET", base, s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		ds, err := s.dir.ListDomains(a, sc)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.Domain]{Items: nonNil(ds)})
		return nil
	}))
	s.both("POST", base, s.inScope(createOf(func(c call, in domainInput) (*gh.Domain, gh.Revision, error) {
		return s.dir.ClaimDomain(c.r.Context(), c.a, c.sc, in.Domain)
	})))
	s.both("GET", base+"/{id}", s.inScope(getOf(func(c call) (*gh.Domain, error) {
		return s.dir.GetDomain(c.a, c.sc, gh.DomainID(c.id()))
	})))
	s.both("POST", base+"/{id}/verify", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		d, rev, err := s.sso.VerifyDomain(r.Context(), a, sc, gh.DomainID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, d)
		return nil
	}))
	s.both("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, _ gh.Revision) (gh.Revision, error) {
		return s.dir.ReleaseDomain(c.r.Context(), c.a, c.sc, gh.DomainID(c.id()))
	})))
}

// discovery answers where an email signs in.
type discovery struct {
	Providers []sso.Choice `json:"providers"`
}

func (s *Server) registerSSOPages() {
	s.handlePublic("GET", "/v1/sso/discover", s.public(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, discovery{Providers: nonNil(s.sso.Discover(r.URL.Query().Get("email")))})
		return nil
	}))
	s.handlePublic("GET", "/login/sso", s.ssoDiscoverPage)
	s.handlePublic("GET", "/sso/{idp}/start", s.ssoStart)
	s.handlePublic("GET", "/sso/{idp}/oidc/callback", s.ssoCallback)
	s.handlePublic("POST", "/sso/{idp}/saml/acs", s.ssoACS)
	s.handlePublic("GET", "/sso/{idp}/saml/metadata", s.public(func(w http.ResponseWriter, r *http.Request) error {
		xml, err := s.sso.Metadata(r.Context(), gh.ProviderID(r.PathValue("idp")))
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(xml)
		return nil
	}))
}

// ssoDiscoverPage sends an email to its domain's provider: straight there
// when there is one, a choice when several, the sign-in page when none.
func (s *Server) ssoDiscoverPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pageData{Title: "Sign in", Email: q.Get("email"), Next: sso.LocalPath(q.Get("next")), FormToken: s.formToken(w, r)}
	choices := s.sso.Discover(d.Email)
	switch len(choices) {
	case 0:
		d.Error = "No single sign-on is set up for this email's domain. Sign in with your password, or ask your administrator."
		s.render(w, r, http.StatusOK, "signin.html", d)
	case 1:
		// The sign-in page's form led here, and a form's redirects may not
		// leave the site (CSP form-action): the page refreshes to the
		// provider instead, as a navigation of its own.
		d.Continue = withNext(choices[0].StartURL, d.Next)
		s.render(w, r, http.StatusOK, "signin.html", d)
	default:
		for _, c := range choices {
			d.Choices = append(d.Choices, choice{Name: c.Name, URL: withNext(c.StartURL, d.Next)})
		}
		s.render(w, r, http.StatusOK, "signin.html", d)
	}
}

func withNext(u, next string) string {
	if next == "" {
		return u
	}
	return u + "?next=" + url.QueryEscape(next)
}

// ssoBrowserCookie holds the key that binds a browser's round trips
// through providers to it: an answer finishes a sign-in only in the
// browser that began it.
const ssoBrowserCookie = "gatehouse_sso"

// ssoBrowserKey returns the browser's key, or makes one, and (re)sets its
// cookie for the round trip's lifetime. Behind TLS the cookie is
// SameSite=None, as a SAML IdP posts its answer from another site;
// without TLS browsers refuse that, so the attribute is left out.
func (s *Server) ssoBrowserKey(w http.ResponseWriter, r *http.Request) string {
	key := ""
	if c, err := r.Cookie(ssoBrowserCookie); err == nil && sso.ValidBrowserKey(c.Value) {
		key = c.Value
	} else {
		key = sso.NewBrowserKey()
	}
	c := &http.Cookie{Name: ssoBrowserCookie, Value: key, Path: "/sso/", MaxAge: int(sso.FlowTTL.Seconds()), HttpOnly: true}
	if s.signinOpts.SecureCookies {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	return key
}

// ssoBrowserOf is the key the browser's cookie holds, "" when none.
func ssoBrowserOf(r *http.Request) string {
	if c, err := r.Cookie(ssoBrowserCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	to, err := s.sso.Start(r.Context(), gh.ProviderID(r.PathValue("idp")), r.URL.Query().Get("next"), s.ssoBrowserKey(w, r))
	if err != nil {
		s.pageError(w, r, "signin.html", pageData{Title: "Sign in", FormToken: s.formToken(w, r)}, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	f, err := s.sso.FinishOIDC(r.Context(), gh.ProviderID(r.PathValue("idp")), r.URL.Query(), ssoBrowserOf(r), s.client(r))
	s.ssoFinished(w, r, f, err)
}

func (s *Server) ssoACS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.ssoFinished(w, r, nil, gh.Errorf(gh.KindInvalid, "malformed_body", "the SAML form could not be read"))
		return
	}
	f, err := s.sso.FinishSAML(r.Context(), gh.ProviderID(r.PathValue("idp")), r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState"), ssoBrowserOf(r), s.client(r))
	s.ssoFinished(w, r, f, err)
}

// ssoFinished sets the session and goes on like a password sign-in; a
// refusal shows the sign-in page with one message whatever failed (the
// reason is in the provider's troubleshooting list).
func (s *Server) ssoFinished(w http.ResponseWriter, r *http.Request, f *sso.Finished, err error) {
	d := pageData{Title: "Sign in", FormToken: s.formToken(w, r)}
	if err != nil {
		if gh.KindOf(err) == gh.KindUnauthenticated {
			err = errSSOFailed
		}
		s.pageError(w, r, "signin.html", d, err)
		return
	}
	d.Next = f.Next
	s.signedIn(w, r, f.Started, d)
}

var errSSOFailed = gh.Errorf(gh.KindUnauthenticated, "sso_failed",
	"single sign-on did not let you in. Try again; if it keeps failing, your administrator can see why in the identity provider's sign-in attempts")

// choice is a provider button on the sign-in page.
type choice struct{ Name, URL string }
