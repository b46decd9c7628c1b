package directory_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestProvisioningStaysInItsHome drives each home's connected directory
// with random provisioning — creating people at addresses of every home,
// updating, disabling and deleting ids of every home, grouping and
// ungrouping anyone — and holds the invariant after every step: a
// directory changes nothing outside its home, touches only what it
// manages there, and no workspace user reaches past its workspace.
func TestProvisioningStaysInItsHome(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			dirs := []*gh.ExternalDirectory{
				w.extDir(t, directory.Scope{Org: w.org}, "Partner Entra", false),
				w.extDir(t, w.scope(w.acme), "Acme Okta", true),
				w.extDir(t, w.scope(w.glx), "Globex AD", false),
			}
			seed := rand.Uint64()
			rng := rand.New(rand.NewPCG(seed, 11))
			t.Logf("seed %d", seed)
			done := 0
			for i := range 400 {
				x := dirs[rng.IntN(len(dirs))]
				before := w.outside(x.Home)
				err := w.provisionStep(rng, x)
				var e *gh.Error
				if err != nil && !errors.As(err, &e) {
					t.Fatalf("step %d: %v", i, err)
				}
				if e != nil && e.Kind == gh.KindInternal {
					t.Fatalf("step %d: %v", i, err)
				}
				if after := w.outside(x.Home); after != before {
					t.Fatalf("step %d: directory %s of %v changed something outside its home", i, x.Name, x.Home)
				}
				if err == nil {
					done++
				}
				w.noneReachesOut(t, i)
			}
			if done < 100 {
				t.Fatalf("only %d of 400 steps succeeded: the test exercised too little", done)
			}
		})
	}
}

func (w *federationWorld) extDir(t *testing.T, sc directory.Scope, name string, adopt bool) *gh.ExternalDirectory {
	t.Helper()
	x := &gh.ExternalDirectory{ID: gh.ExternalDirectoryID(gh.NewID("dir")), Type: gh.DirectorySCIM, Name: name, AdoptExisting: adopt}
	if _, err := w.d.CreateExternalDirectory(w.ctx, w.sys, sc, x, ""); err != nil {
		t.Fatal(err)
	}
	return w.d.ExternalDirectory(x.ID)
}

// anyUser picks a user of any home of the organization, of h half the
// time; anyGroup a group.
func (w *federationWorld) anyUser(rng *rand.Rand, h gh.Home) gh.UserID {
	homes := []gh.WorkspaceID{"", w.acme.ID, w.glx.ID}
	if rng.IntN(2) == 0 {
		homes = []gh.WorkspaceID{h.Workspace}
	}
	var all []*gh.User
	for _, ws := range homes {
		us, _ := w.d.Index().UsersPage(w.org.ID, ws, "", 1000, func(*gh.User) bool { return true })
		all = append(all, us...)
	}
	return all[rng.IntN(len(all))].ID
}

func (w *federationWorld) anyGroup(rng *rand.Rand, h gh.Home) gh.GroupID {
	gs := w.d.Index().Groups(w.org.ID, func(g *gh.Group) bool { return rng.IntN(3) == 0 || g.Home == h })
	return gs[rng.IntN(len(gs))].ID
}

// provisionStep makes one random provisioning call as x.
func (w *federationWorld) provisionStep(rng *rand.Rand, x *gh.ExternalDirectory) error {
	a := directory.DirectoryActor(x, gh.Source{Via: "test"})
	in := directory.ProvisionInput{ExternalID: fmt.Sprint("e", rng.IntN(20)), Email: w.emails[rng.IntN(len(w.emails))],
		GivenName: "P", Active: rng.IntN(4) != 0}
	if rng.IntN(3) == 0 {
		in.Email = fmt.Sprintf("p%d@%s.example", rng.IntN(30), []string{"partner", "acme", "globex"}[rng.IntN(3)])
	}
	members := []gh.UserID{w.anyUser(rng, x.Home), w.anyUser(rng, x.Home)}
	var err error
	switch rng.IntN(7) {
	case 0, 1:
		_, _, err = w.d.ProvisionUser(w.ctx, a, x, in)
	case 2:
		_, _, err = w.d.UpdateManagedUser(w.ctx, a, x, w.anyUser(rng, x.Home), in)
	case 3:
		_, err = w.d.DeleteManagedUser(w.ctx, a, x, w.anyUser(rng, x.Home))
	case 4:
		_, _, err = w.d.ProvisionGroup(w.ctx, a, x, fmt.Sprint("g", rng.IntN(10)), fmt.Sprint("Synced ", rng.IntN(10)), members[:rng.IntN(3)])
	case 5:
		_, _, err = w.d.UpdateManagedGroup(w.ctx, a, x, w.anyGroup(rng, x.Home), directory.GroupChange{Add: members[:1], Remove: members[1:]})
	case 6:
		_, err = w.d.DeleteManagedGroup(w.ctx, a, x, w.anyGroup(rng, x.Home))
	}
	return err
}

