package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
)

// TestConsoleDefaults: an Organization Admin makes a role the workspace's
// default on its IAM page and a group an organization default on the group's
// page; the next users made get them.
func TestConsoleDefaults(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			x := s.m.Directory().Index()
			org := x.OrgBySlug(demoSlug)
			contoso := x.WorkspaceBySlug(org.ID, "contoso")
			var night *gh.Group
			for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(g *gh.Group) bool { return g.Name == "Night Shift" }) {
				night = g
			}
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)

			b.visit("/workspaces/" + string(contoso.ID) + "/iam")
			b.want("the IAM page", "get no role by default")
			b.choose(`#set-default-role select[name=default_role]`, "Incident Analyst")
			b.press(`#set-default-role button[type=submit]`)
			b.want("the default set", "get the role Incident Analyst by default")
			b.run(chromedp.Click(`#add-ws-user-box summary`, chromedp.ByQuery))
			b.fill(`#add-ws-user input[name=email]`, "dee@contoso.example")
			b.fill(`#add-ws-user input[name=given_name]`, "Dee")
			b.press(`#add-ws-user button.secondary`)
			b.want("the new user", "User dee@contoso.example created.")
			dee := x.UserByEmail(gh.Home{Org: org.ID, Workspace: contoso.ID}, "dee@contoso.example")
			if as := x.AssignmentFor(gh.UserPrincipal(dee.ID), contoso.ID); as == nil || as.Role != gh.RoleIncidentAnalyst {
				t.Errorf("dee's assignment = %+v, want the default Incident Analyst", as)
			}

			b.visit("/settings/groups/" + string(night.ID))
			b.want("the group page", "Not a default group")
			b.press(`#default-group button[type=submit]`)
			b.want("the group made a default", "New organization users join Night Shift.", "A default group")
			if o := x.Org(org.ID); len(o.DefaultGroups) != 1 || o.DefaultGroups[0] != night.ID {
				t.Errorf("default groups = %v, want Night Shift", o.DefaultGroups)
			}
		})
	}
}
