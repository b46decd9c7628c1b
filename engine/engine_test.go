package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
)

// builder makes events by hand, as the directory would, for engine-only tests.
type builder struct {
	rev    gh.Revision
	events []*gh.Event
}

func (b *builder) put(kind gh.ObjectKind, id string, v any) {
	raw, _ := json.Marshal(v)
	b.rev++
	b.events = append(b.events, &gh.Event{Revision: b.rev, Time: time.Unix(0, 0), Action: string(kind) + ".put",
		Changes: []gh.Change{{Kind: kind, ID: id, After: raw}}})
}

func (b *builder) del(kind gh.ObjectKind, id string, v any) {
	raw, _ := json.Marshal(v)
	b.rev++
	b.events = append(b.events, &gh.Event{Revision: b.rev, Action: string(kind) + ".delete",
		Changes: []gh.Change{{Kind: kind, ID: id, Before: raw}}})
}

// world is a small organization: groups g0 ⊃ g1 ⊃ … nested depth deep, a user at the bottom.
func world(depth int) *builder {
	b := &builder{}
	b.put(gh.KindOrg, "org_1", &gh.Org{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive})
	b.put(gh.KindWorkspace, "ws_1", &gh.Workspace{ID: "ws_1", Org: "org_1", Slug: "w", Name: "W", Status: gh.StatusActive})
	b.put(gh.KindUser, "usr_1", &gh.User{ID: "usr_1", Home: gh.Home{Org: "org_1"}, Email: "a@x.example", Status: gh.StatusActive, OrgRole: gh.OrgRoleMember})
	for i := range depth {
		id := gh.GroupID(fmt.Sprintf("grp_%d", i))
		b.put(gh.KindGroup, string(id), &gh.Group{ID: id, Home: gh.Home{Org: "org_1"}, Name: string(id)})
		if i > 0 {
			m := &gh.Membership{Org: "org_1", Group: gh.GroupID(fmt.Sprintf("grp_%d", i-1)), Member: gh.GroupPrincipal(id)}
			b.put(gh.KindMembership, m.Key(), m)
		}
	}
	m := &gh.Membership{Org: "org_1", Group: gh.GroupID(fmt.Sprintf("grp_%d", depth-1)), Member: gh.UserPrincipal("usr_1")}
	b.put(gh.KindMembership, m.Key(), m)
	b.put(gh.KindAssignment, "asg_1", &gh.Assignment{ID: "asg_1", Org: "org_1", Workspace: "ws_1", Principal: gh.GroupPrincipal("grp_0"), Role: gh.RoleIncidentResponder})
	return b
}

func TestApplyFollowsNestingToTheMaximumDepth(t *testing.T) {
	b := world(gh.MaxGroupDepth)
	x := engine.New(gh.DefaultCatalogue)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	if d := x.Check("usr_1", "ws_1", "incidents.close", gh.LevelFull); !d.Allowed || d.Revision != b.rev {
		t.Fatalf("Check through %d nested groups = %+v, want allowed at revision %d", gh.MaxGroupDepth, d, b.rev)
	}
	e := x.Explain("usr_1", "ws_1", "incidents.close", gh.LevelFull)
	if len(e.Paths) != 1 || len(e.Paths[0].Via) != gh.MaxGroupDepth {
		t.Errorf("Explain path = %+v, want one path through %d groups", e.Paths, gh.MaxGroupDepth)
	}
	// Cutting the chain in the middle removes the access.
	mid := &gh.Membership{Org: "org_1", Group: "grp_3", Member: gh.GroupPrincipal("grp_4")}
	b.del(gh.KindMembership, mid.Key(), mid)
	if err := x.Apply(b.events[len(b.events)-1]); err != nil {
		t.Fatal(err)
	}
	if d := x.Check("usr_1", "ws_1", "incidents.close", gh.LevelFull); d.Allowed {
		t.Errorf("Check after cutting the chain = %+v, want denied", d)
	}
}

func TestApplyRefusesGapsAndSkipsRepeats(t *testing.T) {
	b := world(2)
	x := engine.New(gh.DefaultCatalogue)
	var gap *engine.GapError
	if err := x.Apply(b.events[1:]...); !errors.As(err, &gap) || x.Revision() != 0 {
		t.Fatalf("Apply from revision 2 = %v at %d, want a gap error at revision 0", err, x.Revision())
	}
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	if err := x.Apply(b.events...); err != nil || x.Revision() != b.rev {
		t.Fatalf("Apply again = %v at %d, want the repeats skipped at %d", err, x.Revision(), b.rev)
	}
}

