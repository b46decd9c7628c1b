package scim_test

import (
	"net/http"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// The requests below are those Microsoft Entra ID documents for its SCIM
// provisioning ("Tutorial: Develop and plan provisioning for a SCIM
// endpoint", user and group operations), with their capitalised ops,
// string booleans and members given by value arrays.

func TestEntraUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com"
		find := filter("Users", `userName eq "`+userName+`"`)
		list := e.must(e.token, "GET", find, "", http.StatusOK)
		if list.num("totalResults") != 0 || list.num("itemsPerPage") != 0 || list.num("startIndex") != 1 || list.get("totalResults") == nil {
			t.Fatalf("filter before create = %v, want zero results with their numbers", list)
		}
		u := e.must(e.token, "POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "`+userName+`",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"roles": []
		}`, http.StatusCreated)
		id := u.str("id")
		if u.str("userName") != strings.ToLower(userName) && u.str("userName") != userName {
			t.Fatalf("userName = %q, want %q", u.str("userName"), userName)
		}
		if u.str("externalId") != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" || u.get("active") != true || u.str("name.givenName") != "givenName" {
			t.Fatalf("created user = %v", u)
		}
		if u.str("meta.resourceType") != "User" || !strings.HasSuffix(u.str("meta.location"), "/scim/v2/Users/"+id) ||
			!strings.HasPrefix(u.str("meta.version"), `W/"`) || u.str("meta.created") == "" {
			t.Fatalf("meta = %v", u.get("meta"))
		}
		if got := e.must(e.token, "GET", find, "", http.StatusOK); got.num("totalResults") != 1 || got.str("Resources.0.id") != id {
			t.Fatalf("filter after create = %v, want the user", got)
		}
		if got := e.must(e.token, "GET", filter("Users", `userName eq "non-existent user"`), "", http.StatusOK); got.num("totalResults") != 0 {
			t.Fatalf("filter on no one = %v", got)
		}
		e.must(e.token, "GET", "/Users/"+id, "", http.StatusOK)

		u = e.must(e.token, "PATCH", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [
				{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
				{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
				{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "someone"},
				{"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond"},
				{"op": "Replace", "value": {"name.givenName": "Grace", "title": "Engineer",
					"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Research"}}
			]
		}`, http.StatusOK)
		if u.str("name.familyName") != "updatedFamilyName" || u.str("name.givenName") != "Grace" || u.str("title") != "Engineer" ||
			ext(u).str("department") != "Research" {
			t.Fatalf("patched user = %v", u)
		}
		if got := e.user(id); got.Department != "Research" || got.JobTitle != "Engineer" {
			t.Fatalf("stored user = %+v", got)
		}

		u = e.must(e.token, "PATCH", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "active", "value": "False"}]
		}`, http.StatusOK)
		if u.get("active") != false || e.user(id).Status != gh.StatusDisabled {
			t.Fatalf("after active False: %v, status %s", u.get("active"), e.user(id).Status)
		}
		u = e.must(e.token, "PATCH", "/Users/"+id, `{"Operations": [{"op": "Replace", "path": "active", "value": "True"}]}`, http.StatusOK)
		if u.get("active") != true {
			t.Fatalf("after active True: %v", u.get("active"))
		}

		e.must(e.token, "DELETE", "/Users/"+id, "", http.StatusNoContent)
		e.refused(e.token, "GET", "/Users/"+id, "", http.StatusNotFound, "")
		if got := e.must(e.token, "GET", find, "", http.StatusOK); got.num("totalResults") != 0 {
			t.Fatalf("filter after delete = %v", got)
		}
	})
}

func TestEntraGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		uid := e.must(e.token, "POST", "/Users", `{"userName": "member@acme.test", "name": {"givenName": "Mem", "familyName": "Ber"}, "active": true}`, http.StatusCreated).str("id")
		g := e.must(e.token, "POST", "/Groups", `{
			"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
			"displayName": "Group1920",
			"meta": {"resourceType": "Group"},
			"members": [],
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]
		}`, http.StatusCreated)
		gid := g.str("id")
		if g.str("displayName") != "Group1920" || g.str("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" || g.str("meta.resourceType") != "Group" {
			t.Fatalf("created group = %v", g)
		}
		got := e.must(e.token, "GET", "/Groups/"+gid+"?excludedAttributes=members", "", http.StatusOK)
		if _, ok := got["members"]; ok || got.str("displayName") != "Group1920" {
			t.Fatalf("group without members = %v", got)
		}
		list := e.must(e.token, "GET", filter("Groups", `displayName eq "Group1920"`, "excludedAttributes=members"), "", http.StatusOK)
		if list.num("totalResults") != 1 || list.get("Resources.0.members") != nil {
			t.Fatalf("group by name = %v", list)
		}

		e.must(e.token, "PATCH", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+uid+`"}]}]
		}`, http.StatusOK)
		got = e.must(e.token, "GET", "/Groups/"+gid, "", http.StatusOK)
		if ms := got.list("members"); len(ms) != 1 || got.str("members.0.value") != uid {
			t.Fatalf("members after add = %v", got.get("members"))
		}
		if got := e.must(e.token, "GET", filter("Groups", `members[value eq "`+uid+`"]`), "", http.StatusOK); got.num("totalResults") != 1 {
			t.Fatalf("groups of the member = %v", got)
		}

		e.must(e.token, "PATCH", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+uid+`"}]}]
		}`, http.StatusOK)
		got = e.must(e.token, "GET", "/Groups/"+gid, "", http.StatusOK)
		if ms := got.list("members"); len(ms) != 0 {
			t.Fatalf("members after remove = %v", ms)
		}

		g = e.must(e.token, "PATCH", "/Groups/"+gid, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]
		}`, http.StatusOK)
		if g.str("displayName") != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
			t.Fatalf("renamed group = %v", g)
		}
		e.must(e.token, "DELETE", "/Groups/"+gid, "", http.StatusNoContent)
		e.refused(e.token, "GET", "/Groups/"+gid, "", http.StatusNotFound, "")
	})
}
