package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testRoundTrip creates, updates and deletes one object of every kind and
// checks that Snapshot returns exactly what was written.
func testRoundTrip(t *testing.T, h Harness) {
	s := h.Open(t)
	a, b := newWorld("a"), newWorld("b")
	ea := a.edited()
	var updates, removals []gatehouse.Change
	for i, o := range a.objects() {
		updates = append(updates, update(o, ea.objects()[i]))
	}
	for _, o := range slices.Backward(ea.objects()) {
		removals = append(removals, remove(o))
	}
	steps := []struct {
		name string
		ev   *gatehouse.Event
		want *gatehouse.Snapshot
	}{
		{"create", a.created(), snapshotOf(1, a)},
		{"create another org", b.created(), snapshotOf(2, a, b)},
		{"update", event(a.org.ID, "org.update", a.org, updates...), snapshotOf(3, ea, b)},
		{"delete", event(a.org.ID, "org.delete", a.org, removals...), snapshotOf(4, b)},
	}
	for _, step := range steps {
		mustCommit(t, s, step.ev)
		if d := cmp.Diff(step.want, snapshot(t, s), diffOpts...); d != "" {
			t.Errorf("after %s: Snapshot mismatch (-want +got):\n%s", step.name, d)
		}
	}
}

// conflictCases each make one change that breaks a constraint of a store
// holding worlds a and b.
var conflictCases = []struct {
	name   string
	change func(a, b *world) gatehouse.Change
	code   string // "conflict" (unique) or "reference" (foreign key)
	msg    string // for unique violations: what clashed
}{
	// Emails and role names are unique per home (the organization, or one workspace).
	{"user email differs only in case", func(a, _ *world) gatehouse.Change {
		u := *a.admin
		u.ID, u.Email = "usr_a9", " ANA@Example.com"
		return create(&u)
	}, "conflict", "email already in use"},
	{"user updated to a taken email", func(a, _ *world) gatehouse.Change {
		u := *a.wsUser
		u.Home, u.Email = a.admin.Home, a.admin.Email
		return update(a.wsUser, &u)
	}, "conflict", "email already in use"},
	{"org slug", func(a, _ *world) gatehouse.Change {
		return create(&gatehouse.Org{ID: "org_c", Slug: a.org.Slug, Name: "C", Status: gatehouse.StatusActive})
	}, "conflict", "slug already in use"},
	{"workspace slug within an org", func(a, _ *world) gatehouse.Change {
		ws := *a.ws
		ws.ID, ws.Name = "wsp_a9", "Acme again"
		return create(&ws)
	}, "conflict", "slug already in use"},
	{"group name within one home", func(a, _ *world) gatehouse.Change {
		g := *a.orgGroup
		g.ID, g.Name = "grp_a9", " soc analysts"
		return create(&g)
	}, "conflict", "name already in use"},
	{"role name within one home", func(a, _ *world) gatehouse.Change {
		r := *a.wsRole
		r.ID, r.Name = "rol_a9", "ACME viewer "
		return create(&r)
	}, "conflict", "name already in use"},
	{"second assignment of a principal in a workspace", func(a, _ *world) gatehouse.Change {
		as := *a.assign
		as.ID, as.Role = "asg_a9", gatehouse.RoleAdmin
		return create(&as)
	}, "conflict", "principal already has a role in this workspace"},
	{"template name", func(a, _ *world) gatehouse.Change {
		tp := *a.tmpl
		tp.ID, tp.Name = "tpl_a9", "standard"
		return create(&tp)
	}, "conflict", "name already in use"},
	{"api key hash", func(a, _ *world) gatehouse.Change {
		k := *a.key
		k.ID = "key_a9"
		return create(&k)
	}, "conflict", "key already exists"},

	{"workspace of a missing org", func(a, _ *world) gatehouse.Change {
		return create(&gatehouse.Workspace{ID: "wsp_x", Org: "org_x", Slug: "x", Name: "X", Status: gatehouse.StatusActive})
	}, "reference", ""},
	{"user in a missing workspace", func(a, _ *world) gatehouse.Change {
		u := *a.wsUser
		u.ID, u.Email, u.Workspace = "usr_a9", "cy@acme.example", "wsp_x"
		return create(&u)
	}, "reference", ""},
	{"user in another org's workspace", func(a, b *world) gatehouse.Change {
		u := *a.wsUser
		u.ID, u.Email, u.Workspace = "usr_a9", "cy@acme.example", b.ws.ID
		return create(&u)
	}, "reference", ""},
	{"membership of a missing group", func(a, _ *world) gatehouse.Change {
		m := *a.inOrgGroup
		m.Group = "grp_x"
		return create(&m)
	}, "reference", ""},
	{"assignment in another org's workspace", func(a, b *world) gatehouse.Change {
		as := *a.assign
		as.ID, as.Workspace = "asg_a9", b.ws.ID
		return create(&as)
	}, "reference", ""},
	{"delete an org that has workspaces", func(a, _ *world) gatehouse.Change {
		return remove(a.org)
	}, "reference", ""},
	{"delete a group that has members", func(a, _ *world) gatehouse.Change {
		return remove(a.orgGroup)
	}, "reference", ""},
}

