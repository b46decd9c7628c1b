package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// The platform operator's pages: the organizations of the deployment (create
// one with its first admin, suspend, reactivate) and the deployment's own
// audit log. The operator has no account and no password, only its key: the
// sign-in form takes the key and keeps it in an HttpOnly, SameSite=Strict
// cookie limited to /operator and to the browser's session, and every page
// authenticates it again, so revoking or rotating the key ends access at once.

const operatorCookie = "gatehouse_operator"

func (c *Console) operatorRoutes() {
	c.web.Page("GET /operator/signin", http.HandlerFunc(c.operatorSigninPage))
	c.web.Page("POST /operator/signin", http.HandlerFunc(c.operatorSignin))
	c.operatorPage("GET /operator", c.operatorOrgs)
	c.operatorPage("POST /operator/orgs", c.operatorCreateOrg)
	c.operatorPage("POST /operator/orgs/{org}/status", c.operatorOrgStatus)
	c.operatorPage("POST /operator/orgs/{org}/seats", c.operatorOrgSeats)
	c.operatorPage("GET /operator/audit", c.operatorAudit)
	c.operatorPage("GET /operator/announcements", c.announcements)
	c.operatorPage("POST /operator/announcements", c.publish)
	c.operatorPage("POST /operator/announcements/{id}/delete", c.withdraw)
	c.operatorPage("POST /operator/signout", c.operatorSignout)
}

// operatorPage authenticates the operator's key from its cookie. The
// operator belongs to no organization, so there is no read gate to pass.
func (c *Console) operatorPage(pattern string, h handler) {
	m := ungated
	if strings.HasPrefix(pattern, "POST ") {
		m = posting
	}
	c.web.Page(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.operatorView(w, r)
		if !ok {
			http.Redirect(w, r, "/operator/signin", http.StatusSeeOther)
			return
		}
		c.respond(w, r, v, h, m)
	}))
}

func (c *Console) operatorView(w http.ResponseWriter, r *http.Request) (*view, bool) {
	ck, err := r.Cookie(operatorCookie)
	if err != nil {
		return nil, false
	}
	a, err := c.dir.Authenticate(ck.Value, c.source(r))
	if err != nil || !a.Operator {
		return nil, false
	}
	return &view{Operator: true, actor: a, Token: c.web.FormToken(w, r), Notice: flash(w, r)}, true
}

func (c *Console) source(r *http.Request) gh.Source {
	cl := c.web.ClientOf(r)
	return gh.Source{IP: cl.IP, UserAgent: cl.UserAgent, RequestID: cl.RequestID, Via: "console"}
}

func (c *Console) operatorSigninPage(w http.ResponseWriter, r *http.Request) {
	v := &view{Operator: true, Token: c.web.FormToken(w, r)}
	v.show("operator_signin.html", "Platform operator", nil)
	c.render(w, r, v)
}

func (c *Console) operatorSignin(w http.ResponseWriter, r *http.Request) {
	v := &view{Operator: true, Token: c.web.FormToken(w, r)}
	v.show("operator_signin.html", "Platform operator", nil)
	err := readForm(w, r)
	var a *directory.Actor
	if err == nil {
		a, err = c.dir.Authenticate(strings.TrimSpace(r.PostForm.Get("key")), c.source(r))
	}
	if err != nil || !a.Operator {
		// The same words for any refused key: a page must not tell keys apart.
		formError(v, gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "that is not the operator's key"))
		c.render(w, r, v)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: operatorCookie, Value: strings.TrimSpace(r.PostForm.Get("key")), Path: "/operator",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.web.SecureCookies()})
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

func (c *Console) operatorSignout(w http.ResponseWriter, r *http.Request, v *view) error {
	http.SetCookie(w, &http.Cookie{Name: operatorCookie, Path: "/operator", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.web.SecureCookies()})
	http.Redirect(w, r, "/operator/signin", http.StatusSeeOther)
	return nil
}

// render sends a page outside the signed-in middleware.
func (c *Console) render(w http.ResponseWriter, r *http.Request, v *view) {
	page, err := c.execute(v)
	if err != nil {
		c.log.Error("render", "err", err, "request_id", ghttp.RequestID(r))
		http.Error(w, "something went wrong on our side", http.StatusInternalServerError)
		return
	}
	c.send(w, v.status, page)
}

