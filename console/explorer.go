package console

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// The access explorer: "why can't X do Y in W?" drawn as the path the engine
// followed, or its first missing step with the fix as a button; the reverse
// questions (where can X do Y, who can do Y in W); and the effective-access
// matrix. Everything is asked of the directory as the viewer, so a workspace
// admin explores only its own workspace and hidden people stay hidden.

type explorerPage struct {
	Mode       string // why | where | who | matrix
	User       string
	Workspace  string
	Capability string
	Level      string

	Workspaces   []*gh.Workspace
	Capabilities []gh.CapabilityInfo

	Why   *whyAnswer
	Where []engine.WorkspaceAccess
	Who   []engine.UserAccess
	Next  string

	Matrix *matrix
}

const maxPicker = 300

type whyAnswer struct {
	*engine.Explanation
	Email, WorkspaceName string
	Failed               *engine.Step // the first missing step
	Roles                []*gh.Role   // roles the viewer may give that would allow it
	Enable               bool         // the fix is enabling the user, and the viewer may
}

func (c *Console) explorer(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	p := &explorerPage{Mode: q.Get("mode"), User: strings.TrimSpace(q.Get("user")), Workspace: q.Get("workspace"),
		Capability: q.Get("capability"), Level: q.Get("level")}
	if p.Mode == "" {
		p.Mode = "why"
	}
	if v.Home != nil {
		p.Workspace = string(v.Home.ID) // a customer explores its own workspace only
	}
	// A picker up to a few hundred workspaces; beyond, the field takes a short name or id.
	if ws := c.dir.ListWorkspaces(v.actor, v.Org, "", directory.Page{Limit: maxPicker}); ws.Next == "" {
		p.Workspaces = ws.Items
	}
	for _, ci := range c.dir.Catalogue().Capabilities() {
		if ci.Scope == gh.ScopeWorkspace {
			p.Capabilities = append(p.Capabilities, ci)
		}
	}
	v.Section = "access"
	v.show("explorer.html", "Access explorer", p)
	if err := c.answer(r, v, p); err != nil {
		formError(v, err)
	}
	return nil
}

// answer asks the question the form holds, once it holds one.
func (c *Console) answer(r *http.Request, v *view, p *explorerPage) error {
	level, err := gh.ParseLevel(p.Level)
	if err != nil {
		return err
	}
	cap := gh.Capability(p.Capability)
	org := string(v.Org.ID)
	after := r.URL.Query().Get("after")
	switch {
	case p.Mode == "why" && p.User != "" && p.Workspace != "" && cap != "":
		return c.why(v, p, cap, level)
	case p.Mode == "where" && p.User != "" && cap != "":
		list, _, err := c.dir.LookupWorkspaces(v.actor, org, p.User, cap, level, directory.LookupPage{Page: directory.Page{After: after, Limit: pageSize}})
		if err != nil {
			return err
		}
		p.Where, p.Next = list.Items, nextOf(r, list.Next)
	case p.Mode == "who" && p.Workspace != "" && cap != "":
		list, _, err := c.dir.LookupUsers(v.actor, org, p.Workspace, cap, level, directory.LookupPage{Page: directory.Page{After: after, Limit: pageSize}, Paths: true})
		if err != nil {
			return err
		}
		p.Who, p.Next = list.Items, nextOf(r, list.Next)
	case p.Mode == "matrix":
		m, err := c.matrix(r, v)
		if err != nil {
			return err
		}
		p.Matrix = m
	}
	return nil
}

func nextOf(r *http.Request, next string) string {
	if next == "" {
		return ""
	}
	return pageLink(r, next)
}

func (c *Console) why(v *view, p *explorerPage, cap gh.Capability, level gh.Level) error {
	e, err := c.dir.Explain(v.actor, directory.Question{Org: string(v.Org.ID), User: p.User, Workspace: p.Workspace, Capability: cap, Level: level})
	if err != nil {
		return err
	}
	x := c.dir.Index()
	a := &whyAnswer{Explanation: e}
	if u := x.User(e.User); u != nil {
		a.Email = u.Email
	}
	ws := x.Workspace(e.Workspace)
	if ws != nil {
		a.WorkspaceName = ws.Name
	}
	for i := range e.Steps {
		if !e.Steps[i].OK {
			a.Failed = &e.Steps[i]
			break
		}
	}
	p.Why = a
	if a.Failed == nil || ws == nil {
		return nil
	}
	switch a.Failed.Step {
	case "assignment", "grant":
		a.Roles = c.fixingRoles(v, ws, x.User(e.User), cap, level)
	case "user":
		a.Enable = v.Admin || c.mayManageUser(v, e.User)
	}
	return nil
}

