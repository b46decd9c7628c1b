package engine_test

import (
	"fmt"
	"maps"
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
	for _, c := range []gh.Capability{"incidents.view", "incidents.close", gh.CapSettingsView} {
		for _, lvl := range []gh.Level{gh.LevelLimited, gh.LevelFull} {
			for _, u := range s.Users {
				want := map[string]gh.Level{}
				for _, w := range s.Workspaces {
					if l := ref.Level(u.ID, w.ID, c); l >= lvl {
						want[string(w.ID)] = l
					}
				}
				checkLookup(t, fmt.Sprintf("LookupWorkspaces(%s, %s, %s)", u.Email, c, lvl), want,
					func(p engine.LookupPage) ([]engine.WorkspaceAccess, bool) {
						page, more, _ := x.LookupWorkspaces(u.ID, c, lvl, p)
						return page, more
					},
					func(a engine.WorkspaceAccess) (string, gh.Level, int) {
						return string(a.Workspace), a.Level, len(a.Paths)
					},
					func(a engine.WorkspaceAccess) engine.WorkspaceAccess { a.Paths = nil; return a })
			}
			for _, w := range s.Workspaces {
				want := map[string]gh.Level{}
				for _, u := range s.Users {
					if l := ref.Level(u.ID, w.ID, c); l >= lvl {
						want[string(u.ID)] = l
					}
				}
				checkLookup(t, fmt.Sprintf("LookupUsers(%s, %s, %s)", w.Slug, c, lvl), want,
					func(p engine.LookupPage) ([]engine.UserAccess, bool) {
						page, more, _ := x.LookupUsers(w.ID, c, lvl, p)
						return page, more
					},
					func(a engine.UserAccess) (string, gh.Level, int) { return string(a.User), a.Level, len(a.Paths) },
					func(a engine.UserAccess) engine.UserAccess { a.Paths = nil; return a })
			}
		}
	}
}

// checkLookup asks a lookup's whole answer, with paths, and compares it with
// want (the reference's ids and levels), then walks it in pages.
func checkLookup[T any](t *testing.T, what string, want map[string]gh.Level, lookup func(engine.LookupPage) ([]T, bool),
	view func(T) (id string, l gh.Level, paths int), bare func(T) T) {
	t.Helper()
	whole, more := lookup(engine.LookupPage{Paths: true})
	var got []string
	for _, a := range whole {
		id, l, paths := view(a)
		if paths == 0 || l != want[id] {
			t.Fatalf("%s answers %+v; want paths and the reference's level %s", what, a, want[id])
		}
		got = append(got, id)
	}
	if ids := slices.Sorted(maps.Keys(want)); more || !slices.Equal(got, ids) {
		t.Fatalf("%s = %v (more %v), reference %v", what, got, more, ids)
	}
	walkPages(t, what, whole, lookup, func(a T) string { id, _, _ := view(a); return id }, bare)
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