type operatorOrgsPage struct {
	Orgs []operatorOrgRow
	Next string
	Form directory.OrgInput
}

func (c *Console) operatorOrgs(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showOrgs(r, v, directory.OrgInput{})
}

func (c *Console) showOrgs(r *http.Request, v *view, form directory.OrgInput) error {
	list := c.dir.ListOrgs(v.actor, directory.Page{After: r.URL.Query().Get("after"), Limit: pageSize})
	p := operatorOrgsPage{Form: form}
	for _, o := range list.Items {
		p.Orgs = append(p.Orgs, operatorOrgRow{Org: o, Seats: c.dir.OrgSeats(o)})
	}
	if list.Next != "" {
		p.Next = pageLink(r, list.Next)
	}
	v.Section = "orgs"
	v.show("operator.html", "Organizations", p)
	return nil
}

// operatorCreateOrg creates an organization and its first admin, who is sent
// a link to set a password.
func (c *Console) operatorCreateOrg(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	in := directory.OrgInput{Name: f.Get("name"), Slug: f.Get("slug"),
		Admin: directory.UserInput{Email: f.Get("email"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name")}}
	o, admin, _, err := c.dir.CreateOrg(r.Context(), v.actor, in)
	if err != nil {
		formError(v, err)
		return c.showOrgs(r, v, in)
	}
	notice := "Organization " + o.Name + " created with " + admin.Email + " as its Organization Admin."
	if err := c.signin.RequestReset(context.WithoutCancel(r.Context()), string(o.ID), admin.Email, c.web.ClientOf(r)); err == nil {
		notice += " A link to set a password is on its way to them."
	}
	return done(w, r, "/operator", notice)
}

func (c *Console) operatorOrgStatus(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.dir.Org(v.actor, r.PathValue("org"))
	if err != nil {
		return err
	}
	st := gh.Status(r.PostForm.Get("status"))
	if _, _, err := c.dir.UpdateOrg(r.Context(), v.actor, o, directory.OrgPatch{Status: &st}, 0); err != nil {
		return err
	}
	return done(w, r, "/operator", o.Name+" is now "+string(st)+".")
}

// operatorOrgRow is one organization with its seats in use.
type operatorOrgRow struct {
	*gh.Org
	Seats directory.SeatUse
}

// operatorOrgSeats sets how many active users an organization may have.
func (c *Console) operatorOrgSeats(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.dir.Org(v.actor, r.PathValue("org"))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("seats")))
	if err != nil {
		return gh.Invalid("invalid_input", "seats", "must be a whole number, 0 for unlimited")
	}
	if _, _, err := c.dir.UpdateOrg(r.Context(), v.actor, o, directory.OrgPatch{Seats: &n}, 0); err != nil {
		return err
	}
	if n == 0 {
		return done(w, r, "/operator", o.Name+" may now have any number of active users.")
	}
	return done(w, r, "/operator", o.Name+" may now have "+plural(n, "active user", "active users")+".")
}

type operatorAuditPage struct {
	Events []*gh.Event
	Chain  *gh.ChainReport
	Next   string
}

func (c *Console) operatorAudit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := gh.EventFilter{Limit: pageSize}
	if n, err := strconv.ParseUint(r.URL.Query().Get("before"), 10, 64); err == nil {
		f.Before = gh.Revision(n)
	}
	events, err := c.dir.ListOperatorEvents(r.Context(), v.actor, f)
	if err != nil {
		return err
	}
	p := operatorAuditPage{Events: events}
	if len(events) == pageSize {
		p.Next = "/operator/audit?before=" + strconv.FormatUint(uint64(events[len(events)-1].Revision), 10)
	}
	if r.URL.Query().Get("verify") != "" {
		if p.Chain, err = c.dir.VerifyOperatorChain(r.Context(), v.actor); err != nil {
			return err
		}
	}
	v.Section = "audit"
	v.show("operator_audit.html", "Deployment audit log", p)
	return nil
}
