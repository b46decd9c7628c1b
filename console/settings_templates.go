package console

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Settings → Onboarding templates: which partner groups get which role in a
// new customer's workspace.

type templatesPage struct {
	Rows   []templateRow
	Next   string
	Groups []*gh.Group
	Roles  []*gh.Role
	Form   directory.TemplateInput
	Blank  []int // the empty entry rows of the form
	Manage bool
	// EditID is the template the form replaces; empty, the form creates one.
	EditID     string
	Workspaces []*gh.Workspace // where a template may be applied
}

type templateRow struct {
	*gh.Template
	Entries []entryRow
}

type entryRow struct{ Group, Role string }

const templateFormRows = 6

func (c *Console) settingsTemplates(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.URL.Query().Get("edit")
	if id == "" {
		return c.showTemplates(r, v, directory.TemplateInput{})
	}
	t, err := c.dir.GetTemplate(v.actor, v.Org, gh.TemplateID(id))
	if err != nil {
		return err
	}
	in := directory.TemplateInput{Name: t.Name, Description: t.Description, AutoApply: t.AutoApply}
	for _, e := range t.Entries {
		in.Entries = append(in.Entries, directory.TemplateEntryInput{Group: e.Group, Role: string(e.Role)})
	}
	return c.showTemplates(r, v, in)
}

func (c *Console) showTemplates(r *http.Request, v *view, form directory.TemplateInput) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	list, err := c.dir.ListTemplates(v.actor, v.Org, directory.Page{After: r.URL.Query().Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	x := c.dir.Index()
	p := templatesPage{Form: form, Manage: v.Admin, EditID: r.URL.Query().Get("edit")}
	if r.PathValue("id") != "" {
		p.EditID = r.PathValue("id")
	}
	for _, t := range list.Items {
		row := templateRow{Template: t}
		for _, e := range t.Entries {
			er := entryRow{Group: string(e.Group), Role: string(e.Role)}
			if g := x.Group(e.Group); g != nil {
				er.Group = g.Name
			}
			if role := x.Role(e.Role); role != nil {
				er.Role = role.Name
			}
			row.Entries = append(row.Entries, er)
		}
		p.Rows = append(p.Rows, row)
	}
	if list.Next != "" {
		p.Next = pageLink(r, list.Next)
	}
	if p.Manage {
		groups, err := c.dir.ListGroups(v.actor, s, "", directory.Page{Limit: directory.MaxLimit})
		if err != nil {
			return err
		}
		roles, err := c.dir.ListRoles(v.actor, s, true, directory.Page{})
		if err != nil {
			return err
		}
		p.Groups, p.Roles = groups.Items, roles.Items
		p.Workspaces = c.dir.ListWorkspaces(v.actor, v.Org, gh.StatusActive, directory.Page{Limit: maxPicker}).Items
		p.Blank = make([]int, max(templateFormRows-len(form.Entries), 1))
	}
	v.settings()
	v.show("settings_templates.html", "Onboarding templates", p)
	return nil
}

// createTemplate reads the name and the rows of group and role; empty rows are skipped.
func (c *Console) createTemplate(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	in := templateInput(r)
	t, _, err := c.dir.CreateTemplate(r.Context(), v.actor, v.Org, in)
	if err != nil {
		formError(v, err)
		return c.showTemplates(r, v, in)
	}
	return done(w, r, "/settings/templates", "Template "+t.Name+" created.")
}

// replaceTemplate saves the edited template; workspaces onboarded with it
// keep the assignments they were given.
func (c *Console) replaceTemplate(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	in := templateInput(r)
	t, _, err := c.dir.ReplaceTemplate(r.Context(), v.actor, v.Org, gh.TemplateID(r.PathValue("id")), in, 0)
	if err != nil {
		formError(v, err)
		return c.showTemplates(r, v, in)
	}
	return done(w, r, "/settings/templates", "Template "+t.Name+" saved.")
}

func (c *Console) deleteTemplate(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	if _, err := c.dir.DeleteTemplate(r.Context(), v.actor, v.Org, gh.TemplateID(r.PathValue("id")), 0); err != nil {
		return err
	}
	return done(w, r, "/settings/templates", "Template deleted. Workspaces onboarded with it keep their assignments.")
}

// applyTemplate gives a template's groups their roles in an existing
// workspace, never overriding a role chosen there.
func (c *Console) applyTemplate(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := orgScope(v); err != nil {
		return err
	}
	ws, err := c.dir.Workspace(v.actor, v.Org, r.PostForm.Get("workspace"))
	if err != nil {
		return err
	}
	res, _, err := c.dir.ApplyTemplate(r.Context(), v.actor, ws, gh.TemplateID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return done(w, r, "/workspaces/"+string(ws.ID)+"/iam", "Template applied: "+plural(len(res.Created), "assignment", "assignments")+
		" made, "+plural(len(res.Kept), "group keeps", "groups keep")+" the role chosen here.")
}

// templateInput reads the template form.
func templateInput(r *http.Request) directory.TemplateInput {
	f := r.PostForm
	in := directory.TemplateInput{Name: f.Get("name"), Description: f.Get("description"), AutoApply: f.Get("auto_apply") == "on"}
	groups, roles := f["group"], f["role"]
	for i := range min(len(groups), len(roles)) {
		if groups[i] == "" && roles[i] == "" {
			continue
		}
		in.Entries = append(in.Entries, directory.TemplateEntryInput{Group: gh.GroupID(groups[i]), Role: roles[i]})
	}
	return in
}
