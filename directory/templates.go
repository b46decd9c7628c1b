package directory

import (
	"context"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// TemplateInput creates or replaces an onboarding template. Entry roles may be given by id or name.
type TemplateInput struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	AutoApply   bool                 `json:"auto_apply"`
	Entries     []TemplateEntryInput `json:"entries"`
}

// TemplateEntryInput gives one org group one role.
type TemplateEntryInput struct {
	Group gh.GroupID `json:"group_id"`
	Role  string     `json:"role"` // id or name
}

// template validates in against the index and returns the template it describes.
func (d *Directory) template(o *gh.Org, id gh.TemplateID, in TemplateInput) (*gh.Template, error) {
	t := &gh.Template{ID: id, Org: o.ID, Name: gh.CleanName(in.Name), Description: gh.CleanName(in.Description),
		AutoApply: in.AutoApply, Entries: []gh.TemplateEntry{}}
	f := gh.Fields{}
	orgScope := Scope{Org: o}
	for i, e := range in.Entries {
		field := "entries[" + strconv.Itoa(i) + "]"
		g := d.idx.Group(e.Group)
		if g == nil || g.Org != o.ID || !g.IsOrg() {
			f.Add(field+".group_id", "is not a group of the organization")
			continue
		}
		r := d.findRole(orgScope, e.Role)
		if r == nil {
			f.Add(field+".role", "is not a built-in or organization role")
			continue
		}
		t.Entries = append(t.Entries, gh.TemplateEntry{Group: g.ID, Role: r.ID})
	}
	mergeFields(f, "", t.Validate())
	return t, f.Err()
}

// CreateTemplate creates an onboarding template (Org Admins only).
func (d *Directory) CreateTemplate(ctx context.Context, a *Actor, o *gh.Org, in TemplateInput) (*gh.Template, gh.Revision, error) {
	if err := d.requireOrgAdmin(a, o.ID, "manage onboarding templates"); err != nil {
		return nil, 0, err
	}
	var out *gh.Template
	rev, err := d.write(ctx, a, func(w *writer) error {
		t, err := d.template(o, gh.TemplateID(gh.NewID("tpl")), in)
		if err != nil {
			return err
		}
		if d.templateNamed(o.ID, t.Name) != nil {
			return nameTaken("template")
		}
		ev := w.event(o.ID, "", "template.create", gh.KindTemplate, string(t.ID))
		t.Touch(w.rev(), w.now)
		change(ev, gh.KindTemplate, string(t.ID), nil, t)
		out = t
		return nil
	})
	return out, rev, err
}

func (d *Directory) templateNamed(org gh.OrgID, name string) *gh.Template {
	n := strings.ToLower(name)
	ts := d.idx.Templates(org, func(t *gh.Template) bool { return strings.ToLower(t.Name) == n })
	if len(ts) > 0 {
		return ts[0]
	}
	return nil
}

// GetTemplate returns a template of o (organization users only).
func (d *Directory) GetTemplate(a *Actor, o *gh.Org, id gh.TemplateID) (*gh.Template, error) {
	if err := d.requireOrgReader(a, o.ID); err != nil {
		return nil, err
	}
	t := d.idx.Template(id)
	if t == nil || t.Org != o.ID {
		return nil, gh.NotFound("template")
	}
	return t, nil
}

// ListTemplates lists o's templates, by id.
func (d *Directory) ListTemplates(a *Actor, o *gh.Org, p Page) (List[*gh.Template], error) {
	if err := d.requireOrgReader(a, o.ID); err != nil {
		return List[*gh.Template]{}, err
	}
	ts := d.idx.Templates(o.ID, func(*gh.Template) bool { return true })
	return paginate(ts, func(t *gh.Template) string { return string(t.ID) }, p), nil
}

