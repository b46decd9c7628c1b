package directory_test

import (
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestDefaultsReachEveryNewUser sets a workspace's default role and the
// organization's default groups, then creates users every way: by an admin,
// by CSV and by a connected directory. Each gets its defaults, audited as
// such; a role given by the same import wins over the default.
func TestDefaultsReachEveryNewUser(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			staff, _, err := w.d.CreateGroup(w.ctx, w.sys, directory.Scope{Org: w.org}, directory.GroupInput{Name: "Staff"})
			if err != nil {
				t.Fatal(err)
			}
			analyst := "Incident Analyst"
			if _, _, err := w.d.UpdateWorkspace(w.ctx, w.sys, w.acme, directory.WorkspacePatch{DefaultRole: &analyst}, 0); err != nil {
				t.Fatal(err)
			}
			if got := w.d.Index().Workspace(w.acme.ID).DefaultRole; got != gh.RoleIncidentAnalyst {
				t.Fatalf("default role %q, want incident_analyst", got)
			}
			groups := []string{"Staff"}
			if _, _, err := w.d.UpdateOrg(w.ctx, w.sys, w.org, directory.OrgPatch{DefaultGroups: &groups}, 0); err != nil {
				t.Fatal(err)
			}
			org := w.d.Index().Org(w.org.ID)
			w.org = org

			roleOf := func(u gh.UserID) gh.RoleID {
				if as := w.d.Index().AssignmentFor(gh.UserPrincipal(u), w.acme.ID); as != nil {
					return as.Role
				}
				return ""
			}
			audited := func(target, detail string) {
				t.Helper()
				evs, err := store.ListEvents(w.ctx, gh.EventFilter{Org: w.org.ID, Target: target})
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					if ev.Detail == detail {
						return
					}
				}
				t.Fatalf("no event about %s says %q", target, detail)
			}

			u, _, err := w.d.CreateUser(w.ctx, w.sys, w.scope(w.acme), directory.UserInput{Email: "new1@acme.example", GivenName: "N"})
			if err != nil {
				t.Fatal(err)
			}
			if roleOf(u.ID) != gh.RoleIncidentAnalyst {
				t.Fatalf("created user has role %q", roleOf(u.ID))
			}
			audited(string(w.d.Index().AssignmentFor(gh.UserPrincipal(u.ID), w.acme.ID).ID), "default of the workspace")

			ou, _, err := w.d.CreateUser(w.ctx, w.sys, directory.Scope{Org: w.org}, directory.UserInput{Email: "new@partner.example", GivenName: "N"})
			if err != nil {
				t.Fatal(err)
			}
			if w.d.Index().Membership(staff.ID, gh.UserPrincipal(ou.ID)) == nil {
				t.Fatal("org user did not join the default group")
			}
			audited(string(staff.ID), "default of the organization")

			res, err := w.d.ImportUsers(w.ctx, w.sys, w.scope(w.acme), []directory.ImportRow{
				{Line: 2, Email: "csv1@acme.example", GivenName: "N"},
				{Line: 3, Email: "csv2@acme.example", GivenName: "N", Role: "Admin"},
			}, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := roleOf(res.Created[0].ID); got != gh.RoleIncidentAnalyst {
				t.Fatalf("imported user without a role has %q", got)
			}
			if got := roleOf(res.Created[1].ID); got != gh.RoleAdmin {
				t.Fatalf("imported user with a role has %q, want admin only", got)
			}

			x := w.extDir(t, w.scope(w.acme), "Acme Okta", false)
			pu, _, err := w.d.ProvisionUser(w.ctx, directory.DirectoryActor(x, gh.Source{Via: "test"}), x,
				directory.ProvisionInput{ExternalID: "e1", Email: "scim1@acme.example", GivenName: "N"})
			if err != nil {
				t.Fatal(err)
			}
			if roleOf(pu.ID) != gh.RoleIncidentAnalyst {
				t.Fatalf("provisioned user has role %q", roleOf(pu.ID))
			}

			// Defaults in use cannot be deleted from under the workspace or organization.
			if _, err := w.d.DeleteGroup(w.ctx, w.sys, directory.Scope{Org: w.org}, staff.ID, 0); gh.AsError(err).Code != "group_in_use" {
				t.Fatalf("deleting a default group: %v", err)
			}
		})
	}
}

