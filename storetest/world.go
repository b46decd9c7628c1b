package storetest

import (
	"time"

	"gatehouse.dev/gatehouse"
)

// world is one organization holding one or two of every kind of object.
// Within a kind, ids sort in the order of the fields, and the ids of world
// "a" sort before those of world "b", as the stores list them.
type world struct {
	org                   *gatehouse.Org
	ws                    *gatehouse.Workspace
	admin, wsUser         *gatehouse.User
	orgGroup, wsGroup     *gatehouse.Group
	inOrgGroup, inWsGroup *gatehouse.Membership
	orgRole, wsRole       *gatehouse.Role
	assign                *gatehouse.Assignment
	tmpl                  *gatehouse.Template
	key, opKey            *gatehouse.APIKey
}

// newWorld returns the objects of organization "org_"+n. Two worlds share
// workspace slugs, emails and group names: unique within an organization only.
func newWorld(n string) *world {
	org := gatehouse.OrgID("org_" + n)
	ws := gatehouse.WorkspaceID("wsp_" + n + "1")
	meta := gatehouse.Meta{CreatedAt: t0, UpdatedAt: t0, Revision: 1}
	expires := t0.Add(90 * 24 * time.Hour)
	return &world{
		org: &gatehouse.Org{ID: org, Slug: n + "-corp", Name: "Corp " + n, Status: gatehouse.StatusActive, Meta: meta},
		ws: &gatehouse.Workspace{ID: ws, Org: org, Slug: "acme", Name: "Acme", Status: gatehouse.StatusActive,
			Meta: meta},
		admin: &gatehouse.User{ID: gatehouse.UserID("usr_" + n + "1"), Home: gatehouse.Home{Org: org},
			Email: "ana@example.com", GivenName: "Ana", FamilyName: "Admin", Status: gatehouse.StatusActive,
			OrgRole: gatehouse.OrgRoleAdmin, Meta: meta},
		wsUser: &gatehouse.User{ID: gatehouse.UserID("usr_" + n + "2"), Home: gatehouse.Home{Org: org, Workspace: ws},
			Email: "bo@acme.example", GivenName: "Bo", Status: gatehouse.StatusInvited, Meta: meta},
		orgGroup: &gatehouse.Group{ID: gatehouse.GroupID("grp_" + n + "1"), Home: gatehouse.Home{Org: org},
			Name: "SOC Analysts", Meta: meta},
		wsGroup: &gatehouse.Group{ID: gatehouse.GroupID("grp_" + n + "2"), Home: gatehouse.Home{Org: org, Workspace: ws},
			Name: "SOC Analysts", Description: "the customer's own", Meta: meta},
		inOrgGroup: &gatehouse.Membership{Org: org, Group: gatehouse.GroupID("grp_" + n + "1"),
			Member: gatehouse.UserPrincipal(gatehouse.UserID("usr_" + n + "1")), Meta: meta},
		inWsGroup: &gatehouse.Membership{Org: org, Group: gatehouse.GroupID("grp_" + n + "2"),
			Member: gatehouse.UserPrincipal(gatehouse.UserID("usr_" + n + "2")), Meta: meta},
		orgRole: &gatehouse.Role{ID: gatehouse.RoleID("rol_" + n + "1"), Org: org, Name: "Triage",
			Grants: map[gatehouse.Capability]gatehouse.Level{
				"incidents.view": gatehouse.LevelFull, "incidents.comment": gatehouse.LevelLimited},
			Meta: meta},
		wsRole: &gatehouse.Role{ID: gatehouse.RoleID("rol_" + n + "2"), Org: org, Workspace: ws, Name: "Acme Viewer",
			BasedOn: gatehouse.RoleIncidentAnalyst,
			Grants:  map[gatehouse.Capability]gatehouse.Level{"incidents.view": gatehouse.LevelFull}, Meta: meta},
		assign: &gatehouse.Assignment{ID: gatehouse.AssignmentID("asg_" + n + "1"), Org: org, Workspace: ws,
			Principal: gatehouse.GroupPrincipal(gatehouse.GroupID("grp_" + n + "1")),
			Role:      gatehouse.RoleID("rol_" + n + "1"), Meta: meta},
		tmpl: &gatehouse.Template{ID: gatehouse.TemplateID("tpl_" + n + "1"), Org: org, Name: "Standard", AutoApply: true,
			Entries: []gatehouse.TemplateEntry{{Group: gatehouse.GroupID("grp_" + n + "1"),
				Role: gatehouse.RoleIncidentResponder}},
			Meta: meta},
		key: &gatehouse.APIKey{ID: gatehouse.KeyID("key_" + n + "1"), Org: org, User: gatehouse.UserID("usr_" + n + "1"),
			Name: "ci", Prefix: "ghk_" + n + "1", Hash: gatehouse.HashKey("secret-" + n + "1"), ExpiresAt: &expires,
			Meta: meta},
		opKey: &gatehouse.APIKey{ID: gatehouse.KeyID("key_" + n + "2"), Name: "operator", Prefix: "ghk_" + n + "2",
			Hash: gatehouse.HashKey("secret-" + n + "2"), Meta: meta},
	}
}