func TestLoadedSnapshotAnswersLikeTheFeed(t *testing.T) {
	b := world(3)
	fed := engine.New(gh.DefaultCatalogue)
	if err := fed.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	snap := &gh.Snapshot{Revision: b.rev,
		Orgs:        []*gh.Org{fed.Org("org_1")},
		Workspaces:  []*gh.Workspace{fed.Workspace("ws_1")},
		Users:       []*gh.User{fed.User("usr_1")},
		Assignments: []*gh.Assignment{fed.Assignment("asg_1")},
	}
	for i := range 3 {
		id := gh.GroupID(fmt.Sprintf("grp_%d", i))
		snap.Groups = append(snap.Groups, fed.Group(id))
		snap.Memberships = append(snap.Memberships, fed.Members(id)...)
	}
	loaded := engine.New(gh.DefaultCatalogue)
	loaded.Load(snap)
	for _, c := range gh.DefaultCatalogue.Capabilities() {
		if c.Scope != gh.ScopeWorkspace {
			continue
		}
		if a, b := fed.Check("usr_1", "ws_1", c.ID, gh.LevelLimited), loaded.Check("usr_1", "ws_1", c.ID, gh.LevelLimited); a != b {
			t.Errorf("Check(%s): fed %+v, loaded %+v", c.ID, a, b)
		}
	}
}

// threeHomes is an organization with two workspaces, and its three homes.
func threeHomes() (*builder, []gh.WorkspaceID) {
	b := &builder{}
	b.put(gh.KindOrg, "org_1", &gh.Org{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive})
	homes := []gh.WorkspaceID{"", "ws_1", "ws_2"}
	for _, w := range homes[1:] {
		b.put(gh.KindWorkspace, string(w), &gh.Workspace{ID: w, Org: "org_1", Slug: string(w), Name: string(w), Status: gh.StatusActive})
	}
	return b, homes
}

// Paging users walks kept-in-order ids instead of sorting everyone; after any
// sequence of creations, changes and deletions, every page of every home must
// be what sorting the home's users would give.
func TestUsersPageMatchesASortedListing(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	b, homes := threeHomes()
	live := map[gh.UserID]*gh.User{}
	x := engine.New(gh.DefaultCatalogue)
	for step := range 600 {
		id := gh.UserID(fmt.Sprintf("usr_%03d", rng.IntN(150))) // ids out of creation order too
		if u := live[id]; u != nil && rng.IntN(3) == 0 {
			b.del(gh.KindUser, string(id), u)
			delete(live, id)
		} else {
			u := &gh.User{ID: id, Home: gh.Home{Org: "org_1", Workspace: homes[rng.IntN(len(homes))]}, Email: string(id) + "@x.example",
				Status: []gh.Status{gh.StatusActive, gh.StatusDisabled}[rng.IntN(2)]}
			if old := live[id]; old != nil {
				u.Workspace = old.Workspace // a user's home never changes
			}
			b.put(gh.KindUser, string(id), u)
			live[id] = u
		}
		if err := x.Apply(b.events...); err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, u := range live {
			if u.Status == gh.StatusActive {
				active++
			}
		}
		if n := x.ActiveUsers("org_1", "", true); n != active {
			t.Fatalf("step %d: ActiveUsers of the organization = %d, want %d", step, n, active)
		}
		for _, w := range homes {
			var want, got []string
			inHome := 0
			for id, u := range live {
				if u.Workspace == w {
					inHome++
				}
				if u.Workspace == w && u.Status == gh.StatusActive {
					want = append(want, string(id))
				}
			}
			if n := x.UsersIn("org_1", w); n != inHome {
				t.Fatalf("step %d: UsersIn(%q) = %d, want %d", step, w, n, inHome)
			}
			if n := x.ActiveUsers("org_1", w, false); n != len(want) {
				t.Fatalf("step %d: ActiveUsers(%q) = %d, want %d", step, w, n, len(want))
			}
			slices.Sort(want)
			limit := 1 + rng.IntN(7)
			after := ""
			for {
				page, more := x.UsersPage("org_1", w, after, limit, func(u *gh.User) bool { return u.Status == gh.StatusActive })
				for _, u := range page {
					got = append(got, string(u.ID))
				}
				if !more {
					break
				}
				if len(page) != limit {
					t.Fatalf("step %d: a page of %d before the end, want %d", step, len(page), limit)
				}
				after = string(page[len(page)-1].ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d, home %q, pages of %d: %v, want %v", step, w, limit, got, want)
			}
		}
	}
}

// GroupsIn, which the name check of every group creation reads, lists the
// groups of one home exactly as filtering all of the organization's would,
// through creations, renames, deletions and reverted batches.
func TestGroupsInMatchesTheGroupsOfEachHome(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	b, homes := threeHomes()
	x := engine.New(gh.DefaultCatalogue)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}
	live := map[gh.GroupID]*gh.Group{}
	for step := range 400 {
		before := len(b.events)
		for range 1 + rng.IntN(3) {
			id := gh.GroupID(fmt.Sprintf("grp_%02d", rng.IntN(40)))
			if g := live[id]; g != nil && rng.IntN(3) == 0 {
				b.del(gh.KindGroup, string(id), g)
				delete(live, id)
				continue
			}
			g := &gh.Group{ID: id, Home: gh.Home{Org: "org_1", Workspace: homes[rng.IntN(len(homes))]}, Name: fmt.Sprintf("n%d", rng.IntN(1000))}
			if old := live[id]; old != nil {
				g.Workspace = old.Workspace // a group's home never changes
			}
			b.put(gh.KindGroup, string(id), g)
			live[id] = g
		}
		added := b.events[before:]
		if err := x.Apply(added...); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(4) == 0 { // a batch undone: the index goes back, the model with it
			if err := x.Revert(added...); err != nil {
				t.Fatal(err)
			}
			b.events, b.rev = b.events[:before], b.rev-gh.Revision(len(added))
			live = map[gh.GroupID]*gh.Group{}
			for _, g := range x.Groups("org_1", func(*gh.Group) bool { return true }) {
				live[g.ID] = g
			}
		}
		for _, w := range homes {
			h := gh.Home{Org: "org_1", Workspace: w}
			want := x.Groups("org_1", func(g *gh.Group) bool { return g.Home == h })
			got := x.GroupsIn(h, func(*gh.Group) bool { return true })
			if !slices.Equal(got, want) {
				t.Fatalf("step %d, home %q: GroupsIn = %v, want %v", step, w, got, want)
			}
		}
	}
}