// TestDefaultRoleFollowsWhoMayAssign: a customer's admin who may assign
// roles sets only defaults within its own grants; a bad role or group is a
// field error that changes nothing.
func TestDefaultRoleFollowsWhoMayAssign(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			sc := w.scope(w.acme)
			r, _, err := w.d.CreateRole(w.ctx, w.sys, sc, directory.RoleInput{Name: "Delegate",
				Grants: map[gh.Capability]gh.Level{gh.CapRolesAssign: gh.LevelFull}})
			if err != nil {
				t.Fatal(err)
			}
			u, _, err := w.d.CreateUser(w.ctx, w.sys, sc, directory.UserInput{Email: "lead@acme.example", GivenName: "N"})
			if err != nil {
				t.Fatal(err)
			}
			w.assign(t, w.acme, gh.UserPrincipal(u.ID), r.ID)
			lead := &directory.Actor{User: w.d.Index().User(u.ID)}

			admin := string(gh.RoleAdmin)
			_, _, err = w.d.UpdateWorkspace(w.ctx, lead, w.acme, directory.WorkspacePatch{DefaultRole: &admin}, 0)
			if e := gh.AsError(err); e.Kind != gh.KindForbidden || e.Code != "escalation" {
				t.Fatalf("default above own grants: %v", err)
			}
			bogus := "No Such Role"
			_, _, err = w.d.UpdateWorkspace(w.ctx, lead, w.acme, directory.WorkspacePatch{DefaultRole: &bogus}, 0)
			if e := gh.AsError(err); e.Kind != gh.KindInvalid || e.Fields["default_role"] == "" {
				t.Fatalf("unknown default role: %v", err)
			}
			delegate := "Delegate"
			if _, _, err := w.d.UpdateWorkspace(w.ctx, lead, w.acme, directory.WorkspacePatch{DefaultRole: &delegate}, 0); err != nil {
				t.Fatalf("default within own grants: %v", err)
			}
			name := "Renamed"
			if _, _, err := w.d.UpdateWorkspace(w.ctx, lead, w.acme, directory.WorkspacePatch{Name: &name}, 0); gh.KindOf(err) != gh.KindForbidden {
				t.Fatalf("renaming as a workspace manager: %v", err)
			}
			seats := 1000
			if _, _, err := w.d.UpdateWorkspace(w.ctx, lead, w.acme, directory.WorkspacePatch{DefaultRole: &delegate, Seats: &seats}, 0); gh.KindOf(err) != gh.KindForbidden {
				t.Fatalf("a share of seats set with the default role, as a workspace manager: %v", err)
			}
			if _, err := w.d.DeleteRole(w.ctx, w.sys, sc, r.ID, 0); gh.AsError(err).Code != "role_in_use" {
				t.Fatalf("deleting a default role: %v", err)
			}

			before := w.d.Index().Org(w.org.ID).Revision
			for _, ref := range []string{"Nope", "Acme SOC"} { // unknown; a workspace's group
				groups := []string{ref}
				_, _, err = w.d.UpdateOrg(w.ctx, w.sys, w.org, directory.OrgPatch{DefaultGroups: &groups}, 0)
				if e := gh.AsError(err); e.Kind != gh.KindInvalid || e.Fields["default_groups"] == "" {
					t.Fatalf("default group %q: %v", ref, err)
				}
			}
			if w.d.Index().Org(w.org.ID).Revision != before {
				t.Fatal("a refused default changed the organization")
			}
		})
	}
}
