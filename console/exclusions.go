package console

import (
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// A workspace's exclusions, on its IAM page: who is kept from what, by whom,
// with a form to add one and a button to lift the ones this viewer may lift.

type exclusionsPanel struct {
	Rows []exclusionRow
	// Groups may be excluded by name: the workspace's own and the partner's
	// assigned here; anyone else by email.
	Groups       []option
	Capabilities []gh.CapabilityInfo
}

type exclusionRow struct {
	ID       gh.ExclusionID
	Who      string
	What     string
	SetBy    gh.ExclusionAuthority
	Reason   string
	Liftable bool
}

// exclusionsPanel is nil for viewers who may not manage the workspace's exclusions.
func (c *Console) exclusionsPanel(v *view, s directory.Scope, assigned []assignmentRow) (*exclusionsPanel, error) {
	if !c.mayManage(v, s, gh.CapRolesAssign) {
		return nil, nil
	}
	es, err := c.dir.ListExclusions(v.actor, s)
	if err != nil {
		return nil, err
	}
	x := c.dir.Index()
	manager := x.Check(v.Me.ID, s.Workspace.ID, gh.CapRolesAssign, gh.LevelFull).Allowed
	p := &exclusionsPanel{}
	for _, e := range es {
		row := exclusionRow{ID: e.ID, Who: "email " + e.Email, What: "everything", SetBy: e.SetBy, Reason: e.Reason,
			Liftable: (e.SetBy == gh.SetByOrganization && v.Admin) || (e.SetBy == gh.SetByWorkspace && manager)}
		if e.Principal != nil {
			row.Who = string(e.Principal.Type) + " " + c.principalName(*e.Principal)
		}
		if len(e.Capabilities) > 0 {
			caps := make([]string, len(e.Capabilities))
			for i, c := range e.Capabilities {
				caps[i] = string(c)
			}
			row.What = strings.Join(caps, ", ")
		}
		p.Rows = append(p.Rows, row)
	}
	for _, g := range x.GroupsIn(s.Home(), all[*gh.Group]) {
		p.Groups = append(p.Groups, option{"group:" + string(g.ID), g.Name})
	}
	for _, a := range assigned {
		if a.Inherited && a.Principal.Type == gh.PrincipalGroup {
			p.Groups = append(p.Groups, option{"group:" + a.Principal.ID, a.PrincipalName + " (partner group)"})
		}
	}
	for _, ci := range x.Catalogue().Capabilities() {
		if ci.Scope == gh.ScopeWorkspace {
			p.Capabilities = append(p.Capabilities, ci)
		}
	}
	return p, nil
}

// exclude sets an exclusion in the workspace: a picked group, or an email.
func (c *Console) exclude(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	in := directory.ExclusionInput{Email: strings.TrimSpace(r.PostForm.Get("email")), Reason: r.PostForm.Get("reason")}
	if id, ok := strings.CutPrefix(r.PostForm.Get("group"), "group:"); ok && in.Email == "" {
		p := gh.GroupPrincipal(gh.GroupID(id))
		in.Principal = &p
	}
	for _, cap := range r.PostForm["capabilities"] {
		in.Capabilities = append(in.Capabilities, gh.Capability(cap))
	}
	if in.Email == "" && in.Principal == nil {
		err = gh.Invalid("principal_required", "email", "is missing: pick a group or give an email address")
	} else {
		_, _, err = c.dir.Exclude(r.Context(), v.actor, s, in)
	}
	if err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam#exclusions", "Exclusion set: it holds at once.")
}

func (c *Console) liftExclusion(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	if _, err := c.dir.LiftExclusion(r.Context(), v.actor, s, gh.ExclusionID(r.PathValue("id"))); err != nil {
		formError(v, err)
		return c.showIAM(r, v, s)
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam#exclusions", "Exclusion lifted.")
}
