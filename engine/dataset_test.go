package engine_test

import (
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/reference"
)

// TestEngineAgreesWithReferenceOnGeneratedDirectories compares the engine with
// the literal reference on every user × workspace × capability of the small
// profile, and on a sample of the large one.
func TestEngineAgreesWithReferenceOnGeneratedDirectories(t *testing.T) {
	for _, c := range []struct {
		profile string
		sample  int
	}{{"small", 0}, {"mssp-large", 60000}} {
		t.Run(c.profile, func(t *testing.T) {
			if testing.Short() && c.sample > 0 {
				t.Skip("large profile skipped in -short")
			}
			s := dataset.Build(dataset.Profiles[c.profile], 42)
			x := engine.New(gh.DefaultCatalogue)
			x.Load(s)
			ref := reference.New(s, gh.DefaultCatalogue)
			n, allowed := 0, 0
			compare := func(u gh.UserID, w gh.WorkspaceID, cap gh.Capability) {
				got, want := x.Check(u, w, cap, gh.LevelLimited).Level, ref.Level(u, w, cap)
				if got != want {
					t.Fatalf("Check(%s, %s, %s) = %s, reference %s", u, w, cap, got, want)
				}
				if want > gh.LevelNone {
					allowed++
				}
			}
			if c.sample == 0 {
				for _, u := range s.Users {
					for _, w := range s.Workspaces {
						for _, ci := range gh.DefaultCatalogue.Capabilities() {
							compare(u.ID, w.ID, ci.ID)
							n++
						}
					}
				}
			} else {
				for _, q := range questions(s, c.sample) {
					compare(q.u, q.w, q.c)
					n++
				}
			}
			t.Logf("%s: %d checks agree (%d allowed)", c.profile, n, allowed)
		})
	}
}
