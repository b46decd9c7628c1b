package engine_test

import (
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// TestRuleGroupsFollowProfilesAndTime: a group whose rule matches the SOC's
// certified analysts gives them its role; a department change or a
// certification's expiry (with nothing written) takes it away; explain
// names the rule; a workspace's rule never matches anyone of another home.
func TestRuleGroupsFollowProfilesAndTime(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := &builder{}
	b.put(gh.KindOrg, "org_1", &gh.Org{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive})
	b.put(gh.KindWorkspace, "ws_1", &gh.Workspace{ID: "ws_1", Org: "org_1", Slug: "w", Name: "W", Status: gh.StatusActive})
	ana := &gh.User{ID: "usr_ana", Home: gh.Home{Org: "org_1"}, Email: "ana@x.example", Status: gh.StatusActive, OrgRole: gh.OrgRoleMember,
		Department: "SOC", Certifications: []gh.Certification{{Name: "GCIH", Expires: "2026-12-07"}}}
	bob := &gh.User{ID: "usr_bob", Home: gh.Home{Org: "org_1"}, Email: "bob@x.example", Status: gh.StatusActive, OrgRole: gh.OrgRoleMember,
		Department: "SOC"}
	cus := &gh.User{ID: "usr_cus", Home: gh.Home{Org: "org_1", Workspace: "ws_1"}, Email: "c@w.example", Status: gh.StatusActive,
		Department: "SOC", Certifications: []gh.Certification{{Name: "GCIH"}}}
	for _, u := range []*gh.User{ana, bob, cus} {
		b.put(gh.KindUser, string(u.ID), u)
	}
	b.put(gh.KindGroup, "grp_soc", &gh.Group{ID: "grp_soc", Home: gh.Home{Org: "org_1"}, Name: "Certified SOC",
		Rule: `department == "SOC" && certified("GCIH")`})
	b.put(gh.KindAssignment, "asg_1", &gh.Assignment{ID: "asg_1", Org: "org_1", Workspace: "ws_1", Principal: gh.GroupPrincipal("grp_soc"), Role: gh.RoleIncidentResponder})

	for _, load := range []bool{false, true} { // applied event by event, and loaded from a snapshot
		x := engine.New(gh.DefaultCatalogue)
		x.SetClock(clock)
		if err := x.Apply(b.events...); err != nil {
			t.Fatal(err)
		}
		if load {
			y := engine.New(gh.DefaultCatalogue)
			y.SetClock(clock)
			y.Load(&gh.Snapshot{Revision: b.rev, Orgs: []*gh.Org{{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive}},
				Workspaces: []*gh.Workspace{{ID: "ws_1", Org: "org_1", Slug: "w", Name: "W", Status: gh.StatusActive}},
				Users:      []*gh.User{ana, bob, cus},
				Groups: []*gh.Group{{ID: "grp_soc", Home: gh.Home{Org: "org_1"}, Name: "Certified SOC",
					Rule: `department == "SOC" && certified("GCIH")`}},
				Assignments: []*gh.Assignment{{ID: "asg_1", Org: "org_1", Workspace: "ws_1", Principal: gh.GroupPrincipal("grp_soc"), Role: gh.RoleIncidentResponder}}})
			x = y
		}
		allowed := func(u gh.UserID) bool { return x.Check(u, "ws_1", "incidents.close", gh.LevelFull).Allowed }
		if !allowed("usr_ana") || allowed("usr_bob") || allowed("usr_cus") {
			t.Fatalf("load=%v: ana %v (want true), bob %v, customer %v (want false: not certified / another home)",
				load, allowed("usr_ana"), allowed("usr_bob"), allowed("usr_cus"))
		}
		e := x.Explain("usr_ana", "ws_1", "incidents.close", gh.LevelFull)
		if !strings.Contains(e.Steps[len(e.Steps)-2].Detail, `by the rule of Certified SOC: department == "SOC" && certified("GCIH")`) {
			t.Errorf("explain does not name the rule: %+v", e.Steps)
		}
		if got := x.RuleMembers("grp_soc"); len(got) != 1 || got[0] != "usr_ana" {
			t.Errorf("rule members = %v, want ana", got)
		}
		// The certification holds through 7 December, and ends with it.
		now = time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC)
		if !allowed("usr_ana") {
			t.Error("denied on the certification's last day")
		}
		now = time.Date(2026, 12, 8, 0, 0, 1, 0, time.UTC)
		if allowed("usr_ana") || len(x.RuleMembers("grp_soc")) != 0 {
			t.Error("still allowed after the certification expired, with nothing written")
		}
		if n := x.Sweep(); n != 1 || allowed("usr_ana") {
			t.Errorf("Sweep refreshed %d users; ana allowed %v", n, allowed("usr_ana"))
		}
		now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	}

	// A profile change moves a user in and out at once.
	x := engine.New(gh.DefaultCatalogue)
	x.SetClock(clock)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	bob2 := *bob
	bob2.Certifications = []gh.Certification{{Name: "gcih"}}
	b.put(gh.KindUser, "usr_bob", &bob2)
	ana2 := *ana
	ana2.Department = "Finance"
	b.put(gh.KindUser, "usr_ana", &ana2)
	if err := x.Apply(b.events[len(b.events)-2:]...); err != nil {
		t.Fatal(err)
	}
	if !x.Check("usr_bob", "ws_1", "incidents.close", gh.LevelFull).Allowed || x.Check("usr_ana", "ws_1", "incidents.close", gh.LevelFull).Allowed {
		t.Error("profile changes did not move bob in and ana out")
	}
	// Changing the rule moves everyone it reads; deleting the group ends it.
	b.put(gh.KindGroup, "grp_soc", &gh.Group{ID: "grp_soc", Home: gh.Home{Org: "org_1"}, Name: "Certified SOC", Rule: `department == "Finance"`})
	if err := x.Apply(b.events[len(b.events)-1]); err != nil {
		t.Fatal(err)
	}
	if !x.Check("usr_ana", "ws_1", "incidents.close", gh.LevelFull).Allowed || x.Check("usr_bob", "ws_1", "incidents.close", gh.LevelFull).Allowed {
		t.Error("a new rule did not move ana in and bob out")
	}
	b.del(gh.KindGroup, "grp_soc", &gh.Group{ID: "grp_soc"})
	if err := x.Apply(b.events[len(b.events)-1]); err != nil {
		t.Fatal(err)
	}
	if x.Check("usr_ana", "ws_1", "incidents.view", gh.LevelLimited).Allowed || len(x.GroupsOf(gh.UserPrincipal("usr_ana"), true)) != 0 {
		t.Error("the deleted rule group still counts")
	}
}

