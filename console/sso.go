package console

import (
	"encoding/json"
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/sso"
)

// Single sign-on: a home's identity providers, its email domains and its
// password rule — Settings → Single sign-on for the partner, and the same
// pages under a workspace for a customer's own providers. Every change goes
// through the sso service and the directory, as the API's do.

func (c *Console) ssoRoutes() {
	for _, base := range []string{"/settings", "/workspaces/{ws}"} {
		c.get(base+"/sso", c.ssoHome)
		c.post(base+"/sso", c.createProvider)
		c.post(base+"/sso/rule", c.saveSignInRule)
		c.get(base+"/sso/{id}", c.ssoProvider)
		c.post(base+"/sso/{id}", c.updateProvider)
		c.post(base+"/sso/{id}/delete", c.deleteProvider)
		c.post(base+"/sso/{id}/test", c.testProvider)
		c.post(base+"/domains", c.claimDomain)
		c.post(base+"/domains/{id}/verify", c.verifyDomain)
		c.post(base+"/domains/{id}/delete", c.releaseDomain)
		c.post(base+"/groups/{id}/external", c.addExternal)
		c.post(base+"/groups/{id}/external/remove", c.removeExternal)
		c.post(base+"/groups/{id}/rule", c.setGroupRule)
	}
}

type ssoPage struct {
	Prefix    string
	Place     string // "the organization" or the workspace's name
	Providers []*sso.ProviderView
	Domains   []*gh.Domain
	Form      sso.ProviderInput
	Rule      ruleForm
}

// ruleForm is a home's password rule as the form shows it.
type ruleForm struct {
	SSOOnly    bool
	BreakGlass string // emails, one a line
}

// ssoScope is the scope the path names, when single sign-on is on.
func (c *Console) ssoScope(r *http.Request, v *view) (directory.Scope, *sso.Service, error) {
	svc := c.web.SSO()
	if svc == nil {
		return directory.Scope{}, nil, gh.NotFound("page")
	}
	s, err := c.pathScope(r, v)
	return s, svc, err
}

func (c *Console) ssoHome(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showSSO(r, v, sso.ProviderInput{Type: gh.ProviderOIDC, JIT: true}, nil)
}

func (c *Console) showSSO(r *http.Request, v *view, form sso.ProviderInput, rule *ruleForm) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	ps, err := c.dir.ListProviders(v.actor, s)
	if err != nil {
		return err
	}
	p := ssoPage{Prefix: prefix(s), Place: "the organization", Form: form}
	if s.Workspace != nil {
		p.Place = s.Workspace.Name
	}
	for _, pr := range ps {
		p.Providers = append(p.Providers, svc.View(pr))
	}
	if p.Domains, err = c.dir.ListDomains(v.actor, s); err != nil {
		return err
	}
	if rule != nil {
		p.Rule = *rule
	} else {
		p.Rule = c.ruleOf(s)
	}
	placeCrumbs(v, s, crumb{})
	v.show("sso.html", "Single sign-on", p)
	return nil
}

// ruleOf is the home's rule in force, break-glass accounts by email.
func (c *Console) ruleOf(s directory.Scope) ruleForm {
	r := c.dir.SignInRuleOf(s.Home())
	f := ruleForm{SSOOnly: r.Password == gh.PasswordSSOOnly}
	var emails []string
	for _, id := range r.BreakGlass {
		if u := c.dir.Index().User(id); u != nil {
			emails = append(emails, u.Email)
		}
	}
	f.BreakGlass = strings.Join(emails, "\n")
	return f
}

// providerForm reads the add and edit forms.
func providerForm(r *http.Request) sso.ProviderInput {
	f := r.PostForm
	claims := gh.ClaimMap{Email: strings.TrimSpace(f.Get("email_claim")), Name: strings.TrimSpace(f.Get("name_claim")),
		Groups: strings.TrimSpace(f.Get("groups_claim"))}
	in := sso.ProviderInput{Type: gh.ProviderType(f.Get("type")), Name: f.Get("name"), JIT: f.Get("jit") == "on",
		TrustMFA: f.Get("trust_mfa") == "on", Disabled: f.Get("disabled") == "on"}
	switch in.Type {
	case gh.ProviderOIDC:
		in.Issuer, in.ClientID, in.ClientSecret = strings.TrimSpace(f.Get("issuer")), strings.TrimSpace(f.Get("client_id")), f.Get("client_secret")
		in.Scopes, in.Claims = strings.Fields(f.Get("scopes")), claims
	case gh.ProviderSAML:
		in.MetadataXML, in.MetadataURL = strings.TrimSpace(f.Get("metadata_xml")), strings.TrimSpace(f.Get("metadata_url"))
		in.Attributes, in.AllowIdPInitiated = claims, f.Get("allow_idp_initiated") == "on"
	}
	return in
}

