package http_test

import (
	"context"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestConnectedDirectoryManagesItsPeople: an Org Admin connects a SCIM
// directory (the answer carries its first token, once); what the directory
// provisions is read-only to the admin — attributes and the membership of
// its groups — except that the admin may still disable a managed account,
// and roles and other groups stay Gatehouse's. Disconnecting the directory
// hands its people back. A customer admin never sees the partner's
// directory, and tokens are minted, listed without secrets, and revoked.
func TestConnectedDirectoryManagesItsPeople(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		x := e.must(admin, "POST", org+"/directories", obj{"type": "scim", "name": "Entra provisioning"}, 201)
		id := x.str("id")
		if x.str("token") == "" || x.str("scim_base_url") == "" {
			t.Fatalf("new SCIM directory = %v, want its token and SCIM base URL", x)
		}
		if got := e.must(admin, "GET", org+"/directories/"+id, nil, 200); got.str("token") != "" {
			t.Fatalf("the token is shown again: %v", got)
		}
		second := e.must(admin, "POST", org+"/directories/"+id+"/tokens", nil, 201)
		if toks := e.must(admin, "GET", org+"/directories/"+id+"/tokens", nil, 200).list("items"); len(toks) != 2 {
			t.Fatalf("tokens = %v, want two that overlap", toks)
		}
		ctx := context.Background()
		xd, err := e.dir.DirectoryForToken(ctx, second.str("token"))
		if err != nil || string(xd.ID) != id {
			t.Fatalf("the second token finds %v, %v", xd, err)
		}
		e.must(admin, "DELETE", org+"/directories/"+id+"/tokens/"+second.str("id"), nil, 200)
		if _, err := e.dir.DirectoryForToken(ctx, second.str("token")); gh.KindOf(err) != gh.KindUnauthenticated {
			t.Fatalf("a revoked token still works: %v", err)
		}

		// The directory provisions a person and a group.
		as := directory.DirectoryActor(xd, gh.Source{Via: "test"})
		u, _, err := e.dir.ProvisionUser(ctx, as, xd, directory.ProvisionInput{ExternalID: "e-1", Email: "pat@acme.example", GivenName: "Pat", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := e.dir.ProvisionGroup(ctx, as, xd, "g-1", "Entra SOC", []gh.UserID{u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if evs := e.events(admin, org, "user.create"); len(evs) == 0 || evs[0].str("actor.type") != "directory" || evs[0].str("actor.directory_id") != id {
			t.Fatalf("user.create events = %v, want the directory's", evs)
		}

		hist := e.must(admin, "GET", org+"/directories/"+id+"/history", nil, 200).list("items")
		if len(hist) == 0 || obj(hist[0].(map[string]any)).str("actor.directory_id") != id {
			t.Fatalf("history = %v, want the directory's own changes first", hist)
		}
		if v := e.must(admin, "GET", org+"/events/verify", nil, 200); v.get("ok") != true {
			t.Fatalf("the chain with a directory's events = %v", v)
		}

		// Read-only to the admin, except disabling and Gatehouse's own things.
		code, out, _ := e.call(admin, "PATCH", org+"/users/"+string(u.ID), obj{"given_name": "Patricia"})
		if code != 409 || out.str("code") != "managed_by_directory" {
			t.Fatalf("renaming a provisioned user = %d %v, want 409 managed_by_directory", code, out)
		}
		other := e.user(admin, org, "other@acme.example")
		code, out, _ = e.call(admin, "POST", org+"/groups/"+string(g.ID)+"/members", obj{"member": obj{"type": "user", "id": other}})
		if code != 409 || out.str("code") != "managed_by_directory" {
			t.Fatalf("adding to a provisioned group = %d %v, want 409", code, out)
		}
		code, _, _ = e.call(admin, "DELETE", org+"/groups/"+string(g.ID), nil)
		if code != 409 {
			t.Fatalf("deleting a provisioned group = %d, want 409", code)
		}
		mine := e.create(admin, org+"/groups", obj{"name": "Gatehouse's own"})
		e.addMember(admin, org+"/groups/"+mine, "user", string(u.ID))
		e.must(admin, "PATCH", org+"/users/"+string(u.ID), obj{"status": "disabled"}, 200)
		code, _, _ = e.call(admin, "PATCH", org+"/users/"+string(u.ID), obj{"status": "active"})
		if code != 409 {
			t.Fatalf("enabling a provisioned user = %d, want 409 (the directory decides)", code)
		}

		// A customer's admin does not see the partner's directory.
		wsID := e.create(admin, org+"/workspaces", obj{"name": "Customer"})
		cust := e.user(admin, org+"/workspaces/"+wsID, "it@customer.example")
		e.assign(admin, "acme", wsID, "user", cust, "admin")
		ck := e.key("acme", cust)
		if code, _, _ := e.call(ck, "GET", org+"/workspaces/"+wsID+"/directories/"+id, nil); code != 404 {
			t.Fatalf("the partner's directory from the customer's scope = %d, want 404", code)
		}
		if items := e.must(ck, "GET", org+"/workspaces/"+wsID+"/directories", nil, 200).list("items"); len(items) != 0 {
			t.Fatalf("the customer lists %v", items)
		}

		// Disconnected, the directory's people are the home's own again.
		e.must(admin, "DELETE", org+"/directories/"+id, nil, 200)
		e.must(admin, "PATCH", org+"/users/"+string(u.ID), obj{"given_name": "Patricia", "status": "active"}, 200)
		if _, err := e.dir.DirectoryForToken(ctx, x.str("token")); gh.KindOf(err) != gh.KindUnauthenticated {
			t.Fatalf("a disconnected directory's token still works: %v", err)
		}
	})
}