// testConflict checks that a constraint violation is KindConflict and that
// the whole Update, including the valid event before it, leaves no trace.
func testConflict(t *testing.T, h Harness) {
	for _, tc := range conflictCases {
		for _, way := range appendWays {
			t.Run(tc.name+"/"+way.name, func(t *testing.T) {
				s := h.Open(t)
				a, b := newWorld("a"), newWorld("b")
				mustCommit(t, s, a.created(), b.created())
				before := readState(t, s)

				fine := &gatehouse.Group{ID: "grp_a8", Home: gatehouse.Home{Org: a.org.ID}, Name: "Fine"}
				ok := event(a.org.ID, "group.create", fine, create(fine))
				bad := event(a.org.ID, "test.conflict", a.org, create(&gatehouse.Group{ID: "grp_a7",
					Home: gatehouse.Home{Org: a.org.ID}, Name: "Also fine"}), tc.change(a, b))
				err := way.commit(s, ok, bad)

				e := checkError(t, err, gatehouse.KindConflict, tc.code)
				if tc.msg != "" && e.Message != tc.msg {
					t.Errorf("error message = %q, want %q", e.Message, tc.msg)
				}
				checkUnchanged(t, s, before)
			})
		}
	}
}

// appendWays are the two ways a transaction appends: event by event, and all
// at once (multi-row statements, pipelined where the store can).
var appendWays = []struct {
	name   string
	commit func(gatehouse.Store, ...*gatehouse.Event) error
}{{"Append", commit}, {"AppendAll", commitAll}}

// testAllowed checks that the constraints are no broader than the model's rules.
func testAllowed(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name    string
		changes func(a, b *world) []gatehouse.Change
	}{
		{"email of a user deleted in the same event", func(a, _ *world) []gatehouse.Change {
			u := *a.wsUser
			u.ID = "usr_a9"
			return []gatehouse.Change{remove(a.wsUser), create(&u)}
		}},
		{"user keeps its own email", func(a, _ *world) []gatehouse.Change {
			u := *a.admin
			u.Email = "ANA@example.com"
			return []gatehouse.Change{update(a.admin, &u)}
		}},
		{"assigning again changes the role", func(a, _ *world) []gatehouse.Change {
			as := *a.assign
			as.Role = gatehouse.RoleAdmin
			return []gatehouse.Change{update(a.assign, &as)}
		}},
		{"assignment of the same principal in a second workspace", func(a, _ *world) []gatehouse.Change {
			ws := *a.ws
			ws.ID, ws.Slug = "wsp_a9", "globex"
			as := *a.assign
			as.ID, as.Workspace = "asg_a9", ws.ID
			return []gatehouse.Change{create(&ws), create(&as)}
		}},
		{"workspace group named like another workspace's", func(a, _ *world) []gatehouse.Change {
			ws := *a.ws
			ws.ID, ws.Slug = "wsp_a9", "globex"
			g := *a.wsGroup
			g.ID, g.Workspace = "grp_a9", ws.ID
			return []gatehouse.Change{create(&ws), create(&g)}
		}},
		{"the organization's email again in a workspace", func(a, _ *world) []gatehouse.Change {
			u := *a.wsUser
			u.ID, u.Email = "usr_a9", a.admin.Email
			return []gatehouse.Change{create(&u)}
		}},
		{"workspace role named like another workspace's", func(a, _ *world) []gatehouse.Change {
			ws := *a.ws
			ws.ID, ws.Slug = "wsp_a9", "globex"
			r := *a.wsRole
			r.ID, r.Workspace = "rol_a9", ws.ID
			return []gatehouse.Change{create(&ws), create(&r)}
		}},
		{"org deleted with everything in it", func(_, b *world) []gatehouse.Change {
			var cs []gatehouse.Change
			for _, o := range slices.Backward(b.objects()) {
				cs = append(cs, remove(o))
			}
			return cs
		}},
	} {
		for _, way := range appendWays {
			t.Run(tc.name+"/"+way.name, func(t *testing.T) {
				s := h.Open(t)
				a, b := newWorld("a"), newWorld("b") // both exist: they share slugs, emails and names
				mustCommit(t, s, a.created(), b.created())
				if err := way.commit(s, event(a.org.ID, "test.allowed", a.org, tc.changes(a, b)...)); err != nil {
					t.Fatalf("Update: %v", err)
				}
			})
		}
	}
}

