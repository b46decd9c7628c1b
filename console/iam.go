package console

import (
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// A workspace's IAM → Users & Groups: its own users and groups, and every
// assignment in it. The partner's principals show as inherited and are
// read-only to the customer's own people.

type iamPage struct {
	Workspace   *gh.Workspace
	Form        directory.UserInput // the add-a-user form, as typed
	Query       string
	Users       []*gh.User
	UsersNext   string
	Groups      []*gh.Group
	Assignments []assignmentRow
	// The add-assignment form: the principals and roles this viewer may pick.
	Pickable []option
	Roles    []*gh.Role
	// AddUsers offers the add-a-user form, with the roles a new user may get.
	AddUsers bool
	// Reports links the workspace's reports, for those who may read its audit log.
	Reports        bool
	AddGroups      bool
	WorkspaceRoles []*gh.Role
	// DefaultRole is the role new users of the workspace get; DefaultRoles
	// the roles this viewer may make the default (none: it may not).
	DefaultRole  *gh.Role
	DefaultRoles []*gh.Role
	// Seats is the workspace's use of seats, for Org Admins (who set its share).
	Seats *directory.SeatUse
	// Exclusions is the workspace's exclusions, for those who may set them.
	Exclusions *exclusionsPanel
}

type assignmentRow struct {
	directory.AssignmentView
	Inherited bool // an organization principal, managed by the partner
	Editable  bool
}

type option struct{ Value, Label string }

func (c *Console) scopeOf(r *http.Request, v *view) (directory.Scope, error) {
	return c.dir.Resolve(v.actor, string(v.Org.ID), r.PathValue("ws"))
}

func (c *Console) iam(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	return c.showIAM(r, v, s)
}

func (c *Console) showIAM(r *http.Request, v *view, s directory.Scope, form ...directory.UserInput) error {
	p := iamPage{Workspace: s.Workspace, Query: r.URL.Query().Get("q")}
	if len(form) > 0 {
		p.Form = form[0]
	}
	users, err := c.dir.ListUsers(v.actor, s, directory.UserFilter{Query: p.Query}, directory.Page{After: r.URL.Query().Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	p.Users = users.Items
	if users.Next != "" {
		p.UsersNext = pageLink(r, users.Next)
	}
	groups, err := c.dir.ListGroups(v.actor, s, "", directory.Page{Limit: directory.MaxLimit})
	if err != nil {
		return err
	}
	p.Groups = groups.Items
	as, err := c.dir.ListAssignments(v.actor, s, directory.Page{Limit: directory.MaxLimit})
	if err != nil {
		return err
	}
	for _, a := range as.Items {
		row := assignmentRow{AssignmentView: a, Inherited: c.fromPartner(a.Principal)}
		row.Editable = !(row.Inherited && v.Home != nil)
		p.Assignments = append(p.Assignments, row)
	}
	p.Pickable = c.pickable(v, s)
	home := gh.Home{Org: s.Org.ID}
	if v.Home != nil {
		home.Workspace = s.Workspace.ID
	}
	if p.Roles, err = c.dir.GrantableRoles(v.actor, s, home); err != nil {
		return err
	}
	// The add-a-user form is offered to those who may add users here; the
	// directory decides again when it is sent.
	p.AddUsers = c.mayManage(v, s, gh.CapUsersAdd)
	p.Reports = c.mayManage(v, s, gh.CapSettingsView)
	p.AddGroups = c.mayManage(v, s, gh.CapGroupsAdd)
	if p.AddUsers {
		if p.WorkspaceRoles, err = c.dir.GrantableRoles(v.actor, s, s.Home()); err != nil {
			return err
		}
	}
	if id := s.Workspace.DefaultRole; id != "" {
		p.DefaultRole = c.dir.Index().Role(id)
	}
	if v.Admin {
		use := c.dir.WorkspaceSeats(s.Workspace)
		p.Seats = &use
	}
	if p.Exclusions, err = c.exclusionsPanel(v, s, p.Assignments); err != nil {
		return err
	}
	if c.mayManage(v, s, gh.CapRolesAssign) {
		if p.DefaultRoles, err = c.dir.GrantableRoles(v.actor, s, s.Home()); err != nil {
			return err
		}
	}
	v.Section = "iam"
	if v.Home == nil {
		v.Section = "workspaces"
		v.Crumbs = []crumb{{"Workspaces", "/workspaces"}, {s.Workspace.Name, ""}}
	}
	v.show("iam.html", "IAM · Users & Groups", p)
	return nil
}

// pickable lists the groups the viewer may assign here: the workspace's own,
// and the organization's for partner staff.
func (c *Console) pickable(v *view, s directory.Scope) []option {
	x := c.dir.Index()
	var out []option
	if v.Home == nil {
		for _, g := range x.GroupsIn(gh.Home{Org: s.Org.ID}, all[*gh.Group]) {
			out = append(out, option{"group:" + string(g.ID), g.Name + " (partner group)"})
		}
	}
	for _, g := range x.GroupsIn(s.Home(), all[*gh.Group]) {
		out = append(out, option{"group:" + string(g.ID), g.Name})
	}
	return out
}

// fromPartner reports whether a principal is the organization's own — the
// partner's staff or groups — rather than a workspace's.
func (c *Console) fromPartner(p gh.Principal) bool {
	x := c.dir.Index()
	if p.Type == gh.PrincipalUser {
		u := x.User(gh.UserID(p.ID))
		return u != nil && u.IsOrg()
	}
	g := x.Group(gh.GroupID(p.ID))
	return g != nil && g.IsOrg()
}

// assign gives a group, or a user named by email, a role in the workspace.
func (c *Console) assign(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	p, err := c.principalOf(v, s, r.PostForm.Get("principal"), r.PostForm.Get("email"))
	if err == nil {
		_, _, _, err = c.dir.Assign(r.Context(), v.actor, s, p, r.PostForm.Get("role"))
	}
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam", "Role assigned.")
}

// principalOf reads the picked group, or finds the user with that email in
// the workspace or, for partner staff, in the organization. Someone the
// viewer may not see is as absent as someone who does not exist.
func (c *Console) principalOf(v *view, s directory.Scope, picked, email string) (gh.Principal, error) {
	if id, ok := strings.CutPrefix(picked, "group:"); ok && email == "" {
		return gh.GroupPrincipal(gh.GroupID(id)), nil
	}
	if email == "" {
		return gh.Principal{}, gh.Invalid("principal_required", "principal", "is missing: pick a group or give a user's email")
	}
	x := c.dir.Index()
	homes := []gh.Home{s.Home()}
	if v.Home == nil {
		homes = append(homes, gh.Home{Org: s.Org.ID})
	}
	for _, h := range homes {
		if u := x.UserByEmail(h, strings.TrimSpace(email)); u != nil {
			return gh.UserPrincipal(u.ID), nil
		}
	}
	return gh.Principal{}, gh.NotFound("user")
}

func (c *Console) unassign(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	if _, err := c.dir.Unassign(r.Context(), v.actor, s, gh.AssignmentID(r.PathValue("id")), 0); err != nil {
		return err
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam", "Assignment removed.")
}

func all[T any](T) bool { return true }

// createWorkspaceUser adds one of the customer's own people — created, or
// invited by email — with a role in the workspace when one is picked. The
// user and the role are two changes: a refused role leaves the user made,
// and says so.
func (c *Console) createWorkspaceUser(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	in := userInput(r)
	in.OrgRole = ""
	var u *gh.User
	if r.PostForm.Get("invite") != "" {
		u, _, err = c.signin.Invite(r.Context(), v.actor, s, in, c.web.ClientOf(r))
	} else {
		u, _, err = c.dir.CreateUser(r.Context(), v.actor, s, in)
	}
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s, in)
	}
	notice := "User " + u.Email + " created."
	if r.PostForm.Get("invite") != "" {
		notice = "Invitation sent to " + u.Email + "."
	}
	if role := r.PostForm.Get("role"); role != "" {
		if as, _, _, err := c.dir.Assign(r.Context(), v.actor, s, gh.UserPrincipal(u.ID), role); err != nil {
			notice += " The role was not given: " + message(gh.AsError(err))
		} else {
			notice += " Role: " + as.RoleName + "."
		}
	}
	return done(w, r, userPath(s, u.ID), notice)
}

// setDefaultRole sets or clears the role new users of the workspace get.
func (c *Console) setDefaultRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	role := r.PostForm.Get("default_role")
	ws, _, err := c.dir.UpdateWorkspace(r.Context(), v.actor, s.Workspace, directory.WorkspacePatch{DefaultRole: &role}, 0)
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	notice := "New users of " + ws.Name + " get no role by default."
	if rl := c.dir.Index().Role(ws.DefaultRole); rl != nil {
		notice = "New users of " + ws.Name + " get the role " + rl.Name + " by default."
	}
	return done(w, r, "/workspaces/"+string(ws.ID)+"/iam", notice)
}

// setSeats sets the workspace's share of the organization's seats (Org
// Admins; the directory says so again).
func (c *Console) setSeats(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("seats")))
	if err != nil || n < 0 {
		err = gh.Invalid("invalid_input", "seats", "must be a whole number, 0 for no share of its own")
	}
	if err == nil {
		_, _, err = c.dir.UpdateWorkspace(r.Context(), v.actor, s.Workspace, directory.WorkspacePatch{Seats: &n}, 0)
	}
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam", "Seat share saved.")
}

// createWorkspaceGroup makes one of the workspace's own groups.
func (c *Console) createWorkspaceGroup(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	g, _, err := c.dir.CreateGroup(r.Context(), v.actor, s, directory.GroupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")})
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	return done(w, r, prefix(s)+"/groups/"+string(g.ID), "Group "+g.Name+" created.")
}