// TestGroupsFollowDirectoryGroups: a group of Gatehouse's own follows a
// directory's groups, by their id or their name: its members among the
// directory's people are kept equal to theirs at every change — created,
// joined, left, renamed, deleted — and from the moment it starts
// following; its other members are never touched.
func TestGroupsFollowDirectoryGroups(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			orgScope := directory.Scope{Org: w.org}
			x := w.extDir(t, orgScope, "Partner AD", false)
			a := directory.DirectoryActor(x, gh.Source{Via: "test"})
			var u []gh.UserID
			for i := range 3 {
				nu, _, err := w.d.ProvisionUser(w.ctx, a, x, directory.ProvisionInput{ExternalID: fmt.Sprint("e", i), Email: fmt.Sprintf("u%d@partner.example", i), GivenName: "U", Active: true})
				if err != nil {
					t.Fatal(err)
				}
				u = append(u, nu.ID)
			}
			byID := w.group(t, orgScope, "Follows by id", gh.ExternalGroup{Provider: gh.ProviderID(x.ID), Value: "CN=SOC,OU=Groups"})
			byName := w.group(t, orgScope, "Follows by name", gh.ExternalGroup{Provider: gh.ProviderID(x.ID), Value: "night shift"})
			admin := w.d.Index().UserByEmail(gh.Home{Org: w.org.ID}, "admin@partner.example")
			if _, _, err := w.d.AddMember(w.ctx, w.sys, orgScope, byID.ID, gh.UserPrincipal(admin.ID)); err != nil {
				t.Fatal(err)
			}
			members := func(g gh.GroupID) []gh.UserID {
				var out []gh.UserID
				for _, m := range w.d.Index().Members(g) {
					out = append(out, gh.UserID(m.Member.ID))
				}
				slices.Sort(out)
				return out
			}
			want := func(what string, g gh.GroupID, ids ...gh.UserID) {
				t.Helper()
				slices.Sort(ids)
				if got := members(g); !slices.Equal(got, ids) {
					t.Fatalf("%s: members %v, want %v", what, got, ids)
				}
			}
			soc, _, err := w.d.ProvisionGroup(w.ctx, a, x, "cn=soc,ou=groups", "SOC", u[:2])
			if err != nil {
				t.Fatal(err)
			}
			want("created", byID.ID, admin.ID, u[0], u[1])
			if _, _, err := w.d.UpdateManagedGroup(w.ctx, a, x, soc.ID, directory.GroupChange{Add: u[2:], Remove: u[:1]}); err != nil {
				t.Fatal(err)
			}
			want("joined and left", byID.ID, admin.ID, u[1], u[2])
			night, _, err := w.d.ProvisionGroup(w.ctx, a, x, "cn=night", "Night Shift", u[:1])
			if err != nil {
				t.Fatal(err)
			}
			want("by name", byName.ID, u[0])
			day := "Day Shift"
			if _, _, err := w.d.UpdateManagedGroup(w.ctx, a, x, night.ID, directory.GroupChange{Name: &day}); err != nil {
				t.Fatal(err)
			}
			want("renamed away", byName.ID)
			late, _, err := w.d.CreateGroup(w.ctx, w.sys, orgScope, directory.GroupInput{Name: "Follows later"})
			if err != nil {
				t.Fatal(err)
			}
			ext := []gh.ExternalGroup{{Provider: gh.ProviderID(x.ID), Value: "SOC"}}
			if _, _, err := w.d.UpdateGroup(w.ctx, w.sys, orgScope, late.ID, directory.GroupPatch{External: &ext}, 0); err != nil {
				t.Fatal(err)
			}
			want("followed at once", late.ID, u[1], u[2])
			if _, err := w.d.DeleteManagedGroup(w.ctx, a, x, soc.ID); err != nil {
				t.Fatal(err)
			}
			want("deleted", byID.ID, admin.ID)
			want("deleted, by name", late.ID)
		})
	}
}

// TestFollowingNeedsWhatJoiningNeeds: a workspace manager who may manage
// groups but holds less than a group's role there cannot make the group
// follow a provider or directory — that would let it add members it could
// not add itself.
func TestFollowingNeedsWhatJoiningNeeds(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			sc := w.scope(w.acme)
			r, _, err := w.d.CreateRole(w.ctx, w.sys, sc, directory.RoleInput{Name: "Group keeper",
				Grants: map[gh.Capability]gh.Level{gh.CapGroupsAdd: gh.LevelFull}})
			if err != nil {
				t.Fatal(err)
			}
			u, _, err := w.d.CreateUser(w.ctx, w.sys, sc, directory.UserInput{Email: "keeper@acme.example", GivenName: "K"})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.acme, gh.UserPrincipal(u.ID), r.ID)
			keeper := &directory.Actor{User: w.d.Index().User(u.ID)}
			admins, _, err := w.d.CreateGroup(w.ctx, w.sys, sc, directory.GroupInput{Name: "Acme admins"})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.acme, gh.GroupPrincipal(admins.ID), gh.RoleAdmin)
			ext := []gh.ExternalGroup{{Provider: w.pAcme.ID, Value: "everyone"}}
			_, _, err = w.d.UpdateGroup(w.ctx, keeper, sc, admins.ID, directory.GroupPatch{External: &ext}, 0)
			if e := gh.AsError(err); e == nil || e.Code != "escalation" {
				t.Fatalf("following a provider into the Admin group as its keeper: %v, want escalation", err)
			}
			if g := w.d.Index().Group(admins.ID); len(g.External) != 0 {
				t.Fatalf("the refused change was kept: %v", g.External)
			}
		})
	}
}