// A workspace user never reaches another workspace, even when the data holds
// an assignment there (one the directory would refuse): the engine itself
// keeps the promise of DESIGN §2 rather than trusting every writer.
func TestWorkspaceUserNeverReachesAnotherWorkspace(t *testing.T) {
	b := &builder{}
	b.put(gh.KindOrg, "org_1", &gh.Org{ID: "org_1", Slug: "one", Name: "One", Status: gh.StatusActive})
	for _, ws := range []gh.WorkspaceID{"ws_home", "ws_other"} {
		b.put(gh.KindWorkspace, string(ws), &gh.Workspace{ID: ws, Org: "org_1", Slug: string(ws[3:]), Name: string(ws), Status: gh.StatusActive})
	}
	home := gh.Home{Org: "org_1", Workspace: "ws_home"}
	b.put(gh.KindUser, "usr_c", &gh.User{ID: "usr_c", Home: home, Email: "c@customer.example", Status: gh.StatusActive})
	b.put(gh.KindGroup, "grp_c", &gh.Group{ID: "grp_c", Home: home, Name: "Customer IT"})
	m := &gh.Membership{Org: "org_1", Group: "grp_c", Member: gh.UserPrincipal("usr_c")}
	b.put(gh.KindMembership, m.Key(), m)
	b.put(gh.KindAssignment, "asg_home", &gh.Assignment{ID: "asg_home", Org: "org_1", Workspace: "ws_home", Principal: gh.UserPrincipal("usr_c"), Role: gh.RoleIncidentAnalyst})
	// Forged: the user and its group assigned Admin in a workspace not theirs.
	b.put(gh.KindAssignment, "asg_user", &gh.Assignment{ID: "asg_user", Org: "org_1", Workspace: "ws_other", Principal: gh.UserPrincipal("usr_c"), Role: gh.RoleAdmin})
	b.put(gh.KindAssignment, "asg_group", &gh.Assignment{ID: "asg_group", Org: "org_1", Workspace: "ws_other", Principal: gh.GroupPrincipal("grp_c"), Role: gh.RoleAdmin})
	x := engine.New(gh.DefaultCatalogue)
	if err := x.Apply(b.events...); err != nil {
		t.Fatal(err)
	}

	if !x.Check("usr_c", "ws_home", "incidents.view", gh.LevelFull).Allowed {
		t.Fatalf("Check(home, incidents.view) = denied, want allowed: the world is wrong")
	}
	for _, c := range x.Catalogue().Capabilities() {
		if c.Scope != gh.ScopeWorkspace {
			continue
		}
		if d := x.Check("usr_c", "ws_other", c.ID, gh.LevelLimited); d.Allowed {
			t.Errorf("Check(other workspace, %s) = %+v, want denied", c.ID, d)
		}
	}
	if eff := x.Effective("usr_c", "ws_other"); len(eff) != 0 {
		t.Errorf("Effective(other workspace) = %v, want nothing", eff)
	}
	if e := x.Explain("usr_c", "ws_other", "incidents.view", gh.LevelFull); e.Allowed || len(e.Paths) != 0 {
		t.Errorf("Explain(other workspace) = %+v, want denied with no path", e)
	}
	ws, _, _ := x.LookupWorkspaces("usr_c", "incidents.view", gh.LevelLimited, engine.LookupPage{})
	for _, w := range ws {
		if w.Workspace == "ws_other" {
			t.Errorf("LookupWorkspaces lists the other workspace: %+v", w)
		}
	}
	us, _, _ := x.LookupUsers("ws_other", "incidents.view", gh.LevelLimited, engine.LookupPage{})
	for _, u := range us {
		if u.User == "usr_c" {
			t.Errorf("LookupUsers(other workspace) lists the customer's user: %+v", u)
		}
	}
}
