package console

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// Settings → Users → one user: details, status, organization role, a
// temporary password, the second factor, groups, workspaces, sessions and
// API keys. A workspace's user or another organization's is not found here.

type userPage struct {
	Base        string // the user's page: under Settings, or under its workspace
	User        *gh.User
	Groups      []*gh.Group
	Assignments []accessRow
	Manage      bool // the viewer may manage this user (status, password, sessions)
	Sessions    []*gh.Session
	KeysShown   bool // the viewer may see and make this user's keys
	Keys        []*gh.APIKey
	// NewKey and Secret are the key just made: the secret is on this one
	// answer only, and never stored or shown again.
	NewKey *gh.APIKey
	Secret string
	// ManagedBy names the directory that provisions the user, if any.
	ManagedBy string
	Profile   profileView
}

// orgUser finds a user of the organization, or of the workspace the path
// names, as the viewer may see it.
func (c *Console) orgUser(r *http.Request, v *view) (directory.Scope, *gh.User, error) {
	var s directory.Scope
	var err error
	if r.PathValue("ws") != "" {
		s, err = c.scopeOf(r, v)
	} else {
		s, err = orgScope(v)
	}
	if err != nil {
		return s, nil, err
	}
	u, err := c.dir.GetUser(v.actor, s, gh.UserID(r.PathValue("id")))
	return s, u, err
}

// userPath is a user's page: under Settings for the partner's people, under
// their workspace for a customer's.
func userPath(s directory.Scope, id gh.UserID) string {
	if s.Workspace != nil {
		return "/workspaces/" + string(s.Workspace.ID) + "/users/" + string(id)
	}
	return "/settings/users/" + string(id)
}

// userCrumbs places a user's page where it lives.
func userCrumbs(v *view, s directory.Scope, more ...crumb) {
	placeCrumbs(v, s, crumb{"Users", "/settings/users"}, more...)
}

// placeCrumbs places a page of a scope's directory: under Settings (after
// the list it belongs to) for the organization's, under the workspace's IAM
// for a workspace's.
func placeCrumbs(v *view, s directory.Scope, list crumb, more ...crumb) {
	if s.Workspace == nil {
		if list.Label == "" { // the list itself
			v.settings(more...)
			return
		}
		v.settings(append([]crumb{list}, more...)...)
		return
	}
	var cs []crumb
	v.Section = "iam"
	if v.Home == nil {
		v.Section = "workspaces"
		cs = append(cs, crumb{"Workspaces", "/workspaces"})
	}
	cs = append(cs, crumb{s.Workspace.Name + " · IAM", "/workspaces/" + string(s.Workspace.ID) + "/iam"})
	v.Crumbs = append(cs, more...)
}

func (c *Console) settingsUser(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	return c.showUser(r, v, s, u, nil, "")
}

func (c *Console) showUser(r *http.Request, v *view, s directory.Scope, u *gh.User, key *gh.APIKey, secret string) error {
	x := c.dir.Index()
	p := userPage{Base: userPath(s, u.ID), User: u, NewKey: key, Secret: secret}
	if u.Managed != nil {
		p.ManagedBy = string(u.Managed.Directory)
		if xd := x.ExternalDirectory(u.Managed.Directory); xd != nil {
			p.ManagedBy = xd.Name
		}
	}
	for _, id := range x.GroupsOf(gh.UserPrincipal(u.ID), false) {
		if g := x.Group(id); g != nil {
			p.Groups = append(p.Groups, g)
		}
	}
	var err error
	if p.Assignments, err = c.accessOf(v, s, gh.UserPrincipal(u.ID)); err != nil {
		return err
	}
	if _, err := c.dir.ManagedUser(v.actor, s, u.ID); err == nil {
		p.Manage = true
		if p.Sessions, err = c.signin.Sessions(r.Context(), u.ID); err != nil {
			return err
		}
	}
	if keys, err := c.dir.ListKeys(v.actor, v.Org, u.ID); err == nil {
		p.KeysShown, p.Keys = true, keys
	} else if gh.KindOf(err) != gh.KindForbidden {
		return err
	}
	p.Profile = c.profileOf(v, p.Base, p.Base+"/profile", u, c.dir.MayEditProfile(v.actor, s, u.ID))
	userCrumbs(v, s)
	v.show("settings_user.html", u.DisplayName(), p)
	return nil
}