// ReplaceTemplate replaces a template's content (Org Admins only).
func (d *Directory) ReplaceTemplate(ctx context.Context, a *Actor, o *gh.Org, id gh.TemplateID, in TemplateInput, ifMatch gh.Revision) (*gh.Template, gh.Revision, error) {
	if _, err := d.GetTemplate(a, o, id); err != nil {
		return nil, 0, err
	}
	if err := d.requireOrgAdmin(a, o.ID, "manage onboarding templates"); err != nil {
		return nil, 0, err
	}
	var out *gh.Template
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Template(id)
		if cur == nil {
			return gh.NotFound("template")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		t, err := d.template(o, id, in)
		if err != nil {
			return err
		}
		if other := d.templateNamed(o.ID, t.Name); other != nil && other.ID != id {
			return nameTaken("template")
		}
		t.Meta = cur.Meta
		ev := w.event(o.ID, "", "template.update", gh.KindTemplate, string(id))
		t.Touch(w.rev(), w.now)
		change(ev, gh.KindTemplate, string(id), cur, t)
		out = t
		return nil
	})
	return out, rev, err
}

// DeleteTemplate deletes a template; assignments it made stay.
func (d *Directory) DeleteTemplate(ctx context.Context, a *Actor, o *gh.Org, id gh.TemplateID, ifMatch gh.Revision) (gh.Revision, error) {
	if _, err := d.GetTemplate(a, o, id); err != nil {
		return 0, err
	}
	if err := d.requireOrgAdmin(a, o.ID, "manage onboarding templates"); err != nil {
		return 0, err
	}
	return d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Template(id)
		if cur == nil {
			return gh.NotFound("template")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		ev := w.event(o.ID, "", "template.delete", gh.KindTemplate, string(id))
		change(ev, gh.KindTemplate, string(id), cur, nil)
		return nil
	})
}

// TemplateResult says what applying a template did, entry by entry.
type TemplateResult struct {
	Created   []AssignmentView `json:"created"`
	Unchanged []AssignmentView `json:"unchanged"`
	// Kept lists groups already assigned with another role: applying a template
	// never overrides a role someone chose for this workspace.
	Kept []AssignmentView `json:"kept"`
}

// ApplyTemplate assigns the template's groups in a workspace (Org Admins only).
// It is idempotent: applying it again changes nothing.
func (d *Directory) ApplyTemplate(ctx context.Context, a *Actor, ws *gh.Workspace, id gh.TemplateID) (*TemplateResult, gh.Revision, error) {
	if err := d.requireOrgAdmin(a, ws.Org, "apply onboarding templates"); err != nil {
		return nil, 0, err
	}
	res := &TemplateResult{Created: []AssignmentView{}, Unchanged: []AssignmentView{}, Kept: []AssignmentView{}}
	var created []*gh.Assignment
	rev, err := d.write(ctx, a, func(w *writer) error {
		t := d.idx.Template(id)
		if t == nil || t.Org != ws.Org {
			return gh.NotFound("template")
		}
		for _, e := range t.Entries {
			cur := d.idx.AssignmentFor(gh.GroupPrincipal(e.Group), ws.ID)
			switch {
			case cur == nil:
			case cur.Role == e.Role:
				res.Unchanged = append(res.Unchanged, d.view(a, cur))
			default:
				res.Kept = append(res.Kept, d.view(a, cur))
			}
		}
		if len(res.Unchanged)+len(res.Kept) == len(t.Entries) {
			return nil
		}
		ev := w.event(ws.Org, ws.ID, "template.apply", gh.KindTemplate, string(id))
		created = d.applyTemplate(w, ev, t, ws, map[gh.GroupID]bool{})
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for _, as := range created {
		res.Created = append(res.Created, d.view(a, as))
	}
	return res, rev, nil
}

// applyTemplate adds to ev an assignment for every entry of t whose group has
// none in ws, neither in the index nor in done (groups this change assigned already).
func (d *Directory) applyTemplate(w *writer, ev *gh.Event, t *gh.Template, ws *gh.Workspace, done map[gh.GroupID]bool) []*gh.Assignment {
	var out []*gh.Assignment
	for _, e := range t.Entries {
		if done[e.Group] || d.idx.AssignmentFor(gh.GroupPrincipal(e.Group), ws.ID) != nil {
			continue
		}
		done[e.Group] = true
		as := &gh.Assignment{ID: gh.AssignmentID(gh.NewID("asg")), Org: ws.Org, Workspace: ws.ID,
			Principal: gh.GroupPrincipal(e.Group), Role: e.Role}
		as.Touch(w.rev(), w.now)
		change(ev, gh.KindAssignment, string(as.ID), nil, as)
		out = append(out, as)
	}
	return out
}