// A rule set on one group, after a certification expired unswept, must not
// keep the user in the other rule group that expiry ended.
func TestARuleChangeDoesNotReviveAnExpiredRuleGroup(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	b := &builder{}
	b.put(gh.KindOrg, "org_1", &gh.Org{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive})
	b.put(gh.KindWorkspace, "ws_1", &gh.Workspace{ID: "ws_1", Org: "org_1", Slug: "w", Name: "W", Status: gh.StatusActive})
	b.put(gh.KindUser, "usr_ana", &gh.User{ID: "usr_ana", Home: gh.Home{Org: "org_1"}, Email: "ana@x.example", Status: gh.StatusActive,
		OrgRole: gh.OrgRoleMember, Department: "SOC", Certifications: []gh.Certification{{Name: "GCIH", Expires: "2026-12-07"}}})
	b.put(gh.KindGroup, "grp_cert", &gh.Group{ID: "grp_cert", Home: gh.Home{Org: "org_1"}, Name: "Certified", Rule: `certified("GCIH")`})
	b.put(gh.KindGroup, "grp_soc", &gh.Group{ID: "grp_soc", Home: gh.Home{Org: "org_1"}, Name: "SOC"})
	b.put(gh.KindAssignment, "asg_1", &gh.Assignment{ID: "asg_1", Org: "org_1", Workspace: "ws_1", Principal: gh.GroupPrincipal("grp_cert"), Role: gh.RoleIncidentResponder})
	x := engine.New(gh.DefaultCatalogue)
	x.SetClock(func() time.Time { return now })
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	allowed := func() bool { return x.Check("usr_ana", "ws_1", "incidents.close", gh.LevelFull).Allowed }
	if !allowed() {
		t.Fatal("ana, certified, is denied")
	}
	now = time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC) // expired, nothing swept
	b.put(gh.KindGroup, "grp_soc", &gh.Group{ID: "grp_soc", Home: gh.Home{Org: "org_1"}, Name: "SOC", Rule: `department == "SOC"`})
	if err := x.Apply(b.events[len(b.events)-1]); err != nil {
		t.Fatal(err)
	}
	if allowed() {
		t.Error("ana's expired certification counts again after another group's rule changed")
	}
	if got := x.GroupsOf(gh.UserPrincipal("usr_ana"), true); len(got) != 1 || got[0] != "grp_soc" {
		t.Errorf("ana's groups = %v, want SOC alone", got)
	}
}
