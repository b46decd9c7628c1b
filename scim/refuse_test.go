package scim_test

import (
	"net/http"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// Refused requests answer SCIM errors and change nothing.
func TestRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		uid := e.must(e.token, "POST", "/Users", `{"userName": "ann@acme.test", "name": {"givenName": "Ann"}}`, http.StatusCreated).str("id")
		gid := e.must(e.token, "POST", "/Groups", `{"displayName": "Staff", "members": [{"value": "`+uid+`"}]}`, http.StatusCreated).str("id")
		wuid := e.must(e.wsTok, "POST", "/Users", `{"userName": "wes@blue.test", "name": {"givenName": "Wes"}}`, http.StatusCreated).str("id")
		wgid := e.must(e.wsTok, "POST", "/Groups", `{"displayName": "Blue staff"}`, http.StatusCreated).str("id")
		before := e.state()

		tests := []struct {
			name, token, method, path, body string
			status                          int
			scimType                        string
		}{
			{"malformed JSON", e.token, "POST", "/Users", `{"userName": "x@acme.test",`, 400, "invalidSyntax"},
			{"JSON of the wrong shape", e.token, "POST", "/Users", `{"userName": ["x"]}`, 400, "invalidSyntax"},
			{"two JSON values", e.token, "POST", "/Users", `{"userName": "x@acme.test", "name": {"givenName": "X"}} {}`, 400, "invalidSyntax"},
			{"bad boolean in a body", e.token, "POST", "/Users", `{"userName": "x@acme.test", "active": "maybe"}`, 400, "invalidValue"},
			{"no userName", e.token, "POST", "/Users", `{"name": {"givenName": "X"}}`, 400, "invalidValue"},
			{"not an email", e.token, "POST", "/Users", `{"userName": "not-an-email", "emails": [{"value": "nope"}]}`, 400, "invalidValue"},
			{"email taken", e.token, "POST", "/Users", `{"userName": "ANN@acme.test", "name": {"givenName": "Ann"}}`, 409, "uniqueness"},
			{"email taken by the admin", e.token, "POST", "/Users", `{"userName": "admin@acme.test", "name": {"givenName": "A"}}`, 409, "uniqueness"},
			{"group name taken", e.token, "POST", "/Groups", `{"displayName": "staff"}`, 409, "uniqueness"},
			{"bad boolean", e.token, "PATCH", "/Users/" + uid, `{"Operations": [{"op": "Replace", "path": "active", "value": "maybe"}]}`, 400, "invalidValue"},
			{"unknown op", e.token, "PATCH", "/Users/" + uid, `{"Operations": [{"op": "Move", "path": "active", "value": true}]}`, 400, "invalidSyntax"},
			{"bad path", e.token, "PATCH", "/Users/" + uid, `{"Operations": [{"op": "Replace", "path": "emails[type eq", "value": "x"}]}`, 400, "invalidPath"},
			{"no operations", e.token, "PATCH", "/Users/" + uid, `{"Operations": []}`, 400, "invalidSyntax"},
			{"bad filter", e.token, "GET", filter("Users", `userName eq "x" and`), "", 400, "invalidFilter"},
			{"unknown attribute in filter", e.token, "GET", filter("Users", `roles eq "admin"`), "", 400, "invalidFilter"},
			{"unknown member", e.token, "PATCH", "/Groups/" + gid, `{"Operations": [{"op": "Add", "path": "members", "value": [{"value": "usr_nobody"}]}]}`, 400, "invalidValue"},
			{"wrong token", "ghs_not-a-token", "GET", "/Users", "", 401, ""},
			{"token of no kind", "abc", "GET", "/Users/" + uid, "", 401, ""},
			{"no token", "", "POST", "/Users", `{"userName": "y@acme.test", "name": {"givenName": "Y"}}`, 401, ""},
			{"unknown user", e.token, "GET", "/Users/usr_nobody", "", 404, ""},
			{"unknown endpoint", e.token, "GET", "/Bulk", "", 404, ""},
			// Another directory's token sees none of this one's objects.
			{"other directory's user", e.wsTok, "GET", "/Users/" + uid, "", 404, ""},
			{"other directory's user, PUT", e.wsTok, "PUT", "/Users/" + uid, `{"userName": "ann@acme.test", "name": {"givenName": "Eve"}}`, 404, ""},
			{"other directory's user, PATCH", e.wsTok, "PATCH", "/Users/" + uid, `{"Operations": [{"op": "Replace", "path": "active", "value": false}]}`, 404, ""},
			{"other directory's user, DELETE", e.wsTok, "DELETE", "/Users/" + uid, "", 404, ""},
			{"other directory's group", e.wsTok, "GET", "/Groups/" + gid, "", 404, ""},
			{"other directory's group, PATCH", e.wsTok, "PATCH", "/Groups/" + gid, `{"Operations": [{"op": "Remove", "path": "members"}]}`, 404, ""},
			{"other directory's group, DELETE", e.wsTok, "DELETE", "/Groups/" + gid, "", 404, ""},
			{"the organization's admin is no directory's", e.token, "GET", "/Users/" + string(e.adminID()), "", 404, ""},
			// A workspace's directory groups its own people only.
			{"organization user into a workspace group", e.wsTok, "PATCH", "/Groups/" + wgid, `{"Operations": [{"op": "Add", "path": "members", "value": [{"value": "` + uid + `"}]}]}`, 400, "invalidValue"},
			{"organization user in a new workspace group", e.wsTok, "POST", "/Groups", `{"displayName": "Mixed", "members": [{"value": "` + wuid + `"}, {"value": "` + uid + `"}]}`, 400, "invalidValue"},
			{"organization user by PUT", e.wsTok, "PUT", "/Groups/" + wgid, `{"displayName": "Blue staff", "members": [{"value": "` + uid + `"}]}`, 400, "invalidValue"},
			{"too large", e.token, "POST", "/Users", `{"userName": "big@acme.test", "title": "` + strings.Repeat("x", 1<<20) + `"}`, 413, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := e.call(tt.token, tt.method, tt.path, tt.body)
				if a.status != tt.status || a.body.str("scimType") != tt.scimType || a.body.str("status") != itoa(tt.status) {
					t.Fatalf("%s %s = %d %v, want %d %q", tt.method, tt.path, a.status, a.body, tt.status, tt.scimType)
				}
				if a.status == 401 && a.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("401 without WWW-Authenticate")
				}
				e.unchanged(before, tt.name)
			})
		}

		if got := e.must(e.wsTok, "GET", "/Users", "", http.StatusOK); got.num("totalResults") != 1 || got.str("Resources.0.id") != wuid {
			t.Fatalf("the workspace directory lists %v, want its own user only", got)
		}
		if got := e.must(e.wsTok, "GET", filter("Users", `userName eq "ann@acme.test"`), "", http.StatusOK); got.num("totalResults") != 0 {
			t.Fatalf("the workspace directory finds %v, want nothing", got)
		}
		if got := e.must(e.wsTok, "GET", "/Groups", "", http.StatusOK); got.num("totalResults") != 1 || got.str("Resources.0.id") != wgid {
			t.Fatalf("the workspace directory lists groups %v, want its own only", got)
		}
		if ms := e.must(e.token, "GET", "/Groups/"+gid, "", http.StatusOK).list("members"); len(ms) != 1 {
			t.Fatalf("the organization's group has members %v after refusals", ms)
		}
	})
}

