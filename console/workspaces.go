package console

import (
	"net/http"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// workspaceRow is one customer in the list.
type workspaceRow struct {
	*gh.Workspace
	Assignments int
	Users       int    // the customer's own
	Groups      int    // the customer's own
	Role        string // the viewer's role there, for those who are not admins
	Seats       directory.SeatUse
}

type workspacesPage struct {
	Query, Status string
	Rows          []workspaceRow
	Next          string
	Templates     []*gh.Template
	Form          directory.WorkspaceInput
}

// workspaces lists the customers the viewer can see, searched and paged.
func (c *Console) workspaces(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.Home != nil {
		return c.home(w, r, v)
	}
	return c.showWorkspaces(r, v, directory.WorkspaceInput{})
}

func (c *Console) showWorkspaces(r *http.Request, v *view, form directory.WorkspaceInput) error {
	q := r.URL.Query()
	p := workspacesPage{Query: q.Get("q"), Status: q.Get("status"), Form: form}
	needle := strings.ToLower(p.Query)
	after := q.Get("after")
	for more := true; more && p.Next == ""; {
		list := c.dir.ListWorkspaces(v.actor, v.Org, gh.Status(p.Status), directory.Page{After: after, Limit: directory.MaxLimit})
		for _, ws := range list.Items {
			if needle != "" && !strings.Contains(strings.ToLower(ws.Name+" "+ws.Slug), needle) {
				continue
			}
			if len(p.Rows) == pageSize {
				p.Next = pageLink(r, string(p.Rows[len(p.Rows)-1].ID))
				break
			}
			p.Rows = append(p.Rows, c.workspaceRow(v, ws))
		}
		after, more = list.Next, list.Next != ""
	}
	if v.Admin {
		t, err := c.dir.ListTemplates(v.actor, v.Org, directory.Page{})
		if err != nil {
			return err
		}
		p.Templates = t.Items
	}
	v.Section = "workspaces"
	v.show("workspaces.html", "Workspaces", p)
	return nil
}

func (c *Console) workspaceRow(v *view, ws *gh.Workspace) workspaceRow {
	x := c.dir.Index()
	row := workspaceRow{Workspace: ws, Assignments: len(x.AssignmentsIn(ws.ID)), Users: x.UsersIn(ws.Org, ws.ID),
		Groups: len(x.GroupsIn(gh.Home{Org: ws.Org, Workspace: ws.ID}, all[*gh.Group]))}
	if v.Admin {
		row.Seats = c.dir.WorkspaceSeats(ws)
	} else {
		row.Role = c.roleOf(v.Me, ws)
	}
	return row
}

// roleOf names the roles that reach u in ws, strongest first as the engine ranks them.
func (c *Console) roleOf(u *gh.User, ws *gh.Workspace) string {
	x := c.dir.Index()
	var names []string
	for _, g := range append([]gh.Principal{gh.UserPrincipal(u.ID)}, groupsOf(x.GroupsOf(gh.UserPrincipal(u.ID), true))...) {
		if as := x.AssignmentFor(g, ws.ID); as != nil {
			if role := x.Role(as.Role); role != nil && !slices.Contains(names, role.Name) {
				names = append(names, role.Name)
			}
		}
	}
	return strings.Join(names, ", ")
}

func groupsOf(ids []gh.GroupID) []gh.Principal {
	out := make([]gh.Principal, len(ids))
	for i, id := range ids {
		out[i] = gh.GroupPrincipal(id)
	}
	return out
}

const pageSize = 50

// pageLink is the current page's address with the cursor moved on.
func pageLink(r *http.Request, after string) string {
	q := r.URL.Query()
	q.Set("after", after)
	return r.URL.Path + "?" + q.Encode()
}

// createWorkspace onboards a customer: the workspace, the templates marked
// to apply by themselves, and the one picked on the form.
func (c *Console) createWorkspace(w http.ResponseWriter, r *http.Request, v *view) error {
	in := directory.WorkspaceInput{Name: r.PostForm.Get("name"), Slug: r.PostForm.Get("slug")}
	ws, _, err := c.dir.CreateWorkspace(r.Context(), v.actor, v.Org, in)
	if err != nil {
		formError(v, err)
		return c.showWorkspaces(r, v, in)
	}
	notice := "Workspace " + ws.Name + " created."
	if t := r.PostForm.Get("template"); t != "" {
		res, _, err := c.dir.ApplyTemplate(r.Context(), v.actor, ws, gh.TemplateID(t))
		if err != nil {
			return done(w, r, "/workspaces/"+string(ws.ID)+"/iam", notice+" The template could not be applied: "+message(gh.AsError(err)))
		}
		notice += " " + plural(len(res.Created), "assignment", "assignments") + " made from the template."
	}
	return done(w, r, "/workspaces/"+string(ws.ID)+"/iam", notice)
}
