package directory_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
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
