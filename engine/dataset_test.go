package engine_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

// TestLookupPagesWalkTheWholeAnswer walks both lookups page by page, for
// every user and workspace of a generated directory (whose Org Admin works in
// most workspaces, so both of LookupWorkspaces' orders are taken), and
// requires the pages to add up to the whole answer, which must name exactly
// what the reference allows; pages carry paths only when asked for.
func TestLookupPagesWalkTheWholeAnswer(t *testing.T) {
	p := dataset.Profiles["small"]
	p.AdminWorkspaces = 4
	s := dataset.Build(p, 42)
	x := engine.New(gh.DefaultCatalogue)
	x.Load(s)
	ref := reference.New(s, gh.DefaultCatalogue)
	caps := []gh.Capability{"incidents.view", "incidents.close", gh.CapSettingsView}
	for _, c := range caps {
		for _, lvl := range []gh.Level{gh.LevelLimited, gh.LevelFull} {
			for _, u := range s.Users {
				var want []gh.WorkspaceID
				for _, w := range s.Workspaces {
					if ref.Level(u.ID, w.ID, c) >= lvl {
						want = append(want, w.ID)
					}
				}
				slices.Sort(want)
				whole, more, _ := x.LookupWorkspaces(u.ID, c, lvl, engine.LookupPage{Paths: true})
				got := make([]gh.WorkspaceID, len(whole))
				for i, a := range whole {
					got[i] = a.Workspace
					if len(a.Paths) == 0 || a.Level != ref.Level(u.ID, a.Workspace, c) {
						t.Fatalf("LookupWorkspaces(%s, %s, %s) answers %+v; reference level %s", u.Email, c, lvl, a, ref.Level(u.ID, a.Workspace, c))
					}
				}
				if more || !slices.Equal(got, want) {
					t.Fatalf("LookupWorkspaces(%s, %s, %s) = %v (more %v), reference %v", u.Email, c, lvl, got, more, want)
				}
				walkPages(t, fmt.Sprintf("LookupWorkspaces(%s, %s, %s)", u.Email, c, lvl), whole,
					func(p engine.LookupPage) ([]engine.WorkspaceAccess, bool) {
						page, more, _ := x.LookupWorkspaces(u.ID, c, lvl, p)
						return page, more
					},
					func(a engine.WorkspaceAccess) string { return string(a.Workspace) },
					func(a engine.WorkspaceAccess) engine.WorkspaceAccess { a.Paths = nil; return a })
			}
			for _, w := range s.Workspaces {
				var want []gh.UserID
				for _, u := range s.Users {
					if ref.Level(u.ID, w.ID, c) >= lvl {
						want = append(want, u.ID)
					}
				}
				slices.Sort(want)
				whole, more, _ := x.LookupUsers(w.ID, c, lvl, engine.LookupPage{Paths: true})
				got := make([]gh.UserID, len(whole))
				for i, a := range whole {
					got[i] = a.User
				}
				if more || !slices.Equal(got, want) {
					t.Fatalf("LookupUsers(%s, %s, %s) = %v (more %v), reference %v", w.Slug, c, lvl, got, more, want)
				}
				walkPages(t, fmt.Sprintf("LookupUsers(%s, %s, %s)", w.Slug, c, lvl), whole,
					func(p engine.LookupPage) ([]engine.UserAccess, bool) {
						page, more, _ := x.LookupUsers(w.ID, c, lvl, p)
						return page, more
					},
					func(a engine.UserAccess) string { return string(a.User) },
					func(a engine.UserAccess) engine.UserAccess { a.Paths = nil; return a })
			}
		}
	}
}

// walkPages reads a lookup in pages of several sizes, with and without
// paths, and compares what they add up to with the whole answer.
func walkPages[T any](t *testing.T, what string, whole []T, lookup func(engine.LookupPage) ([]T, bool), id func(T) string, bare func(T) T) {
	t.Helper()
	for _, limit := range []int{1, 2, 3, 7} {
		for _, paths := range []bool{false, true} {
			var got []T
			p := engine.LookupPage{Limit: limit, Paths: paths}
			for {
				page, more := lookup(p)
				got = append(got, page...)
				if !more {
					break
				}
				if len(page) != limit {
					t.Fatalf("%s: a page of %d before the end, want %d", what, len(page), limit)
				}
				p.After = id(page[len(page)-1])
			}
			want := whole
			if !paths {
				want = nil
				for _, a := range whole {
					want = append(want, bare(a))
				}
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s in pages of %d (paths %v) differs from the whole answer (-whole +pages):\n%s", what, limit, paths, diff)
			}
		}
	}
}