var errBoom = errors.New("boom")

// testRollback checks that a failed Update writes nothing, however it failed.
func testRollback(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		fn   func(a *world) func(gatehouse.Tx) error
		kind gatehouse.Kind // of the error Update returns; KindInternal with errBoom
		code string
	}{
		{"fn returns an error", func(a *world) func(gatehouse.Tx) error {
			return func(tx gatehouse.Tx) error {
				ev := event(a.org.ID, "user.update", a.admin, update(a.admin, a.edited().admin))
				ev.Revision = tx.Next()
				if err := tx.Append(ev); err != nil {
					return err
				}
				return errBoom
			}
		}, gatehouse.KindInternal, ""},
		{"fn ignores a failed Append", func(a *world) func(gatehouse.Tx) error {
			return func(tx gatehouse.Tx) error {
				org := *a.org
				org.ID = "org_c"
				ev := event(org.ID, "org.create", &org, create(&org))
				ev.Revision = tx.Next()
				_ = tx.Append(ev)
				return nil
			}
		}, gatehouse.KindConflict, "conflict"},
		{"Append after a failed Append", func(a *world) func(gatehouse.Tx) error {
			return func(tx gatehouse.Tx) error {
				org := *a.org
				org.ID = "org_c"
				bad := event(org.ID, "org.create", &org, create(&org))
				bad.Revision = tx.Next()
				_ = tx.Append(bad)
				ok := event(a.org.ID, "user.update", a.admin, update(a.admin, a.edited().admin))
				ok.Revision = tx.Next()
				return tx.Append(ok)
			}
		}, gatehouse.KindConflict, "conflict"},
		{"wrong revision", func(a *world) func(gatehouse.Tx) error {
			return func(tx gatehouse.Tx) error {
				ev := event(a.org.ID, "user.update", a.admin, update(a.admin, a.edited().admin))
				ev.Revision = tx.Next() + 1
				return tx.Append(ev)
			}
		}, gatehouse.KindInternal, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := h.Open(t)
			a := newWorld("a")
			mustCommit(t, s, a.created())
			before := readState(t, s)
			err := s.Update(context.Background(), tc.fn(a))
			if tc.code == "" {
				if !errors.Is(err, errBoom) {
					t.Fatalf("Update = %v, want fn's error %v", err, errBoom)
				}
			} else {
				checkError(t, err, tc.kind, tc.code)
			}
			checkUnchanged(t, s, before)
		})
	}
}

// testDurability checks that a closed and reopened store keeps everything.
func testDurability(t *testing.T, h Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen a store")
	}
	s := h.Open(t)
	a, b := newWorld("a"), newWorld("b")
	mustCommit(t, s, a.created())
	mustCommit(t, s, b.created(), event(a.org.ID, "org.update", a.org, update(a.org, a.edited().org)))
	before := readState(t, s)
	s = h.Reopen(t, s)
	checkUnchanged(t, s, before)
	for _, org := range []gatehouse.OrgID{a.org.ID, b.org.ID} {
		if rep, err := s.VerifyChain(context.Background(), org); err != nil || !rep.OK {
			t.Errorf("VerifyChain(%s) after reopening = %+v, %v; want OK", org, rep, err)
		}
	}
	// The reopened store goes on from the same head.
	mustCommit(t, s, event(b.org.ID, "org.update", b.org, update(b.org, b.edited().org)))
	if head, err := s.Head(context.Background()); err != nil || head != 4 {
		t.Errorf("Head after one more Update = %d, %v; want 4", head, err)
	}
}