// userChanged redirects to the user's page with what happened, or shows the
// page again with the error.
func (c *Console) userChanged(w http.ResponseWriter, r *http.Request, v *view, s directory.Scope, u *gh.User, err error, notice string) error {
	if err != nil {
		formError(v, err)
		if fresh := c.dir.Index().User(u.ID); fresh != nil {
			u = fresh
		}
		return c.showUser(r, v, s, u, nil, "")
	}
	return done(w, r, userPath(s, u.ID), notice)
}

func (c *Console) userStatus(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	st := gh.Status(r.PostForm.Get("status"))
	if st != gh.StatusActive && st != gh.StatusDisabled {
		return c.userChanged(w, r, v, s, u, gh.Invalid("invalid_input", "status", "must be active or disabled"), "")
	}
	_, _, err = c.dir.UpdateUser(r.Context(), v.actor, s, u.ID, directory.UserPatch{Status: &st}, 0)
	notice := u.Email + " is enabled again."
	if st == gh.StatusDisabled {
		notice = u.Email + " is disabled: their sessions and API keys have ended."
	}
	return c.userChanged(w, r, v, s, u, err, notice)
}

func (c *Console) userRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	role := gh.OrgRole(r.PostForm.Get("org_role"))
	_, _, err = c.dir.UpdateUser(r.Context(), v.actor, s, u.ID, directory.UserPatch{OrgRole: &role}, 0)
	return c.userChanged(w, r, v, s, u, err, "Organization role changed.")
}

// userPassword sets a temporary password: the user must choose their own at
// the next sign-in, and every session of theirs ends now.
func (c *Console) userPassword(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	_, err = c.signin.SetPassword(r.Context(), v.actor, s, u.ID, signin.SetPasswordInput{Password: r.PostForm.Get("password"), Temporary: true})
	return c.userChanged(w, r, v, s, u, err, "Temporary password set: "+u.Email+" must choose a new one at the next sign-in.")
}

func (c *Console) userResetMFA(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	_, err = c.signin.ResetMFA(r.Context(), v.actor, s, u.ID)
	return c.userChanged(w, r, v, s, u, err, "Second factors removed: "+u.Email+" will set one up again if the policy asks.")
}

func (c *Console) userEndSession(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	if u, err = c.dir.ManagedUser(v.actor, s, u.ID); err != nil {
		return err
	}
	err = c.signin.EndSession(r.Context(), v.actor, u, r.PathValue("sid"))
	return c.userChanged(w, r, v, s, u, err, "Session ended.")
}

// userCreateKey makes an API key and shows its secret on this answer only.
func (c *Console) userCreateKey(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	if err := c.signin.Throttle(r.Context(), "keys/"+string(v.Me.ID)); err != nil {
		return c.userChanged(w, r, v, s, u, err, "")
	}
	k, secret, _, err := c.dir.CreateKey(r.Context(), v.actor, v.Org, u.ID, directory.KeyInput{Name: r.PostForm.Get("name")})
	if err != nil {
		return c.userChanged(w, r, v, s, u, err, "")
	}
	v.Notice = "API key " + k.Name + " created. Copy its secret now: it is shown only this once."
	return c.showUser(r, v, s, u, k, secret.Reveal())
}

func (c *Console) userRevokeKey(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	_, err = c.dir.RevokeKey(r.Context(), v.actor, v.Org, u.ID, gh.KeyID(r.PathValue("key")))
	return c.userChanged(w, r, v, s, u, err, "API key revoked.")
}

// accessRow is a workspace where a principal is assigned, with its role there.
type accessRow struct{ Workspace, Name, Role string }

// accessOf lists the workspaces a principal is assigned to, as the viewer sees them.
func (c *Console) accessOf(v *view, s directory.Scope, p gh.Principal) ([]accessRow, error) {
	as, err := c.dir.PrincipalAssignments(v.actor, s, p)
	if err != nil {
		return nil, err
	}
	out := make([]accessRow, 0, len(as))
	for _, a := range as {
		row := accessRow{Workspace: string(a.Workspace), Name: string(a.Workspace), Role: a.RoleName}
		if ws := c.dir.Index().Workspace(a.Workspace); ws != nil {
			row.Name = ws.Name
		}
		out = append(out, row)
	}
	return out, nil
}
