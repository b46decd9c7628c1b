package directory_test

import (
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestRuleGroupRules: a bad rule is a field error; a customer's manager who
// holds less than Admin cannot set a rule on a group holding Admin, nor give
// someone the department that group's rule asks for; a user cannot move
// itself in or out of a rule group; and a workspace's rule never matches
// anyone of another home.
func TestRuleGroupRules(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			idx := w.d.Index()
			acme := w.scope(w.acme)
			ann := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "ann@acme.example")
			omar := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "omar@partner.example")
			nina := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.acme.ID}, "nina@partner.example")

			if _, _, err := w.d.CreateGroup(w.ctx, w.sys, acme, directory.GroupInput{Name: "Bad", Rule: `department = "SOC"`}); gh.AsError(err).Fields["rule"] == "" {
				t.Fatalf("a bad rule: %v, want a field error on rule", err)
			}
			leads, _, err := w.d.CreateGroup(w.ctx, w.sys, acme, directory.GroupInput{Name: "Leads", Rule: `department == "Leads"`})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.acme, gh.GroupPrincipal(leads.ID), gh.RoleAdmin)
			// Ann manages Acme's users and groups as a Responder, less than Admin.
			w.assign(t, w.acme, gh.UserPrincipal(ann.ID), gh.RoleIncidentResponder)
			mgr, _, err := w.d.CreateRole(w.ctx, w.sys, acme, directory.RoleInput{Name: "People manager", BasedOn: string(gh.RoleIncidentResponder),
				Grants: map[gh.Capability]gh.Level{gh.CapUsersAdd: gh.LevelFull, gh.CapGroupsAdd: gh.LevelFull}})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.acme, gh.UserPrincipal(ann.ID), mgr.ID)
			asAnn := &directory.Actor{User: idx.User(ann.ID)}

			leadsDept := "Leads"
			if _, _, err := w.d.UpdateUser(w.ctx, asAnn, acme, omar.ID, directory.UserPatch{Department: &leadsDept}, 0); gh.AsError(err).Code != "escalation" {
				t.Errorf("a manager giving someone the department of an Admin rule group: %v, want escalation", err)
			}
			any := "true"
			if _, _, err := w.d.UpdateGroup(w.ctx, asAnn, acme, leads.ID, directory.GroupPatch{Rule: &any}, 0); gh.AsError(err).Code != "escalation" {
				t.Errorf("a manager widening an Admin rule group: %v, want escalation", err)
			}
			asNina := &directory.Actor{User: idx.User(nina.ID)}
			if _, _, err := w.d.UpdateUser(w.ctx, asNina, acme, nina.ID, directory.UserPatch{Department: &leadsDept}, 0); gh.AsError(err).Code != "rule_membership" {
				t.Errorf("a user moving itself into a rule group: %v, want rule_membership", err)
			}
			if idx.Check(omar.ID, w.acme.ID, gh.CapUsersRemove, gh.LevelFull).Allowed || idx.Check(nina.ID, w.acme.ID, gh.CapUsersRemove, gh.LevelFull).Allowed {
				t.Fatal("a refused change still moved someone into the Admin rule group")
			}
			// The system (an Org Admin would do) may; Globex's Omar, same department, stays out.
			if _, _, err := w.d.UpdateUser(w.ctx, w.sys, acme, omar.ID, directory.UserPatch{Department: &leadsDept}, 0); err != nil {
				t.Fatal(err)
			}
			gOmar := idx.UserByEmail(gh.Home{Org: w.org.ID, Workspace: w.glx.ID}, "omar@partner.example")
			if _, _, err := w.d.UpdateUser(w.ctx, w.sys, w.scope(w.glx), gOmar.ID, directory.UserPatch{Department: &leadsDept}, 0); err != nil {
				t.Fatal(err)
			}
			members, err := w.d.RuleMembers(w.sys, acme, leads.ID)
			if err != nil || len(members) != 1 || members[0].ID != omar.ID {
				t.Fatalf("rule members = %v (%v), want Acme's Omar only", members, err)
			}
			if !idx.Check(omar.ID, w.acme.ID, gh.CapUsersRemove, gh.LevelFull).Allowed {
				t.Error("Omar, in Leads by its rule, is not Admin in Acme")
			}
		})
	}
}
