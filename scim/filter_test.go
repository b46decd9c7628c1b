package scim_test

import (
	"net/http"
	"testing"
)

func TestFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		for _, body := range []string{
			`{"userName": "ann@x.test", "externalId": "e1", "name": {"givenName": "Ann", "familyName": "Brown"}, "active": true,
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Eng"}}`,
			`{"userName": "bob@x.test", "externalId": "e2", "name": {"givenName": "Bob", "familyName": "Stone"}, "active": false}`,
			`{"userName": "cy@y.test", "externalId": "e3", "name": {"givenName": "Cy", "familyName": "Brody"}, "active": "True"}`,
		} {
			e.must(e.token, "POST", "/Users", body, http.StatusCreated)
		}
		tests := []struct {
			name, filter string
			want         int
		}{
			{"eq", `userName eq "ann@x.test"`, 1},
			{"eq ignores case", `USERNAME eq "ANN@X.TEST"`, 1},
			{"ne", `externalId ne "e1"`, 2},
			{"co", `userName co "@x."`, 2},
			{"sw", `name.familyName sw "Bro"`, 2},
			{"ew", `userName ew "y.test"`, 1},
			{"pr", `externalId pr`, 3},
			{"bool", `active eq false`, 1},
			{"not", `not (active eq true)`, 1},
			{"and", `userName co "x.test" and active eq true`, 1},
			{"or", `externalId eq "e1" or externalId eq "e3"`, 2},
			{"complex", `emails[type eq "work" and value co "@x.test"]`, 2},
			{"emails.value", `emails.value eq "cy@y.test"`, 1},
			{"extension", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "eng"`, 1},
			{"date gt", `meta.lastModified gt "2000-01-01T00:00:00Z"`, 3},
			{"date lt", `meta.lastModified lt "2000-01-01T00:00:00Z"`, 0},
			{"displayName", `displayName eq "Bob Stone"`, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := e.must(e.token, "GET", filter("Users", tt.filter), "", http.StatusOK)
				if got.num("totalResults") != tt.want || len(got.list("Resources")) != tt.want {
					t.Fatalf("filter %s = %d results (%d listed), want %d", tt.filter, got.num("totalResults"), len(got.list("Resources")), tt.want)
				}
			})
		}

		page := e.must(e.token, "GET", "/Users?startIndex=2&count=1", "", http.StatusOK)
		if page.num("totalResults") != 3 || page.num("itemsPerPage") != 1 || page.num("startIndex") != 2 {
			t.Fatalf("page = %v", page)
		}
		if got := e.must(e.token, "GET", "/Users?count=0", "", http.StatusOK); got.num("totalResults") != 3 || len(got.list("Resources")) != 0 {
			t.Fatalf("count=0 = %v", got)
		}

		for _, bad := range []string{`userName eq`, `nickName eq "x"`, `name.middle eq "x"`, `active gt true`, `meta.created gt "yesterday"`} {
			t.Run("refused "+bad, func(t *testing.T) {
				e.refused(e.token, "GET", filter("Users", bad), "", http.StatusBadRequest, "invalidFilter")
			})
		}
		e.refused(e.token, "GET", filter("Groups", `userName eq "x"`), "", http.StatusBadRequest, "invalidFilter")
		e.refused(e.token, "GET", "/Users?count=many", "", http.StatusBadRequest, "invalidValue")
	})
}

// TestLookupFilters covers the filters answered from the index: the same
// answers as testing every resource.
func TestLookupFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.must(e.token, "POST", "/Users", `{"userName": "Ann@X.test", "name": {"givenName": "Ann"}}`, http.StatusCreated)
		e.must(e.wsTok, "POST", "/Users", `{"userName": "dee@x.test", "name": {"givenName": "Dee"}}`, http.StatusCreated)
		e.must(e.token, "POST", "/Groups", `{"displayName": "Sales EMEA"}`, http.StatusCreated)
		e.must(e.wsTok, "POST", "/Groups", `{"displayName": "Support"}`, http.StatusCreated)
		tests := []struct {
			name, token, kind, filter string
			want                      int
		}{
			{"userName, any case", e.token, "Users", `userName eq "ann@x.TEST"`, 1},
			{"userName, core schema URN", e.token, "Users", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann@x.test"`, 1},
			{"userName, absent", e.token, "Users", `userName eq "bob@x.test"`, 0},
			{"userName, another directory's", e.token, "Users", `userName eq "dee@x.test"`, 0},
			{"userName, its own directory", e.wsTok, "Users", `userName eq "DEE@x.test"`, 1},
			{"displayName, any case", e.token, "Groups", `displayName eq "sales emea"`, 1},
			{"displayName, another directory's", e.token, "Groups", `displayName eq "Support"`, 0},
			{"displayName, its own directory", e.wsTok, "Groups", `displayName eq "SUPPORT"`, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := e.must(tt.token, "GET", filter(tt.kind, tt.filter), "", http.StatusOK)
				if got.num("totalResults") != tt.want || len(got.list("Resources")) != tt.want {
					t.Fatalf("filter %s = %d results (%d listed), want %d", tt.filter, got.num("totalResults"), len(got.list("Resources")), tt.want)
				}
			})
		}
	})
}
