package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// whatIfWorld is an organization with three customer workspaces w1..w3, a
// SOC group (nina, omar and the nested group Tier 2 holding tom) assigned
// Incident Responder in all three, a vendor group (vic) assigned w1's own
// role "W1 viewer", and w1's own admin it@w1 and analyst ana@w1 (W1 viewer).
type whatIfWorld struct {
	d     *directory.Directory
	o     *gh.Org
	ids   map[string]string // ref → id
	admin *directory.Actor  // the Org Admin
}

func op(o, typ, ref, ws, id, body string) directory.BatchOp {
	b := directory.BatchOp{Op: o, Type: typ, Ref: ref, Workspace: ws, ID: id}
	if body != "" {
		b.Body = json.RawMessage(body)
	}
	return b
}

func newWhatIfWorld(t *testing.T, store gh.Store) *whatIfWorld {
	t.Helper()
	ctx := context.Background()
	d, sys, o, _ := openWithOrg(t, store, "acme")
	user := func(ref, ws, email string) directory.BatchOp {
		return op("create", "user", ref, ws, "", fmt.Sprintf(`{"email":%q,"given_name":%q}`, email, strings.Split(email, "@")[0]))
	}
	member := func(group, typ, id string) directory.BatchOp {
		return op("create", "membership", "", "", group, fmt.Sprintf(`{"member":{"type":%q,"id":%q}}`, typ, id))
	}
	assign := func(ws, typ, id, role string) directory.BatchOp {
		return op("create", "assignment", "", ws, "", fmt.Sprintf(`{"principal":{"type":%q,"id":%q},"role":%q}`, typ, id, role))
	}
	ops := []directory.BatchOp{
		op("create", "workspace", "w1", "", "", `{"name":"W1","slug":"w1"}`),
		op("create", "workspace", "w2", "", "", `{"name":"W2","slug":"w2"}`),
		op("create", "workspace", "w3", "", "", `{"name":"W3","slug":"w3"}`),
		user("nina", "", "nina@acme.example"), user("omar", "", "omar@acme.example"),
		user("tom", "", "tom@acme.example"), user("vic", "", "vic@acme.example"),
		op("create", "group", "soc", "", "", `{"name":"SOC"}`),
		op("create", "group", "tier2", "", "", `{"name":"Tier 2"}`),
		op("create", "group", "vendors", "", "", `{"name":"Vendors"}`),
		member("$soc", "user", "$nina"), member("$soc", "user", "$omar"),
		member("$tier2", "user", "$tom"), member("$soc", "group", "$tier2"),
		member("$vendors", "user", "$vic"),
		assign("$w1", "group", "$soc", "incident_responder"),
		assign("$w2", "group", "$soc", "incident_responder"),
		assign("$w3", "group", "$soc", "incident_responder"),
		op("create", "role", "viewer", "$w1", "", `{"name":"W1 viewer","based_on":"incident_analyst"}`),
		assign("$w1", "group", "$vendors", "$viewer"),
		user("it", "$w1", "it@w1.example"), user("ana", "$w1", "ana@w1.example"),
		assign("$w1", "user", "$it", "admin"),
		assign("$w1", "user", "$ana", "$viewer"),
	}
	res, _, err := d.ApplyBatch(ctx, sys, o, "bat_setup", ops, false, nil)
	if err != nil {
		t.Fatalf("set up: %v", err)
	}
	w := &whatIfWorld{d: d, o: o, ids: map[string]string{}}
	for _, r := range res {
		if r.Ref != "" {
			w.ids[r.Ref] = r.ID
		}
	}
	w.admin = &directory.Actor{User: d.Index().UserByEmail(gh.Home{Org: o.ID}, "admin@acme.example")}
	return w
}

// actor is the user ref as an actor.
func (w *whatIfWorld) actor(ref string) *directory.Actor {
	return &directory.Actor{User: w.d.Index().User(gh.UserID(w.ids[ref]))}
}

// whatIf runs ops and checks that it wrote nothing: same revision in the
// store and the index, same index, no event.
func (w *whatIfWorld) whatIf(t *testing.T, store gh.Store, a *directory.Actor, ops ...directory.BatchOp) (*directory.Impact, error) {
	t.Helper()
	ctx := context.Background()
	head, _ := store.Head(ctx)
	rev, digest := w.d.Index().Revision(), w.d.Index().Digest()
	imp, err := w.d.WhatIf(ctx, a, w.o, ops)
	if h, _ := store.Head(ctx); h != head || w.d.Index().Revision() != rev || w.d.Index().Digest() != digest {
		t.Errorf("WhatIf changed the directory: store head %d → %d, index revision %d → %d", head, h, rev, w.d.Index().Revision())
	}
	if evs, _ := store.EventsAfter(ctx, head, 10); len(evs) != 0 {
		t.Errorf("WhatIf recorded %d events", len(evs))
	}
	return imp, err
}