func (c *Console) createProvider(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.saveProvider(w, r, v, func(s directory.Scope, svc *sso.Service, in sso.ProviderInput) (*sso.ProviderView, string, error) {
		pv, _, err := svc.Create(r.Context(), v.actor, s, in)
		if err != nil {
			return nil, "", err
		}
		return pv, "Identity provider " + pv.Name + " added. Give its admin the addresses below.", nil
	}, func(in sso.ProviderInput) error { return c.showSSO(r, v, in, nil) })
}

// saveProvider reads the provider form, saves it, and goes to the
// provider's page; a refusal shows the form again (again), secret left out.
func (c *Console) saveProvider(w http.ResponseWriter, r *http.Request, v *view,
	save func(directory.Scope, *sso.Service, sso.ProviderInput) (*sso.ProviderView, string, error), again func(sso.ProviderInput) error) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	in := providerForm(r)
	pv, notice, err := save(s, svc, in)
	if err != nil {
		formError(v, err)
		in.ClientSecret = ""
		return again(in)
	}
	return done(w, r, prefix(s)+"/sso/"+string(pv.ID), notice)
}

type providerPage struct {
	Prefix   string
	Provider *sso.ProviderView
	Form     sso.ProviderInput
	Attempts []*gh.Event
	Bench    *sso.BenchResult
	Pasted   string
}

func (c *Console) ssoProvider(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showProvider(r, v, nil, "", nil)
}

func (c *Console) showProvider(r *http.Request, v *view, form *sso.ProviderInput, pasted string, bench *sso.BenchResult) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	id := gh.ProviderID(r.PathValue("id"))
	p, err := c.dir.GetProvider(v.actor, s, id)
	if err != nil {
		return err
	}
	pg := providerPage{Prefix: prefix(s), Provider: svc.View(p), Bench: bench, Pasted: pasted}
	if form != nil {
		pg.Form = *form
	} else {
		pg.Form = sso.InputOf(p)
	}
	if pg.Attempts, err = svc.Attempts(r.Context(), v.actor, s, id, 25); err != nil {
		return err
	}
	list := crumb{"Single sign-on", prefix(s) + "/sso"}
	if s.Workspace != nil {
		placeCrumbs(v, s, crumb{}, list)
	} else {
		placeCrumbs(v, s, list)
	}
	v.show("sso_provider.html", p.Name, pg)
	return nil
}

func (c *Console) updateProvider(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.saveProvider(w, r, v, func(s directory.Scope, svc *sso.Service, in sso.ProviderInput) (*sso.ProviderView, string, error) {
		pv, _, err := svc.Replace(r.Context(), v.actor, s, gh.ProviderID(r.PathValue("id")), in, 0)
		return pv, "Identity provider saved.", err
	}, func(in sso.ProviderInput) error { return c.showProvider(r, v, &in, "", nil) })
}

func (c *Console) deleteProvider(w http.ResponseWriter, r *http.Request, v *view) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	if _, err := svc.Delete(r.Context(), v.actor, s, gh.ProviderID(r.PathValue("id")), 0); err != nil {
		formError(v, err)
		return c.showProvider(r, v, nil, "", nil)
	}
	return done(w, r, prefix(s)+"/sso", "Identity provider removed. Its users keep their accounts.")
}

// testProvider runs the mapping test bench on a pasted answer.
func (c *Console) testProvider(w http.ResponseWriter, r *http.Request, v *view) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	id := gh.ProviderID(r.PathValue("id"))
	p, err := c.dir.GetProvider(v.actor, s, id)
	if err != nil {
		return err
	}
	pasted := strings.TrimSpace(r.PostForm.Get("answer"))
	in := sso.BenchInput{SAMLResponse: pasted}
	if p.Type == gh.ProviderOIDC {
		in = sso.BenchInput{Claims: json.RawMessage(pasted)}
		if !json.Valid(in.Claims) {
			formError(v, gh.Invalid("invalid_input", "answer", "is not JSON: paste the ID token's claims as a JSON object"))
			return c.showProvider(r, v, nil, pasted, nil)
		}
	}
	res, err := svc.Test(r.Context(), v.actor, s, id, in)
	if err != nil {
		formError(v, err)
	}
	return c.showProvider(r, v, nil, pasted, res)
}

// saveSignInRule sets the home's password rule: the organization's through
// its policy, a workspace's on the workspace.
func (c *Console) saveSignInRule(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	form := ruleForm{SSOOnly: r.PostForm.Get("sso_only") == "on", BreakGlass: r.PostForm.Get("break_glass")}
	rule, err := c.ruleFrom(s, form)
	if err == nil {
		err = c.setRule(r, v, s, rule)
	}
	if err != nil {
		formError(v, err)
		return c.showSSO(r, v, sso.ProviderInput{Type: gh.ProviderOIDC, JIT: true}, &form)
	}
	return done(w, r, prefix(s)+"/sso", "Sign-in rule saved.")
}