func (e *env) adminID() gh.UserID {
	u := e.dir.Index().UserByEmail(gh.Home{Org: e.org.ID}, "admin@acme.test")
	if u == nil {
		e.t.Fatal("no admin")
	}
	return u.ID
}

// A provisioned change is the directory's event, made over SCIM.
func TestAudit(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		uid := e.must(e.token, "POST", "/Users", `{"userName": "ann@acme.test", "name": {"givenName": "Ann"}}`, http.StatusCreated).str("id")
		e.must(e.token, "PATCH", "/Users/"+uid, `{"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`, http.StatusOK)
		var create, disable *gh.Event
		for _, ev := range e.events() {
			if ev.Target.ID != uid {
				continue
			}
			switch {
			case ev.Action == "user.create":
				create = ev
			case create == nil && disable == nil:
				disable = ev // newest first: the PATCH
			}
		}
		for name, ev := range map[string]*gh.Event{"create": create, "disable": disable} {
			if ev == nil {
				t.Fatalf("no %s event for %s", name, uid)
			}
			if ev.Actor.Type != gh.ActorDirectory || ev.Actor.Directory != e.orgDir.ID || ev.Source.Via != "scim" || ev.Source.RequestID == "" {
				t.Fatalf("%s event: actor %+v source %+v, want the directory %s over scim with a request id", name, ev.Actor, ev.Source, e.orgDir.ID)
			}
		}
	})
}

// The discovery endpoints answer, and only to a directory.
func TestDiscovery(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		cfg := e.must(e.token, "GET", "/ServiceProviderConfig", "", http.StatusOK)
		if cfg.get("patch.supported") != true || cfg.get("filter.supported") != true || cfg.get("bulk.supported") != false {
			t.Fatalf("ServiceProviderConfig = %v", cfg)
		}
		if got := e.must(e.token, "GET", "/ResourceTypes", "", http.StatusOK); got.num("totalResults") != 2 {
			t.Fatalf("ResourceTypes = %v", got)
		}
		if got := e.must(e.token, "GET", "/Schemas", "", http.StatusOK); got.num("totalResults") != 3 {
			t.Fatalf("Schemas = %v", got)
		}
		e.refused("", "GET", "/Schemas", "", http.StatusUnauthorized, "")
	})
}
