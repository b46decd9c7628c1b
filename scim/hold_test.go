package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestRemovalsAreHeld: a SCIM client that disables more people in an hour
// than its directory's threshold is held — the next disable answers 503
// and changes nothing, the directory's history says so — while it may
// still create people; once an admin releases the directory, the removal
// the client retries goes through.
func TestRemovalsAreHeld(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		var ids []string
		for i := range 8 {
			u := e.must(e.token, "POST", "/Users", fmt.Sprintf(`{"userName": "p%d@partner.example", "name": {"givenName": "P"}, "active": true}`, i), http.StatusCreated)
			ids = append(ids, u.str("id"))
		}
		limit := directory.RemovalThreshold(8) // 5: a tenth of 8 is below the floor
		disable := `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`
		for _, id := range ids[:limit] {
			e.must(e.token, "PATCH", "/Users/"+id, disable, http.StatusOK)
		}
		before := e.state()
		got := e.call(e.token, "PATCH", "/Users/"+ids[limit], disable)
		if got.status != http.StatusServiceUnavailable {
			t.Fatalf("the removal past the threshold = %d %s, want 503", got.status, got.body)
		}
		if u := e.user(ids[limit]); u.Status != gh.StatusActive {
			t.Fatalf("the held removal disabled %s", u.Email)
		}
		x := e.dir.ExternalDirectory(e.orgDir.ID)
		if !x.Held || e.state() != before+1 || e.events()[0].Action != "directory.held" {
			t.Fatalf("held = %v, last event %s, want the directory held and that one event", x.Held, e.events()[0].Action)
		}
		e.must(e.token, "POST", "/Users", `{"userName": "new@partner.example", "name": {"givenName": "N"}, "active": true}`, http.StatusCreated)
		if _, _, err := e.dir.ReleaseDirectory(context.Background(), directory.SystemActor("test"), directory.Scope{Org: e.org}, x.ID); err != nil {
			t.Fatal(err)
		}
		e.must(e.token, "PATCH", "/Users/"+ids[limit], disable, http.StatusOK)
		if u := e.user(ids[limit]); u.Status != gh.StatusDisabled {
			t.Fatalf("after the release the retried removal left %s %s", u.Email, u.Status)
		}
	})
}