// fixingRoles are the roles the viewer may give the user in ws that grant
// the capability at the level asked.
func (c *Console) fixingRoles(v *view, ws *gh.Workspace, u *gh.User, cap gh.Capability, level gh.Level) []*gh.Role {
	if u == nil {
		return nil
	}
	roles, err := c.dir.GrantableRoles(v.actor, directory.Scope{Org: v.Org, Workspace: ws}, u.Home)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(roles, func(r *gh.Role) bool { return r.Level(cap) < level })
}

// mayManageUser reports whether the viewer may change the user: the
// directory decides, here by asking for the user as a manager would.
func (c *Console) mayManageUser(v *view, id gh.UserID) bool {
	u := c.dir.Index().User(id)
	if u == nil {
		return false
	}
	s := directory.Scope{Org: v.Org}
	if u.Workspace != "" {
		s.Workspace = c.dir.Index().Workspace(u.Workspace)
	}
	_, err := c.dir.ManagedUser(v.actor, s, id)
	return err == nil
}

// fix applies the explorer's fix — a role for the user in the workspace, or
// enabling the user — and shows the question again with its new answer.
func (c *Console) fix(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	back := "/access?" + url.Values{"mode": {"why"}, "user": {f.Get("user")}, "workspace": {f.Get("workspace")},
		"capability": {f.Get("capability")}, "level": {f.Get("level")}}.Encode()
	x := c.dir.Index()
	u := x.User(gh.UserID(f.Get("user_id")))
	if u == nil || u.Org != v.Org.ID {
		return gh.NotFound("user")
	}
	s := directory.Scope{Org: v.Org}
	if u.Workspace != "" {
		s.Workspace = x.Workspace(u.Workspace)
	}
	if f.Get("action") == "enable" {
		active := gh.StatusActive
		if _, _, err := c.dir.UpdateUser(r.Context(), v.actor, s, u.ID, directory.UserPatch{Status: &active}, 0); err != nil {
			return err
		}
		return done(w, r, back, u.Email+" is enabled.")
	}
	ws, err := c.dir.Resolve(v.actor, string(v.Org.ID), f.Get("workspace_id"))
	if err != nil {
		return err
	}
	as, _, _, err := c.dir.Assign(r.Context(), v.actor, ws, gh.UserPrincipal(u.ID), f.Get("role"))
	if err != nil {
		return err
	}
	return done(w, r, back, u.Email+" now has the role "+as.RoleName+" in "+ws.Workspace.Name+".")
}

// matrix is one page of the effective-access matrix: users × workspaces,
// the roles each user holds in each, a few workspaces at a time.
type matrix struct {
	Workspaces []*gh.Workspace
	Rows       []matrixRow
	NextCols   string
	Export     string
}

type matrixRow struct {
	Email string
	Cells []string
}

const matrixColumns = 8

func (c *Console) matrix(r *http.Request, v *view) (*matrix, error) {
	list := c.dir.ListWorkspaces(v.actor, v.Org, "", directory.Page{After: r.URL.Query().Get("cols"), Limit: matrixColumns})
	m := &matrix{Workspaces: list.Items, Export: "/v1/orgs/" + string(v.Org.ID) + "/access/export"}
	if list.Next != "" {
		q := r.URL.Query()
		q.Set("cols", list.Next)
		m.NextCols = r.URL.Path + "?" + q.Encode()
	}
	cells := map[string][]string{}
	for i, ws := range list.Items {
		rows, err := c.dir.AccessMatrix(v.actor, v.Org, ws)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if cells[row.User.Email] == nil {
				cells[row.User.Email] = make([]string, len(list.Items))
			}
			if cell := &cells[row.User.Email][i]; !strings.Contains(*cell, row.Path.RoleName) {
				*cell = strings.TrimPrefix(*cell+", "+row.Path.RoleName, ", ")
			}
		}
	}
	for _, email := range slices.Sorted(maps.Keys(cells)) {
		m.Rows = append(m.Rows, matrixRow{Email: email, Cells: cells[email]})
	}
	return m, nil
}
