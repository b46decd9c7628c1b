package http_test

import (
	"context"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// Audit events name a key by id and name, never by its hash; other nodes,
// which learn keys from the event feed, still recognise them.
func TestKeyHashesStayOutOfTheAuditLog(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		other := directory.New(e.store, engine.New(gh.DefaultCatalogue), nil, nil) // a second node, started now
		if err := other.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)
		made := p.must(caKey, "POST", org+"/users/"+ca+"/keys", obj{"name": "ci"}, 201)
		key, id := made.str("key"), made.str("id")

		places := map[string]string{
			"organization's audit log":   e.raw(p.admin, org+"/events?limit=1000"),
			"customer admin's audit log": e.raw(caKey, org+"/workspaces/alpha/events?limit=1000"),
			"deployment's audit log":     e.raw(p.operator, "/v1/events?limit=1000"),
		}
		if !strings.Contains(places["customer admin's audit log"], id) || !strings.Contains(places["customer admin's audit log"], `"name":"ci"`) {
			t.Fatalf("the customer admin's audit log does not name key %s: %s", id, places["customer admin's audit log"])
		}
		stored, err := e.store.ListEvents(context.Background(), gh.EventFilter{Org: gh.OrgID(p.must(p.admin, "GET", org, nil, 200).str("id")), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		places["events as stored"] = string(gh.MustJSON(stored))
		for where, text := range places {
			for what, secret := range map[string]string{"admin key": p.admin, "customer admin key": caKey, "new key": key, "operator key": p.operator} {
				if strings.Contains(text, gh.HashKey(secret)) {
					t.Errorf("the %s holds the hash of the %s", where, what)
				}
			}
		}

		// The second node learns the key from the feed, and its revocation too.
		if err := other.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Authenticate(key, gh.Source{}); err != nil {
			t.Errorf("another node, following the feed, refuses the new key: %v", err)
		}
		late := directory.New(e.store, engine.New(gh.DefaultCatalogue), nil, nil) // a node started from a snapshot
		if err := late.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := late.Authenticate(key, gh.Source{}); err != nil {
			t.Errorf("a node started later refuses the new key: %v", err)
		}
		p.must(caKey, "DELETE", org+"/users/"+ca+"/keys/"+id, nil, 200)
		if err := other.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Authenticate(key, gh.Source{}); err == nil {
			t.Errorf("another node still accepts the revoked key")
		}
		p.must(key, "GET", "/v1/me", nil, 401)
	})
}
