package directory_test

import (
	"context"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestSeatsHoldForEveryWayIn: with every seat used, a connected directory's
// new active user, a first single sign-on and a batch's users are refused
// with seats_exhausted and change nothing; invited users still go in.
func TestSeatsHoldForEveryWayIn(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			idx := w.d.Index()
			used := idx.ActiveUsers(w.org.ID, "", true)
			n := used + 1
			op := &directory.Actor{Operator: true}
			o, _, err := w.d.UpdateOrg(w.ctx, op, w.org, directory.OrgPatch{Seats: &n}, 0)
			if err != nil {
				t.Fatal(err)
			}
			exhausted := func(what string, err error) {
				t.Helper()
				if e := gh.AsError(err); err == nil || e.Code != "seats_exhausted" {
					t.Fatalf("%s: %v, want seats_exhausted", what, err)
				}
			}

			// A batch of two when one seat is free: all or nothing.
			before := idx.Revision()
			_, err = w.d.Batch(w.ctx, w.sys, "b1", false, func(ctx context.Context) error {
				for _, e := range []string{"b1@partner.example", "b2@partner.example"} {
					if _, _, err := w.d.CreateUser(ctx, w.sys, directory.Scope{Org: o}, directory.UserInput{Email: e, GivenName: "B"}); err != nil {
						return err
					}
				}
				return nil
			})
			exhausted("a batch past the seats", err)
			if idx.Revision() != before {
				t.Fatal("a refused batch changed the directory")
			}

			// The last seat goes to a directory's user; the next is refused.
			x := w.extDir(t, directory.Scope{Org: o}, "Partner Entra", false)
			a := directory.DirectoryActor(x, gh.Source{Via: "test"})
			if _, _, err := w.d.ProvisionUser(w.ctx, a, x, directory.ProvisionInput{ExternalID: "e1", Email: "p1@partner.example", GivenName: "P", Active: true}); err != nil {
				t.Fatal(err)
			}
			_, _, err = w.d.ProvisionUser(w.ctx, a, x, directory.ProvisionInput{ExternalID: "e2", Email: "p2@partner.example", GivenName: "P", Active: true})
			exhausted("a directory's user past the seats", err)
			if _, _, err := w.d.ProvisionUser(w.ctx, a, x, directory.ProvisionInput{ExternalID: "e3", Email: "p3@partner.example", GivenName: "P"}); err != nil {
				t.Fatalf("an inactive directory user: %v", err)
			}
			_, err = w.federate(w.pAcme, &gh.Assertion{Subject: "n1", Email: "zoe@partner.example", Name: "Zoe Berg"})
			exhausted("a first sign-on past the seats", err)
			if idx.UserByEmail(w.pAcme.Home, "zoe@partner.example") != nil {
				t.Fatal("a refused sign-on made a user")
			}
			if _, _, err := w.d.CreateUser(w.ctx, w.sys, directory.Scope{Org: o}, directory.UserInput{Email: "i@partner.example", GivenName: "I", Status: gh.StatusInvited}); err != nil {
				t.Fatalf("an invited user: %v", err)
			}
			if got := idx.ActiveUsers(w.org.ID, "", true); got != n {
				t.Fatalf("%d active users, want %d", got, n)
			}
		})
	}
}