// objects lists the world's objects so that each comes after what it refers to.
func (w *world) objects() []any {
	return []any{w.org, w.ws, w.admin, w.wsUser, w.orgGroup, w.wsGroup, w.inOrgGroup, w.inWsGroup,
		w.orgRole, w.wsRole, w.assign, w.tmpl, w.key, w.opKey}
}

// created is the event that creates the whole world.
func (w *world) created() *gatehouse.Event {
	var cs []gatehouse.Change
	for _, o := range w.objects() {
		cs = append(cs, create(o))
	}
	return event(w.org.ID, "org.create", w.org, cs...)
}

// edited returns a copy of the world with a field of every object changed.
func (w *world) edited() *world {
	meta := gatehouse.Meta{CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), Revision: 2}
	e := *w
	org := *w.org
	org.Name, org.Meta = org.Name+" Ltd", meta
	ws := *w.ws
	ws.Status, ws.Meta = gatehouse.StatusSuspended, meta
	admin := *w.admin
	admin.JobTitle, admin.Meta = "CISO", meta
	wsUser := *w.wsUser
	wsUser.Email, wsUser.Status, wsUser.Meta = "Bo@Acme.example", gatehouse.StatusActive, meta
	orgGroup := *w.orgGroup
	orgGroup.Description, orgGroup.Meta = "partner staff", meta
	wsGroup := *w.wsGroup
	wsGroup.Name, wsGroup.Meta = "Acme SOC", meta
	inOrgGroup, inWsGroup := *w.inOrgGroup, *w.inWsGroup
	inOrgGroup.Meta, inWsGroup.Meta = meta, meta
	orgRole := *w.orgRole
	orgRole.Grants = map[gatehouse.Capability]gatehouse.Level{"incidents.close": gatehouse.LevelFull}
	orgRole.Meta = meta
	wsRole := *w.wsRole
	wsRole.Name, wsRole.Description, wsRole.Meta = "Acme Reader", "read only", meta
	assign := *w.assign
	assign.Role, assign.Meta = gatehouse.RoleAdmin, meta
	tmpl := *w.tmpl
	tmpl.Entries = append(tmpl.Entries[:len(tmpl.Entries):len(tmpl.Entries)],
		gatehouse.TemplateEntry{Group: w.wsGroup.ID, Role: gatehouse.RoleIncidentAnalyst})
	tmpl.Meta = meta
	key := *w.key
	key.Name, key.ExpiresAt, key.Meta = "ci-2", nil, meta
	opKey := *w.opKey
	opKey.Name, opKey.Meta = "operator-2", meta
	e.org, e.ws, e.admin, e.wsUser, e.orgGroup, e.wsGroup = &org, &ws, &admin, &wsUser, &orgGroup, &wsGroup
	e.inOrgGroup, e.inWsGroup, e.orgRole, e.wsRole, e.assign = &inOrgGroup, &inWsGroup, &orgRole, &wsRole, &assign
	e.tmpl, e.key, e.opKey = &tmpl, &key, &opKey
	return &e
}

// snapshotOf is the snapshot of worlds at rev; worlds must be in id order.
func snapshotOf(rev gatehouse.Revision, worlds ...*world) *gatehouse.Snapshot {
	s := &gatehouse.Snapshot{Revision: rev}
	for _, w := range worlds {
		s.Orgs = append(s.Orgs, w.org)
		s.Workspaces = append(s.Workspaces, w.ws)
		s.Users = append(s.Users, w.admin, w.wsUser)
		s.Groups = append(s.Groups, w.orgGroup, w.wsGroup)
		s.Memberships = append(s.Memberships, w.inOrgGroup, w.inWsGroup)
		s.Roles = append(s.Roles, w.orgRole, w.wsRole)
		s.Assignments = append(s.Assignments, w.assign)
		s.Templates = append(s.Templates, w.tmpl)
		s.Keys = append(s.Keys, w.key, w.opKey)
	}
	return s
}
