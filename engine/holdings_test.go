package engine_test

import (
	"slices"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// Holdings answers, workspace by workspace and capability by capability,
// what Check answers; UsersUnder and UsersReaching find the same user
// through the nesting.
func TestHoldingsAgreesWithCheck(t *testing.T) {
	b := world(3)
	b.put(gh.KindWorkspace, "ws_2", &gh.Workspace{ID: "ws_2", Org: "org_1", Slug: "w2", Name: "W2", Status: gh.StatusActive})
	b.put(gh.KindAssignment, "asg_2", &gh.Assignment{ID: "asg_2", Org: "org_1", Workspace: "ws_2", Principal: gh.UserPrincipal("usr_1"), Role: gh.RoleIncidentAnalyst})
	b.put(gh.KindWorkspace, "ws_3", &gh.Workspace{ID: "ws_3", Org: "org_1", Slug: "w3", Name: "W3", Status: gh.StatusSuspended})
	b.put(gh.KindAssignment, "asg_3", &gh.Assignment{ID: "asg_3", Org: "org_1", Workspace: "ws_3", Principal: gh.UserPrincipal("usr_1"), Role: gh.RoleAdmin})
	x := engine.New(gh.DefaultCatalogue)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	h := x.Holdings("usr_1")
	if len(h.Workspaces) != 2 || h.Workspaces["ws_3"] != nil {
		t.Fatalf("Holdings reaches %v, want ws_1 and ws_2 (ws_3 is suspended)", h.Workspaces)
	}
	for _, w := range []gh.WorkspaceID{"ws_1", "ws_2"} {
		for _, c := range gh.DefaultCatalogue.Capabilities() {
			if c.Scope != gh.ScopeWorkspace {
				continue
			}
			if got, want := h.Workspaces[w][c.ID], x.Check("usr_1", w, c.ID, gh.LevelLimited).Level; got != want {
				t.Errorf("Holdings(usr_1)[%s][%s] = %s, want %s as Check says", w, c.ID, got, want)
			}
		}
	}
	if got := h.Org[gh.CapOrgDashboard]; got != gh.LevelFull || len(h.Org) != 1 {
		t.Errorf("Holdings(usr_1).Org = %v, want only %s (an Organization Member)", h.Org, gh.CapOrgDashboard)
	}
	if got := x.UsersUnder(gh.GroupPrincipal("grp_0")); !slices.Equal(got, []gh.UserID{"usr_1"}) {
		t.Errorf("UsersUnder(grp_0) = %v, want [usr_1]", got)
	}
	if got := x.UsersReaching("ws_1"); !slices.Equal(got, []gh.UserID{"usr_1"}) {
		t.Errorf("UsersReaching(ws_1) = %v, want [usr_1]", got)
	}
	if h := x.Holdings("usr_nobody"); len(h.Workspaces)+len(h.Org) != 0 {
		t.Errorf("Holdings of an unknown user = %+v, want nothing", h)
	}
}
