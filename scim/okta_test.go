package scim_test

import (
	"net/http"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// The requests below are those Okta documents for SCIM 2.0 provisioning
// ("SCIM 2.0 protocol reference"): lookup by userName, create, PUT of the
// whole user, deactivation by a path-less PATCH, group push with members,
// and member removal by a filtered path. Okta provisions the workspace here.

func TestOktaUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		find := filter("Users", `userName eq "isaac.brock@example.com"`, "startIndex=1", "count=100")
		if got := e.must(e.wsTok, "GET", find, "", http.StatusOK); got.num("totalResults") != 0 || got.get("startIndex") == nil {
			t.Fatalf("lookup before create = %v", got)
		}
		u := e.must(e.wsTok, "POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "isaac.brock@example.com",
			"name": {"givenName": "Isaac", "familyName": "Brock"},
			"emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
			"displayName": "Isaac Brock",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true
		}`, http.StatusCreated)
		id := u.str("id")
		if got := e.user(id); got.Workspace != e.ws.ID || got.Managed == nil || got.Managed.Directory != e.wsDir.ID {
			t.Fatalf("stored user = %+v, want a managed user of the workspace", got)
		}
		if got := e.must(e.wsTok, "GET", find, "", http.StatusOK); got.num("totalResults") != 1 || got.num("itemsPerPage") != 1 {
			t.Fatalf("lookup after create = %v", got)
		}

		u = e.must(e.wsTok, "PUT", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "`+id+`",
			"userName": "isaac.brock@example.com",
			"name": {"givenName": "Isaac", "familyName": "Brock-Smith"},
			"emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
			"phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
			"title": "Singer",
			"active": true,
			"externalId": "00ujl29u0le5T6Aj10h7",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Music", "employeeNumber": "42", "manager": {"value": "x"}}
		}`, http.StatusOK)
		if u.str("name.familyName") != "Brock-Smith" || u.str("phoneNumbers.0.value") != "+1 555 0100" || ext(u).str("department") != "Music" {
			t.Fatalf("replaced user = %v", u)
		}

		u = e.must(e.wsTok, "PATCH", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"active": false}}]
		}`, http.StatusOK)
		if u.get("active") != false || e.user(id).Status != gh.StatusDisabled {
			t.Fatalf("after deactivation: %v", u)
		}
	})
}

func TestOktaGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		uid := e.must(e.wsTok, "POST", "/Users", `{"userName": "isaac.brock@example.com", "name": {"givenName": "Isaac", "familyName": "Brock"}, "active": true}`, http.StatusCreated).str("id")
		other := e.must(e.wsTok, "POST", "/Users", `{"userName": "kim@example.com", "name": {"givenName": "Kim"}, "active": true}`, http.StatusCreated).str("id")
		g := e.must(e.wsTok, "POST", "/Groups", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName": "Test SCIMv2",
			"members": [{"value": "`+uid+`", "display": "isaac.brock@example.com"}, {"value": "`+other+`", "display": "kim@example.com"}]
		}`, http.StatusCreated)
		gid := g.str("id")
		if len(g.list("members")) != 2 {
			t.Fatalf("pushed group = %v", g)
		}
		if got := e.must(e.wsTok, "GET", filter("Groups", `displayName eq "Test SCIMv2"`), "", http.StatusOK); got.num("totalResults") != 1 {
			t.Fatalf("group by name = %v", got)
		}

		g = e.must(e.wsTok, "PATCH", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"id": "`+gid+`", "displayName": "Test SCIMv2 renamed"}}]
		}`, http.StatusOK)
		if g.str("displayName") != "Test SCIMv2 renamed" || len(g.list("members")) != 2 {
			t.Fatalf("renamed group = %v", g)
		}

		g = e.must(e.wsTok, "PATCH", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "remove", "path": "members[value eq \"`+uid+`\"]"}]
		}`, http.StatusOK)
		if ms := g.list("members"); len(ms) != 1 || g.str("members.0.value") != other {
			t.Fatalf("members after remove = %v", ms)
		}

		g = e.must(e.wsTok, "PUT", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"id": "`+gid+`",
			"displayName": "Test SCIMv2 renamed",
			"members": [{"value": "`+uid+`"}]
		}`, http.StatusOK)
		if ms := g.list("members"); len(ms) != 1 || g.str("members.0.value") != uid {
			t.Fatalf("members after PUT = %v", ms)
		}
		e.must(e.wsTok, "DELETE", "/Groups/"+gid, "", http.StatusNoContent)
		if got := e.must(e.wsTok, "GET", "/Groups", "", http.StatusOK); got.num("totalResults") != 0 {
			t.Fatalf("groups after delete = %v", got)
		}
	})
}
