package console

import (
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/ldap"
	"gatehouse.dev/gatehouse/provision"
)

// Connected directories: a home's SCIM and LDAP directories, their tokens
// and syncs — Settings → Directories for the partner, the same pages under
// a workspace for a customer's own.

func (c *Console) directoryRoutes() {
	for _, base := range []string{"/settings", "/workspaces/{ws}"} {
		c.get(base+"/directories", c.directoriesPage)
		c.post(base+"/directories", c.connectDirectory)
		c.get(base+"/directories/{id}", c.directoryPage)
		c.post(base+"/directories/{id}/tokens", c.newDirectoryToken)
		c.post(base+"/directories/{id}/tokens/{token}/revoke", c.revokeDirectoryToken)
		c.post(base+"/directories/{id}/sync", c.syncDirectory)
		c.post(base+"/directories/{id}/delete", c.disconnectDirectory)
		c.post(base+"/directories/{id}/release", c.releaseDirectory)
	}
}

type directoriesPage struct {
	Prefix      string
	Place       string
	Directories []*provision.View
	Form        provision.Input
}

// provScope is the scope the path names, when directories are on.
func (c *Console) provScope(r *http.Request, v *view) (directory.Scope, *provision.Service, error) {
	svc := c.web.Provisioning()
	if svc == nil {
		return directory.Scope{}, nil, gh.NotFound("page")
	}
	s, err := c.pathScope(r, v)
	return s, svc, err
}

func (c *Console) directoriesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showDirectories(r, v, provision.Input{Type: gh.DirectorySCIM})
}

func (c *Console) showDirectories(r *http.Request, v *view, form provision.Input) error {
	s, svc, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	xs, err := c.dir.ListExternalDirectories(v.actor, s)
	if err != nil {
		return err
	}
	p := directoriesPage{Prefix: prefix(s), Place: "the organization", Form: form}
	if s.Workspace != nil {
		p.Place = s.Workspace.Name
	}
	for _, x := range xs {
		p.Directories = append(p.Directories, svc.View(x))
	}
	placeCrumbs(v, s, crumb{})
	v.show("directories.html", "Directories", p)
	return nil
}

func directoryForm(r *http.Request) provision.Input {
	f := r.PostForm
	in := provision.Input{Type: gh.DirectoryType(f.Get("type")), Name: f.Get("name"), AdoptExisting: f.Get("adopt_existing") == "on",
		OnDisappear: f.Get("on_disappear")}
	if in.Type == gh.DirectoryLDAP {
		in.URL, in.StartTLS, in.BindDN, in.BindPassword = strings.TrimSpace(f.Get("url")), f.Get("start_tls") == "on", f.Get("bind_dn"), f.Get("bind_password")
		in.BaseDN, in.UserFilter, in.GroupFilter = f.Get("base_dn"), f.Get("user_filter"), f.Get("group_filter")
		in.IntervalMinutes, _ = strconv.Atoi(strings.TrimSpace(f.Get("interval_minutes")))
	}
	return in
}

func (c *Console) connectDirectory(w http.ResponseWriter, r *http.Request, v *view) error {
	s, svc, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	in := directoryForm(r)
	x, _, err := svc.Create(r.Context(), v.actor, s, in)
	if err != nil {
		formError(v, err)
		in.BindPassword = ""
		return c.showDirectories(r, v, in)
	}
	if x.Token != "" { // shown once: on this answer, not after a redirect
		return c.showDirectory(r, v, x.ExternalDirectory, x.Token, nil, false)
	}
	return done(w, r, prefix(s)+"/directories/"+string(x.ID), "Directory "+x.Name+" connected.")
}

type directoryPage struct {
	Prefix    string
	Directory *provision.View
	Secret    string // a new token, shown once
	Tokens    []*gh.DirectoryToken
	History   []historyRow
	Report    *ldap.Report
	Held      bool // the sync was held for removing many people: offer to release it
}

func (c *Console) directoryPage(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	x, err := c.dir.GetExternalDirectory(v.actor, s, gh.ExternalDirectoryID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return c.showDirectory(r, v, x, "", nil, false)
}

func (c *Console) showDirectory(r *http.Request, v *view, x *gh.ExternalDirectory, secret string, rep *ldap.Report, held bool) error {
	s, svc, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	p := directoryPage{Prefix: prefix(s), Directory: svc.View(x), Secret: secret, Report: rep, Held: held}
	if x.Type == gh.DirectorySCIM {
		if p.Tokens, err = c.dir.Store().DirectoryTokens(r.Context(), x.ID); err != nil {
			return err
		}
	}
	evs, err := svc.History(r.Context(), v.actor, s, x.ID)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		p.History = append(p.History, historyRow{Event: ev, Object: c.targetName(ev.Target)})
	}
	list := crumb{"Directories", prefix(s) + "/directories"}
	if s.Workspace != nil {
		placeCrumbs(v, s, crumb{}, list)
	} else {
		placeCrumbs(v, s, list)
	}
	v.show("directory.html", x.Name, p)
	return nil
}

func (c *Console) newDirectoryToken(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	_, secret, _, err := c.dir.NewDirectoryToken(r.Context(), v.actor, s, gh.ExternalDirectoryID(r.PathValue("id")))
	if err != nil {
		return err
	}
	x, err := c.dir.GetExternalDirectory(v.actor, s, gh.ExternalDirectoryID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return c.showDirectory(r, v, x, secret.Reveal(), nil, false)
}

func (c *Console) revokeDirectoryToken(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	id := gh.ExternalDirectoryID(r.PathValue("id"))
	if _, err := c.dir.RevokeDirectoryToken(r.Context(), v.actor, s, id, r.PathValue("token")); err != nil {
		return err
	}
	return done(w, r, prefix(s)+"/directories/"+string(id), "Token revoked.")
}

// syncDirectory runs an LDAP sync, or its dry run, and shows its report.
func (c *Console) syncDirectory(w http.ResponseWriter, r *http.Request, v *view) error {
	s, svc, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	id := gh.ExternalDirectoryID(r.PathValue("id"))
	x, err := c.dir.GetExternalDirectory(v.actor, s, id)
	if err != nil {
		return err
	}
	rep, err := svc.SyncNow(r.Context(), v.actor, s, id, r.PostForm.Get("dry_run") == "true", r.PostForm.Get("release") == "true")
	if err != nil {
		formError(v, err)
	}
	return c.showDirectory(r, v, x, "", rep, err != nil && gh.AsError(err).Code == "sync_held")
}

func (c *Console) disconnectDirectory(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	if _, err := c.dir.DeleteExternalDirectory(r.Context(), v.actor, s, gh.ExternalDirectoryID(r.PathValue("id"))); err != nil {
		return err
	}
	return done(w, r, prefix(s)+"/directories", "Directory disconnected; the people it provisioned are managed here now.")
}

func (c *Console) releaseDirectory(w http.ResponseWriter, r *http.Request, v *view) error {
	s, _, err := c.provScope(r, v)
	if err != nil {
		return err
	}
	x, _, err := c.dir.ReleaseDirectory(r.Context(), v.actor, s, gh.ExternalDirectoryID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return done(w, r, prefix(s)+"/directories/"+string(x.ID), "Released: the directory's disables and deletions go through again.")
}

// historyRow is an event of a directory's history, with the person or
// group it changed named.
type historyRow struct {
	*gh.Event
	Object string
}
