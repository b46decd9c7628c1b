package engine_test

import (
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// TestExclusionWinsOverEveryGrant sets exclusions by user, by an enclosing
// group and by email, in the workspace and across the organization, and
// reads the answer through check, effective access, lookups and explain.
func TestExclusionWinsOverEveryGrant(t *testing.T) {
	const c = gh.Capability("incidents.close")
	for _, tc := range []struct {
		name string
		e    gh.Exclusion
		step string // in the explain detail
		fix  string
	}{
		{"user, one capability", gh.Exclusion{Principal: &gh.Principal{Type: gh.PrincipalUser, ID: "usr_1"},
			Capabilities: []gh.Capability{c}, SetBy: gh.SetByWorkspace, Workspace: "ws_1"},
			"takes incidents.close away from a@x.example in workspace \"W\"", "only a manager of workspace \"W\""},
		{"outer group, everything", gh.Exclusion{Principal: &gh.Principal{Type: gh.PrincipalGroup, ID: "grp_0"},
			SetBy: gh.SetByOrganization, Workspace: "ws_1"},
			"as a member of group \"grp_0\"", "an Organization Admin may lift"},
		{"email, every workspace", gh.Exclusion{Email: "A@X.example", SetBy: gh.SetByOrganization},
			"by its email address in every workspace", "an Organization Admin may lift"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := world(3)
			x := engine.New(gh.DefaultCatalogue)
			e := tc.e
			e.ID, e.Org = "exc_1", "org_1"
			b.put(gh.KindExclusion, "exc_1", &e)
			if err := x.Apply(b.events...); err != nil {
				t.Fatal(err)
			}
			if d := x.Check("usr_1", "ws_1", c, gh.LevelLimited); d.Allowed || d.Level != gh.LevelNone {
				t.Errorf("Check = %+v, want denied at none", d)
			}
			if _, held := x.Effective("usr_1", "ws_1")[c]; held {
				t.Errorf("Effective still holds %s", c)
			}
			if ws, _, _ := x.LookupWorkspaces("usr_1", c, gh.LevelLimited, engine.LookupPage{}); len(ws) != 0 {
				t.Errorf("LookupWorkspaces = %+v, want none", ws)
			}
			if us, _, _ := x.LookupUsers("ws_1", c, gh.LevelLimited, engine.LookupPage{}); len(us) != 0 {
				t.Errorf("LookupUsers = %+v, want none", us)
			}
			ex := x.Explain("usr_1", "ws_1", c, gh.LevelLimited)
			last := ex.Steps[len(ex.Steps)-1]
			if ex.Allowed || last.Step != "exclusion" || !strings.Contains(last.Detail, tc.step) || !strings.Contains(ex.Fix, tc.fix) {
				t.Errorf("Explain: allowed %v, last step %+v, fix %q; want the exclusion deciding with %q and a fix with %q",
					ex.Allowed, last, ex.Fix, tc.step, tc.fix)
			}
			if len(ex.Paths) == 0 {
				t.Error("Explain lost the paths the exclusion overrides")
			}
			// Another capability stays when only one was excluded.
			other := x.Check("usr_1", "ws_1", "incidents.view", gh.LevelLimited).Allowed
			if want := len(e.Capabilities) > 0; other != want {
				t.Errorf("Check of another capability allowed=%v, want %v", other, want)
			}
			// Lifting it gives everything back.
			b.del(gh.KindExclusion, "exc_1", &e)
			if err := x.Apply(b.events[len(b.events)-1]); err != nil {
				t.Fatal(err)
			}
			if d := x.Check("usr_1", "ws_1", c, gh.LevelFull); !d.Allowed {
				t.Errorf("Check after lifting = %+v, want allowed", d)
			}
		})
	}
}

// TestExclusionStaysInItsWorkspace: an exclusion of one workspace changes
// nothing in another, and one of another organization nothing at all.
func TestExclusionStaysInItsWorkspace(t *testing.T) {
	b := world(1)
	b.put(gh.KindWorkspace, "ws_2", &gh.Workspace{ID: "ws_2", Org: "org_1", Slug: "w2", Name: "W2", Status: gh.StatusActive})
	b.put(gh.KindAssignment, "asg_2", &gh.Assignment{ID: "asg_2", Org: "org_1", Workspace: "ws_2", Principal: gh.GroupPrincipal("grp_0"), Role: gh.RoleIncidentResponder})
	b.put(gh.KindExclusion, "exc_1", &gh.Exclusion{ID: "exc_1", Org: "org_1", Workspace: "ws_2", Email: "a@x.example", SetBy: gh.SetByWorkspace})
	b.put(gh.KindExclusion, "exc_2", &gh.Exclusion{ID: "exc_2", Org: "org_9", Email: "a@x.example", SetBy: gh.SetByOrganization})
	x := engine.New(gh.DefaultCatalogue)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	if !x.Check("usr_1", "ws_1", "incidents.close", gh.LevelFull).Allowed {
		t.Error("an exclusion of workspace W2 (or of another organization) denied the user in W")
	}
	if x.Check("usr_1", "ws_2", "incidents.close", gh.LevelLimited).Allowed {
		t.Error("the exclusion of W2 did not hold there")
	}
}
