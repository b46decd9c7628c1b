package main

import (
	"context"
	"slices"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestConsoleRuleGroups: an Organization Admin gives a group a membership
// rule on its page; a bad rule is shown as an error; the people it holds are
// listed, and they reach the group's workspaces.
func TestConsoleRuleGroups(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			d := s.m.Directory()
			x := d.Index()
			org := x.OrgBySlug(demoSlug)
			var night *gh.Group
			for _, g := range x.GroupsIn(gh.Home{Org: org.ID}, func(g *gh.Group) bool { return g.Name == "Night Shift" }) {
				night = g
			}
			omar := x.UserByEmail(gh.Home{Org: org.ID}, "omar.haddad@northwind.example")
			dept := "Threat Intel"
			if _, _, err := d.UpdateUser(context.Background(), directory.SystemActor("test"), directory.Scope{Org: org}, omar.ID,
				directory.UserPatch{Department: &dept}, 0); err != nil {
				t.Fatal(err)
			}
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.visit("/settings/groups/" + string(night.ID))
			b.want("the group page", "Membership rule", "Night Shift has no rule")
			b.fill(`#set-rule input[name=rule]`, `department = "Threat Intel"`)
			b.press(`#set-rule button[type=submit]`)
			b.want("a bad rule", "unexpected token")
			if g := x.Group(night.ID); g.Rule != "" {
				t.Fatalf("a bad rule was saved: %q", g.Rule)
			}
			b.fill(`#set-rule input[name=rule]`, `department == "Threat Intel"`)
			b.press(`#set-rule button[type=submit]`)
			b.want("the rule saved", "Rule saved", "It holds 1 person now", "omar.haddad@northwind.example")
			if !slices.Contains(x.GroupsOf(gh.UserPrincipal(omar.ID), true), night.ID) {
				t.Error("Omar, held by Night Shift's rule, is not among its members in the index")
			}
		})
	}
}