// ruleFrom reads break-glass accounts by email, among the home's people.
func (c *Console) ruleFrom(s directory.Scope, f ruleForm) (gh.SignInRule, error) {
	rule := gh.SignInRule{Password: gh.PasswordAllowed, BreakGlass: []gh.UserID{}}
	if f.SSOOnly {
		rule.Password = gh.PasswordSSOOnly
	}
	for _, email := range lines(f.BreakGlass) {
		u := c.dir.Index().UserByEmail(s.Home(), email)
		if u == nil {
			return rule, gh.Invalid("invalid_input", "break_glass", email+" is not a user here")
		}
		rule.BreakGlass = append(rule.BreakGlass, u.ID)
	}
	return rule, nil
}

func (c *Console) setRule(r *http.Request, v *view, s directory.Scope, rule gh.SignInRule) error {
	if s.Workspace != nil {
		_, _, err := c.dir.SetWorkspaceSignIn(r.Context(), v.actor, s, rule)
		return err
	}
	patch := directory.PolicyPatch{"password_sign_in": gh.MustJSON(rule.Password), "break_glass": gh.MustJSON(rule.BreakGlass)}
	_, _, err := c.dir.UpdateOrg(r.Context(), v.actor, s.Org, directory.OrgPatch{Policy: patch}, 0)
	return err
}

func (c *Console) claimDomain(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.domainAction(w, r, v, func(s directory.Scope, _ *sso.Service) (string, error) {
		d, _, err := c.dir.ClaimDomain(r.Context(), v.actor, s, r.PostForm.Get("domain"))
		if err != nil {
			return "", err
		}
		return "Domain " + d.Name + " claimed. Publish the TXT record below, then verify.", nil
	})
}

func (c *Console) verifyDomain(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.domainAction(w, r, v, func(s directory.Scope, svc *sso.Service) (string, error) {
		d, _, err := svc.VerifyDomain(r.Context(), v.actor, s, gh.DomainID(r.PathValue("id")))
		if err != nil {
			return "", err
		}
		return "Domain " + d.Name + " verified: its people are sent to single sign-on.", nil
	})
}

func (c *Console) releaseDomain(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.domainAction(w, r, v, func(s directory.Scope, _ *sso.Service) (string, error) {
		_, err := c.dir.ReleaseDomain(r.Context(), v.actor, s, gh.DomainID(r.PathValue("id")))
		return "Domain released.", err
	})
}

// domainAction runs one change of the scope's domains and shows the page
// again with its outcome.
func (c *Console) domainAction(w http.ResponseWriter, r *http.Request, v *view, act func(directory.Scope, *sso.Service) (string, error)) error {
	s, svc, err := c.ssoScope(r, v)
	if err != nil {
		return err
	}
	notice, err := act(s, svc)
	if err != nil {
		formError(v, err)
		return c.showSSO(r, v, sso.ProviderInput{Type: gh.ProviderOIDC, JIT: true}, nil)
	}
	return done(w, r, prefix(s)+"/sso#domains", notice)
}

// addExternal makes a group follow a provider's group.
func (c *Console) addExternal(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	ext := append(append([]gh.ExternalGroup{}, g.External...),
		gh.ExternalGroup{Provider: gh.ProviderID(r.PostForm.Get("provider")), Value: r.PostForm.Get("value")})
	return c.setExternal(w, r, v, s, g, ext, "The group now follows that provider group.")
}

// removeExternal stops following one provider group (by its place in the list).
func (c *Console) removeExternal(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	var ext []gh.ExternalGroup
	for _, e := range g.External {
		if string(e.Provider)+" "+e.Value != r.PostForm.Get("ref") {
			ext = append(ext, e)
		}
	}
	return c.setExternal(w, r, v, s, g, ext, "The group no longer follows that provider group; its members stay as they are.")
}

func (c *Console) setExternal(w http.ResponseWriter, r *http.Request, v *view, s directory.Scope, g *gh.Group, ext []gh.ExternalGroup, notice string) error {
	if ext == nil {
		ext = []gh.ExternalGroup{}
	}
	if _, _, err := c.dir.UpdateGroup(r.Context(), v.actor, s, g.ID, directory.GroupPatch{External: &ext}, 0); err != nil {
		formError(v, err)
		return c.showGroup(r, v, s, g)
	}
	return done(w, r, prefix(s)+"/groups/"+string(g.ID), notice)
}
