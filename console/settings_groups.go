package console

import (
	"net/http"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Settings → Groups: the organization's groups, their members (users and
// nested groups) and the workspaces each is assigned to — the customers its
// members reach through it.

type groupsPage struct {
	Query  string
	Rows   []groupRow
	Next   string
	Form   directory.GroupInput
	Manage bool
}

type groupRow struct {
	*gh.Group
	Members int
}

func (c *Console) settingsGroups(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showGroups(r, v, directory.GroupInput{})
}

func (c *Console) showGroups(r *http.Request, v *view, form directory.GroupInput) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := groupsPage{Query: q.Get("q"), Form: form, Manage: v.Admin}
	list, err := c.dir.ListGroups(v.actor, s, p.Query, directory.Page{After: q.Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	for _, g := range list.Items {
		p.Rows = append(p.Rows, groupRow{Group: g, Members: len(c.dir.Index().Members(g.ID))})
	}
	if list.Next != "" {
		p.Next = pageLink(r, list.Next)
	}
	v.settings()
	v.show("settings_groups.html", "Groups", p)
	return nil
}

func (c *Console) createGroup(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	in := directory.GroupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description")}
	g, _, err := c.dir.CreateGroup(r.Context(), v.actor, s, in)
	if err != nil {
		formError(v, err)
		return c.showGroups(r, v, in)
	}
	return done(w, r, "/settings/groups/"+string(g.ID), "Group "+g.Name+" created.")
}

type groupPage struct {
	Prefix      string // "/settings", or the workspace's path for its own groups
	Group       *gh.Group
	Members     []directory.Member
	MembersNext string
	Access      []accessRow
	Parents     []*gh.Group // the groups this one is a member of: their workspaces reach its members too
	Groups      []*gh.Group // the groups that may be added as members
	Manage      bool
	// External are the provider groups this group follows; Providers the
	// home's providers it may follow.
	External  []externalRow
	Providers []source
	// OrgGroup is a group of the organization itself, which may be one of
	// its default groups (Default); SetDefault lets the viewer change that.
	OrgGroup, Default, SetDefault bool
	// RuleMembers are the users the group's rule holds now.
	RuleMembers []*gh.User
}

// source is an identity provider or a connected directory a group may follow.
type source struct{ ID, Name string }

type externalRow struct {
	Provider, Value, Ref string
}

// orgGroup finds a group of the organization, or of the workspace the path
// names, as the viewer may see it.
func (c *Console) orgGroup(r *http.Request, v *view) (directory.Scope, *gh.Group, error) {
	s, err := c.pathScope(r, v)
	if err != nil {
		return s, nil, err
	}
	g, err := c.dir.GetGroup(v.actor, s, gh.GroupID(r.PathValue("id")))
	return s, g, err
}

// pathScope is the workspace the path names, or else the organization.
func (c *Console) pathScope(r *http.Request, v *view) (directory.Scope, error) {
	if r.PathValue("ws") != "" {
		return c.scopeOf(r, v)
	}
	return orgScope(v)
}

// prefix is where a scope's people and groups have their pages.
func prefix(s directory.Scope) string {
	if s.Workspace != nil {
		return "/workspaces/" + string(s.Workspace.ID)
	}
	return "/settings"
}

// mayManage tells whether to offer the forms that change a scope's groups;
// the directory decides again when they are sent.
func (c *Console) mayManage(v *view, s directory.Scope, cap gh.Capability) bool {
	return v.Admin || (s.Workspace != nil && c.dir.Index().Check(v.Me.ID, s.Workspace.ID, cap, gh.LevelFull).Allowed)
}

func (c *Console) settingsGroup(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	return c.showGroup(r, v, s, g)
}

func (c *Console) showGroup(r *http.Request, v *view, s directory.Scope, g *gh.Group) error {
	p := groupPage{Prefix: prefix(s), Group: g, Manage: c.mayManage(v, s, gh.CapGroupsAdd)}
	members, err := c.dir.ListMembers(v.actor, s, g.ID, directory.Page{After: r.URL.Query().Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	p.Members = members.Items
	if members.Next != "" {
		p.MembersNext = pageLink(r, members.Next)
	}
	if p.Access, err = c.accessOf(v, s, gh.GroupPrincipal(g.ID)); err != nil {
		return err
	}
	x := c.dir.Index()
	for _, id := range x.GroupsOf(gh.GroupPrincipal(g.ID), false) {
		if pg := x.Group(id); pg != nil {
			p.Parents = append(p.Parents, pg)
		}
	}
	if p.Manage {
		groups, err := c.dir.ListGroups(v.actor, s, "", directory.Page{Limit: directory.MaxLimit})
		if err != nil {
			return err
		}
		for _, o := range groups.Items {
			if o.ID != g.ID {
				p.Groups = append(p.Groups, o)
			}
		}
	}
	for _, e := range g.External {
		row := externalRow{Provider: string(e.Provider), Value: e.Value, Ref: string(e.Provider) + " " + e.Value}
		if pr := x.Provider(e.Provider); pr != nil {
			row.Provider = pr.Name
		} else if xd := x.ExternalDirectory(gh.ExternalDirectoryID(e.Provider)); xd != nil {
			row.Provider = xd.Name
		}
		p.External = append(p.External, row)
	}
	if p.Manage {
		for _, pr := range c.dir.ProvidersOf(s.Home()) {
			p.Providers = append(p.Providers, source{string(pr.ID), pr.Name})
		}
		for _, xd := range x.ExternalDirectories(s.Org.ID, func(xd *gh.ExternalDirectory) bool { return xd.Home == s.Home() && g.Managed == nil }) {
			p.Providers = append(p.Providers, source{string(xd.ID), xd.Name + " (directory)"})
		}
	}
	if g.Rule != "" {
		if p.RuleMembers, err = c.dir.RuleMembers(v.actor, s, g.ID); err != nil {
			return err
		}
	}
	if g.IsOrg() {
		p.OrgGroup, p.SetDefault = true, v.Admin
		if o := x.Org(g.Org); o != nil {
			p.Default = slices.Contains(o.DefaultGroups, g.ID)
		}
	}
	placeCrumbs(v, s, crumb{"Groups", "/settings/groups"})
	v.show("settings_group.html", g.Name, p)
	return nil
}

// setDefaultGroup makes an organization group one of the groups every new
// organization user joins, or stops it being one.
func (c *Console) setDefaultGroup(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	o := c.dir.Index().Org(v.Org.ID)
	if o == nil || !g.IsOrg() {
		return gh.NotFound("group")
	}
	groups := []string{}
	for _, id := range o.DefaultGroups {
		if id != g.ID {
			groups = append(groups, string(id))
		}
	}
	on := r.PostForm.Get("default") != ""
	if on {
		groups = append(groups, string(g.ID))
	}
	if _, _, err := c.dir.UpdateOrg(r.Context(), v.actor, o, directory.OrgPatch{DefaultGroups: &groups}, 0); err != nil {
		formError(v, err)
		return c.showGroup(r, v, s, g)
	}
	notice := "New organization users no longer join " + g.Name + "."
	if on {
		notice = "New organization users join " + g.Name + "."
	}
	return done(w, r, "/settings/groups/"+string(g.ID), notice)
}

// addMember adds a user, named by email, or a picked group.
func (c *Console) addMember(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	p, err := c.principalOf(v, s, r.PostForm.Get("principal"), r.PostForm.Get("email"))
	added := false
	if err == nil {
		added, _, err = c.dir.AddMember(r.Context(), v.actor, s, g.ID, p)
	}
	if err != nil {
		formError(v, err)
		return c.showGroup(r, v, s, g)
	}
	notice := "Member added."
	if !added {
		notice = "That member was in the group already."
	}
	return done(w, r, prefix(s)+"/groups/"+string(g.ID), notice)
}

func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	p, err := memberOf(r)
	if err != nil {
		return err
	}
	if _, err := c.dir.RemoveMember(r.Context(), v.actor, s, g.ID, p); err != nil {
		return err
	}
	return done(w, r, prefix(s)+"/groups/"+string(g.ID), "Member removed.")
}

// memberOf is the member a path names: /members/{type}/{member}.
func memberOf(r *http.Request) (gh.Principal, error) {
	p := gh.Principal{Type: gh.PrincipalType(r.PathValue("type")), ID: r.PathValue("member")}
	return p, p.Validate()
}

// setGroupRule sets, changes or clears the group's membership rule.
func (c *Console) setGroupRule(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	rule := strings.TrimSpace(r.PostForm.Get("rule"))
	if _, _, err := c.dir.UpdateGroup(r.Context(), v.actor, s, g.ID, directory.GroupPatch{Rule: &rule}, 0); err != nil {
		formError(v, err)
		return c.showGroup(r, v, s, g)
	}
	notice := "The group's members no longer follow a rule; those it held have left it."
	if rule != "" {
		notice = "Rule saved: everyone of the group's home who satisfies it is a member from now on."
	}
	return done(w, r, prefix(s)+"/groups/"+string(g.ID), notice)
}
