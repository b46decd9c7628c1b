package http_test

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

// lookupPages follows next_cursor from path in pages of limit and returns
// every item, failing the test on a short page before the end.
func (e *env) lookupPages(key, path string, limit int) []any {
	e.t.Helper()
	var items []any
	cursor := ""
	for range 1000 {
		q := fmt.Sprintf("%s&limit=%d", path, limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		out := e.must(key, "GET", q, nil, 200)
		page := out.list("items")
		items = append(items, page...)
		if cursor = out.str("next_cursor"); cursor == "" {
			return items
		}
		if len(page) != limit {
			e.t.Fatalf("GET %s = a page of %d before the end, want %d", q, len(page), limit)
		}
	}
	e.t.Fatalf("GET %s: pages without end", path)
	return nil
}

// withoutPaths is a lookup's items as they come without ?paths=true.
func withoutPaths(items []any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		m := map[string]any{}
		for k, v := range it.(map[string]any) {
			if k != "paths" {
				m[k] = v
			}
		}
		out[i] = m
	}
	return out
}

// An Org Admin working in 105 workspaces reads the lookups a page at a time:
// 100 by default, without paths unless asked, and the pages add up to the
// whole answer whatever their size.
func TestLookupsAnswerInPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		for i := range 102 {
			e.create(p.admin, org+"/workspaces", obj{"name": fmt.Sprintf("Customer %03d", i)})
		}
		ana := p.user(p.admin, org, "ana@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		// The group reaches alpha and 34 others, every third by id: ids made in
		// one millisecond sort at random, so alpha is named rather than counted on.
		others := 0
		for i, ws := range p.must(p.admin, "GET", org+"/workspaces?limit=1000", nil, 200).list("items") {
			slug := obj(ws.(map[string]any)).str("slug")
			p.assign(p.admin, "acme", slug, "user", p.adminID, "admin")
			if slug == "alpha" || (i%3 == 0 && others < 34) {
				p.assign(p.admin, "acme", slug, "group", p.t1, "incident_analyst")
				if slug != "alpha" {
					others++
				}
			}
		}

		wsPath := "/v1/lookup/workspaces?org=acme&capability=incidents.view&user=" + p.adminID
		first := p.must(p.admin, "GET", wsPath, nil, 200)
		items := first.list("items")
		if len(items) != 100 || first.str("next_cursor") == "" || first.num("revision") == 0 {
			t.Fatalf("first page = %d items, next_cursor %q, revision %d; want 100, a cursor and the revision",
				len(items), first.str("next_cursor"), first.num("revision"))
		}
		for _, it := range items {
			a := obj(it.(map[string]any))
			if a.get("paths") != nil || a.str("workspace_id") == "" || a.str("workspace_name") == "" || a.str("level") != "full" {
				t.Fatalf("an answer without ?paths=true = %v, want the workspace's id, name and level only", a)
			}
		}
		whole := p.must(p.admin, "GET", wsPath+"&paths=true&limit=1000", nil, 200)
		if whole.str("next_cursor") != "" || len(whole.list("items")) != 105 {
			t.Fatalf("limit=1000 = %d items, next_cursor %q; want all 105 and no cursor", len(whole.list("items")), whole.str("next_cursor"))
		}
		for _, it := range whole.list("items") {
			if len(obj(it.(map[string]any)).list("paths")) != 1 {
				t.Fatalf("an answer with ?paths=true = %v, want its one path", it)
			}
		}
		for _, limit := range []int{1, 7, 100} {
			if got, want := p.lookupPages(p.admin, wsPath, limit), withoutPaths(whole.list("items")); !reflect.DeepEqual(got, want) {
				t.Errorf("pages of %d = %v\nwant the whole answer without paths %v", limit, got, want)
			}
		}
		if got := p.lookupPages(p.admin, wsPath+"&paths=true", 8); !reflect.DeepEqual(got, whole.list("items")) {
			t.Errorf("pages of 8 with paths = %v\nwant the whole answer %v", got, whole.list("items"))
		}

		// Ana reaches every third workspace through her group, and sees the chain when she asks.
		anaKey := p.key("acme", ana)
		anaPath := "/v1/lookup/workspaces?org=acme&capability=incidents.view&user=" + ana
		mine := p.lookupPages(anaKey, anaPath+"&paths=true", 10)
		if len(mine) != 35 {
			t.Fatalf("ana's workspaces = %d, want 35", len(mine))
		}
		if path := obj(mine[0].(map[string]any)).str("paths.0.via.0.id"); path != p.t1 {
			t.Errorf("ana's first path goes via %q, want the group %s: %v", path, p.t1, mine[0])
		}

		usersPath := "/v1/lookup/users?org=acme&workspace=alpha&capability=incidents.view"
		users := p.must(p.admin, "GET", usersPath+"&paths=true", nil, 200).list("items")
		if len(users) != 2 {
			t.Fatalf("users of alpha = %v, want the admin and ana", users)
		}
		if got := p.lookupPages(p.admin, usersPath, 1); !reflect.DeepEqual(got, withoutPaths(users)) {
			t.Errorf("users in pages of 1 = %v, want %v", got, withoutPaths(users))
		}
	})
}

// A bad page answers 400 naming the parameter, and paging shows nobody more
// than the unpaged lookup did.
func TestLookupPagesRefuseBadInputAndKeepVisibility(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		ana := p.user(p.admin, org, "ana@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		wsPath := "/v1/lookup/workspaces?org=acme&capability=incidents.view&user=" + ana
		usersPath := "/v1/lookup/users?org=acme&workspace=alpha&capability=incidents.view"
		for _, c := range []struct{ path, field string }{
			{wsPath + "&cursor=garbage", "cursor"},
			{wsPath + "&cursor=" + ana, "cursor"}, // a user's id does not page workspaces
			{usersPath + "&cursor=ws_x", "cursor"},
			{wsPath + "&limit=0", "limit"},
			{wsPath + "&limit=1001", "limit"},
			{usersPath + "&limit=ten", "limit"},
			{wsPath + "&paths=yes", "paths"},
			{usersPath + "&paths=1", "paths"},
		} {
			got, out, _ := p.call(p.admin, "GET", c.path, nil)
			if code := out.str("code"); got != 400 || (code != "invalid_query" && code != "invalid_input") || out.str("fields."+c.field) == "" {
				t.Errorf("GET %s = %d %v, want 400 invalid_query or invalid_input with a message for %s", c.path, got, out, c.field)
			}
		}

		anaKey := p.key("acme", ana)
		_, rivalKey := e.org("rival")
		for _, c := range []struct {
			who, key, path string
			want           int
		}{
			{"ana about herself", anaKey, wsPath + "&limit=1&paths=true", 200},
			{"ana about the admin", anaKey, "/v1/lookup/workspaces?org=acme&capability=incidents.view&limit=1&user=" + p.adminID, 403},
			{"ana asking who is in alpha", anaKey, usersPath + "&limit=1", 403},
			{"another organization's admin about ana", rivalKey, "/v1/lookup/workspaces?capability=incidents.view&limit=1&paths=true&user=" + ana, 404},
			{"another organization's admin about alpha", rivalKey, usersPath + "&limit=1&paths=true", 404},
		} {
			if got, out, _ := p.call(c.key, "GET", c.path, nil); got != c.want {
				t.Errorf("%s: GET %s = %d %v, want %d", c.who, c.path, got, out, c.want)
			}
		}
	})
}