// rows renders changes as "email workspace capability from→to", in answer order.
func rows(cs []directory.AccessChange) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		ws := "-"
		if c.Workspace != nil {
			ws = c.Workspace.Name
		}
		out = append(out, fmt.Sprintf("%s %s %s %s→%s", c.User.Email, ws, c.Capability, c.From, c.To))
	}
	return out
}

// expect lists, for each email and workspace, every capability of role going from its level to none.
func lossesOf(role *gh.Role, emails []string, workspaces []string) []string {
	var out []string
	for _, e := range emails {
		for _, ws := range workspaces {
			for _, c := range gh.SortedCapabilities(role.Grants) {
				out = append(out, fmt.Sprintf("%s %s %s %s→none", e, ws, c, role.Grants[c]))
			}
		}
	}
	slices.Sort(out)
	return out
}

func sortedRows(cs []directory.AccessChange) []string {
	out := rows(cs)
	slices.Sort(out)
	return out
}

func TestWhatIf(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newWhatIfWorld(t, store)
			x := w.d.Index()
			responder := x.Role(gh.RoleIncidentResponder)
			all := []string{"W1", "W2", "W3"}

			t.Run("removing a member of a group assigned to three workspaces", func(t *testing.T) {
				imp, err := w.whatIf(t, store, w.admin, op("delete", "membership", "", "", w.ids["soc"],
					`{"member":{"type":"user","id":"`+w.ids["nina"]+`"}}`))
				if err != nil {
					t.Fatalf("WhatIf = %v", err)
				}
				want := lossesOf(responder, []string{"nina@acme.example"}, all)
				if got := rows(imp.Losses); !slices.Equal(got, want) {
					t.Errorf("losses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if len(imp.Gains) != 0 || imp.UsersAffected != 1 || imp.Truncated || len(imp.Results) != 1 {
					t.Errorf("gains %v, users affected %d, truncated %v, results %v; want none, 1, false, one result",
						imp.Gains, imp.UsersAffected, imp.Truncated, imp.Results)
				}
				if x.Membership(gh.GroupID(w.ids["soc"]), gh.UserPrincipal(gh.UserID(w.ids["nina"]))) == nil {
					t.Error("nina is no longer in SOC after a what-if")
				}
			})

			t.Run("a nested group", func(t *testing.T) {
				imp, err := w.whatIf(t, store, w.admin, op("delete", "membership", "", "", w.ids["soc"],
					`{"member":{"type":"group","id":"`+w.ids["tier2"]+`"}}`))
				if err != nil {
					t.Fatalf("WhatIf = %v", err)
				}
				if got, want := rows(imp.Losses), lossesOf(responder, []string{"tom@acme.example"}, all); !slices.Equal(got, want) {
					t.Errorf("losses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})

			t.Run("suspending a workspace", func(t *testing.T) {
				imp, err := w.whatIf(t, store, w.admin, op("update", "workspace", "", "", "w2", `{"status":"suspended"}`))
				if err != nil {
					t.Fatalf("WhatIf = %v", err)
				}
				emails := []string{"nina@acme.example", "omar@acme.example", "tom@acme.example"}
				if got, want := rows(imp.Losses), lossesOf(responder, emails, []string{"W2"}); !slices.Equal(got, want) {
					t.Errorf("losses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if imp.UsersAffected != 3 {
					t.Errorf("users affected = %d, want 3", imp.UsersAffected)
				}
			})

			t.Run("deleting a role with its assignments", func(t *testing.T) {
				viewer := x.Role(gh.RoleID(w.ids["viewer"]))
				var ops []directory.BatchOp
				for _, as := range x.AssignmentsWithRole(w.o.ID, viewer.ID) {
					ops = append(ops, op("delete", "assignment", "", "w1", string(as.ID), ""))
				}
				ops = append(ops, op("delete", "role", "", "w1", string(viewer.ID), ""))
				imp, err := w.whatIf(t, store, w.admin, ops...)
				if err != nil {
					t.Fatalf("WhatIf = %v", err)
				}
				want := lossesOf(viewer, []string{"ana@w1.example", "vic@acme.example"}, []string{"W1"})
				if got := sortedRows(imp.Losses); !slices.Equal(got, want) {
					t.Errorf("losses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if x.Role(viewer.ID) == nil {
					t.Error("the role is gone after a what-if")
				}
				// Alone, the role in use is refused as the batch refuses it.
				_, err = w.whatIf(t, store, w.admin, op("delete", "role", "", "w1", string(viewer.ID), ""))
				var be *directory.BatchError
				if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Err.Code != "role_in_use" {
					t.Errorf("WhatIf of deleting a role in use = %v, want role_in_use for the operation", err)
				}
			})

			t.Run("a gain and an organization role", func(t *testing.T) {
				imp, err := w.whatIf(t, store, w.admin,
					op("update", "user", "", "", w.ids["omar"], `{"org_role":"admin"}`),
					op("create", "assignment", "", "w2", "", `{"principal":{"type":"user","id":"`+w.ids["vic"]+`"},"role":"incident_analyst"}`),
					op("create", "user", "new", "", "", `{"email":"new@acme.example","given_name":"New"}`),
					op("create", "membership", "", "", w.ids["tier2"], `{"member":{"type":"user","id":"$new"}}`),
				)
				if err != nil {
					t.Fatalf("WhatIf = %v", err)
				}
				got := rows(imp.Gains)
				if !slices.ContainsFunc(got, func(r string) bool { return strings.HasPrefix(r, "omar@acme.example - org.users.manage none→full") }) || !slices.ContainsFunc(got, func(r string) bool {
					return strings.HasPrefix(r, "vic@acme.example W2 incidents.view none→full")
				}) || len(imp.Losses) != 0 {
					t.Errorf("gains =\n%s\nlosses %v; want omar's organization capabilities and vic's W2 ones", strings.Join(got, "\n"), imp.Losses)
				}
				// A user the batch creates and puts in Tier 2 gains SOC's role in all three.
				var fresh []string
				for _, r := range got {
					if strings.HasPrefix(r, "new@acme.example ") {
						fresh = append(fresh, r)
					}
				}
				want := []string{"new@acme.example - org.dashboard.view none→full"} // an Organization Member
				for _, ws := range all {
					for _, c := range gh.SortedCapabilities(responder.Grants) {
						want = append(want, fmt.Sprintf("new@acme.example %s %s none→%s", ws, c, responder.Grants[c]))
					}
				}
				if !slices.Equal(fresh, want) || imp.UsersAffected != 3 {
					t.Errorf("the new user's gains =\n%s\nwant\n%s\n(users affected %d, want 3)", strings.Join(fresh, "\n"), strings.Join(want, "\n"), imp.UsersAffected)
				}
			})

			t.Run("a refused operation", func(t *testing.T) {
				// nina is an Organization Member: she may not suspend a workspace.
				imp, err := w.whatIf(t, store, w.actor("nina"), op("update", "workspace", "", "", "w2", `{"status":"suspended"}`))
				var be *directory.BatchError
				if imp != nil || !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Index != 0 {
					t.Fatalf("WhatIf by a member = %+v, %v; want the operation refused and no impact", imp, err)
				}
				_, _, dryErr := w.d.ApplyBatch(context.Background(), w.actor("nina"), w.o, "bat_dry",
					[]directory.BatchOp{op("update", "workspace", "", "", "w2", `{"status":"suspended"}`)}, true, nil)
				var dry *directory.BatchError
				if !errors.As(dryErr, &dry) || dry.Failed[0].Err.Code != be.Failed[0].Err.Code || dry.Failed[0].Err.Message != be.Failed[0].Err.Message {
					t.Errorf("WhatIf refused %v, the batch's dry run %v; want the same", be.Failed[0].Err, dryErr)
				}
			})

			t.Run("a workspace admin sees only what it may see", func(t *testing.T) {
				// Narrowing W1 viewer costs ana (w1's own) and vic (an org
				// user reached through a group). W1's own admin sees ana only.
				narrow := op("update", "role", "", "w1", w.ids["viewer"], `{"grants":{"incidents.view":"full"}}`)
				imp, err := w.whatIf(t, store, w.actor("it"), narrow)
				if err != nil {
					t.Fatalf("WhatIf by w1's admin = %v", err)
				}
				for _, c := range imp.Losses {
					if c.User.Email != "ana@w1.example" || c.Workspace == nil || c.Workspace.Name != "W1" {
						t.Errorf("w1's admin sees the loss %s %v, want only ana's in W1", c.User.Email, c.Workspace)
					}
				}
				if len(imp.Losses) == 0 || imp.UsersAffected != 1 {
					t.Errorf("w1's admin sees %d losses of %d users, want ana's", len(imp.Losses), imp.UsersAffected)
				}
				byAdmin, err := w.whatIf(t, store, w.admin, narrow)
				if err != nil || byAdmin.UsersAffected != 2 || len(byAdmin.Losses) != 2*len(imp.Losses) {
					t.Errorf("the Org Admin sees %d losses of %d users (%v), want ana's and vic's", len(byAdmin.Losses), byAdmin.UsersAffected, err)
				}
			})
		})
	}
}
