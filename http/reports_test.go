package http_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// reportWorld is acme with a customer admin (ca) and worker (cw) in alpha,
// a user of beta, and a partner analyst (Nina) assigned to alpha through
// SOC Tier 1. cw signs in twice and fails once; the admin changes cw.
type reportWorld struct {
	*partner
	ca, caKey, cw, beta, nina string
}

func newReportWorld(t *testing.T, e *env) *reportWorld {
	p := newPartner(t, e)
	w := &reportWorld{partner: p}
	w.ca = p.user(p.admin, org+"/workspaces/alpha", "it@customer.example")
	p.assign(p.admin, "acme", "alpha", "user", w.ca, "admin")
	w.caKey = p.key("acme", w.ca)
	w.cw = p.create(p.admin, org+"/workspaces/alpha/users", obj{"email": "cw@customer.example", "given_name": "=HYPERLINK(1)", "family_name": "Worker"})
	p.must(p.admin, "POST", org+"/workspaces/alpha/users/"+w.cw+"/password", obj{"password": pwOne}, 200)
	w.beta = p.user(p.admin, org+"/workspaces/beta", "bx@other.example")
	w.nina = p.create(p.admin, org+"/users", obj{"email": "nina@acme.example", "given_name": "Nina", "family_name": "Berg"})
	p.must(p.admin, "POST", org+"/users/"+w.nina+"/password", obj{"password": pwOne}, 200)
	p.addMember(p.admin, org+"/groups/"+p.t1, "user", w.nina)
	p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")

	b := e.browser("cw")
	b.mustLogin("acme", "cw@customer.example", pwOne)
	if got, _, _ := b.login("acme", "cw@customer.example", "wrong-password-1"); got != 401 {
		t.Fatalf("wrong password = %d, want 401", got)
	}
	e.breathe()
	b.mustLogin("acme", "cw@customer.example", pwOne)
	e.browser("nina").mustLogin("acme", "nina@acme.example", pwOne)
	p.must(p.admin, "PATCH", org+"/workspaces/alpha/users/"+w.cw, obj{"department": "Finance"}, 200)
	return w
}

func names(items []any, field string) []string {
	var out []string
	for _, it := range items {
		out = append(out, obj(it.(map[string]any)).str(field))
	}
	slices.Sort(out)
	return out
}

// A user's report counts its sign-ins and lists the changes made to it, the
// same from the organization and from the customer's own admin.
func TestUserReportAfterSignInsAndChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		for _, c := range []struct{ who, key, path, by string }{
			{"org admin", w.admin, org, "admin@acme.example"},
			{"customer admin", w.caKey, org + "/workspaces/alpha", "Ada Admin <admin@acme.example>"},
		} {
			rep := w.must(c.key, "GET", c.path+"/reports/users/"+w.cw, nil, 200)
			if rep.num("sign_ins") != 2 || rep.num("sign_in_failures") != 1 || rep.str("last_sign_in") == "" {
				t.Errorf("%s: sign-ins %v, failures %v, last %q; want 2, 1 and a time", c.who, rep.get("sign_ins"), rep.get("sign_in_failures"), rep.str("last_sign_in"))
			}
			changes := rep.list("changes")
			if len(changes) == 0 || obj(changes[0].(map[string]any)).str("action") != "user.update" || obj(changes[0].(map[string]any)).str("by") != c.by {
				t.Errorf("%s: newest change = %v, want user.update by %s", c.who, changes, c.by)
			}
		}
		// The customer admin's own key and changes.
		w.create(w.caKey, org+"/workspaces/alpha/groups", obj{"name": "Customer IT"})
		rep := w.must(w.caKey, "GET", org+"/workspaces/alpha/reports/users/it@customer.example", nil, 200)
		if got := names(rep.list("keys"), "name"); fmt.Sprint(got) != "[test]" {
			t.Errorf("keys = %v, want [test]", got)
		}
		if ch := obj(rep.list("changes")[0].(map[string]any)); ch.str("action") != "group.create" || ch.get("by_user") != true {
			t.Errorf("the customer admin's newest change = %v, want its group.create", ch)
		}
		if rep.str("last_sign_in") != "" {
			t.Errorf("a user who only used a key has last sign-in %q, want none", rep.str("last_sign_in"))
		}
	})
}

// A customer admin reports only on its own workspace's people: another
// workspace's user, a partner analyst and an id never issued answer alike.
func TestReportsKeepToTheCustomersWorkspace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		alpha := org + "/workspaces/alpha"
		absent := w.refused(w.caKey, "GET", alpha+"/reports/users/usr_00000000000000000000000000", nil, 404, "user_not_found")
		for _, id := range []string{w.beta, w.nina, "bx@other.example"} {
			if out := w.refused(w.caKey, "GET", alpha+"/reports/users/"+id, nil, 404, "user_not_found"); out.str("detail") != absent.str("detail") {
				t.Errorf("hidden user %s answers %v, a never-issued one %v", id, out, absent)
			}
		}
		for _, path := range []string{org + "/workspaces/beta/reports/workspace", org + "/workspaces/beta/reports/users/" + w.beta,
			org + "/workspaces/beta/reports/inactive?days=30", org + "/workspaces/nope/reports/workspace"} {
			w.refused(w.caKey, "GET", path, nil, 404, "workspace_not_found")
		}
		w.refused(w.caKey, "GET", org+"/reports/inactive?days=30", nil, 403, "forbidden")
		w.refused(w.caKey, "GET", org+"/reports/users/"+w.beta, nil, 403, "forbidden")

		// Partner staff: named as the organization chose, never with an address.
		for _, c := range []struct{ setting, name string }{
			{"name_email", "Nina Berg <nina@acme.example>"}, {"org", "acme Security"},
		} {
			w.must(w.admin, "PATCH", org, obj{"partner_staff_shown_as": c.setting}, 200)
			rep := w.must(w.caKey, "GET", alpha+"/reports/workspace", nil, 200)
			var nina obj
			for _, it := range rep.list("roles") {
				if h := obj(it.(map[string]any)); h.str("via") == "SOC Tier 1" || h.str("via") == "acme Security" {
					nina = h
				}
			}
			if nina == nil || nina.str("user.name") != c.name || nina.str("user.email") != "" || nina.str("role") != "Incident Analyst" {
				t.Errorf("%s: the partner analyst's holding = %v, want %q without an email", c.setting, nina, c.name)
			}
			if c.setting == "org" && nina != nil && nina.str("user.id") != "" {
				t.Errorf("org: the partner analyst's id %q is shown", nina.str("user.id"))
			}
			if got := names(rep.list("sign_ins"), "user.email"); fmt.Sprint(got) != "[cw@customer.example]" {
				t.Errorf("%s: the customer sees sign-ins of %v, want only its worker's", c.setting, got)
			}
			if raw := e.raw(w.caKey, alpha+"/reports/workspace"); strings.Contains(raw, "127.0.0.1") {
				t.Errorf("the customer's report holds an address: %s", raw)
			}
		}
		rep := w.must(w.admin, "GET", alpha+"/reports/workspace", nil, 200)
		if got := names(rep.list("sign_ins"), "user.email"); fmt.Sprint(got) != "[cw@customer.example nina@acme.example]" {
			t.Errorf("the org admin sees sign-ins of %v, want the worker's and the analyst's", got)
		}
	})
}

// Bad report input answers 400 with the field.
func TestReportsRefuseBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		for _, c := range []struct{ path, field string }{
			{org + "/reports/inactive", "days"},
			{org + "/reports/inactive?days=0", "days"},
			{org + "/reports/inactive?days=ten", "days"},
			{org + "/reports/users/" + w.cw + "?since=2026-02-01&until=2026-01-01", "since"},
			{org + "/reports/users/" + w.cw + "?since=yesterday", "since"},
			{org + "/reports/users/" + w.cw + "?format=xml", "format"},
			{org + "/workspaces/alpha/reports/workspace?since=2020-01-01&until=2026-01-01", "since"},
		} {
			got, out, _ := w.call(w.admin, "GET", c.path, nil)
			if got != 400 || out.str("fields."+c.field) == "" {
				t.Errorf("GET %s = %d %v, want 400 with a message for %s", c.path, got, out, c.field)
			}
		}
	})
}

// Inactive accounts: never signed in counts, a recent sign-in does not; the
// same rule selects users for a bulk preview, and the CSV carries the rows
// with formula cells neutralized.
func TestInactiveReportFeedsBulkPreview(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		w := newReportWorld(t, e)
		e.clock.Advance(40 * 24 * time.Hour)
		w.browser("cw").mustLogin("acme", "cw@customer.example", pwOne)
		alpha := org + "/workspaces/alpha"

		list := w.must(w.caKey, "GET", alpha+"/reports/inactive?days=30", nil, 200).list("items")
		if got := names(list, "user.email"); fmt.Sprint(got) != "[it@customer.example]" {
			t.Errorf("inactive in alpha = %v, want the admin who never signed in", got)
		}
		all := w.must(w.admin, "GET", org+"/reports/inactive?days=30", nil, 200).list("items")
		want := "[admin@acme.example bx@other.example it@customer.example nina@acme.example]"
		if got := names(all, "user.email"); fmt.Sprint(got) != want {
			t.Errorf("inactive in acme = %v, want %s", got, want)
		}
		if n := obj(all[len(all)-1].(map[string]any)); n.str("user.email") != "nina@acme.example" || n.str("last_sign_in") == "" {
			t.Errorf("last row = %v, want Nina (the only one who ever signed in) last, with her sign-in", n)
		}
		if got := names(w.must(w.admin, "GET", org+"/reports/inactive?days=60", nil, 200).list("items"), "user.email"); len(got) != 0 {
			t.Errorf("inactive for 60 days = %v, want none: every account is 40 days old", got)
		}

		before := w.head()
		out := w.bulk(w.admin, org, obj{"inactive_days": 30}, obj{"type": "disable"}, true, 200)
		wantOutcomes(t, "inactive preview", out, map[string]string{"admin@acme.example": "refused last_org_admin",
			"bx@other.example": "would_change", "it@customer.example": "would_change", "nina@acme.example": "would_change"})
		if w.head() != before {
			t.Errorf("a preview changed the directory")
		}
		w.refused(w.admin, "POST", org+"/users/bulk", obj{"select": obj{"inactive_days": -1}, "action": obj{"type": "disable"}, "preview": true}, 400, "invalid_input")
		w.refused(w.admin, "POST", org+"/users/bulk", obj{"select": obj{"inactive_days": 30, "last_sign_in_before": "2026-01-01T00:00:00Z"},
			"action": obj{"type": "disable"}, "preview": true}, 400, "invalid_input")

		rows := e.getCSV(w.admin, org+"/reports/inactive?days=30&format=csv")
		if len(rows) != 5 || strings.Join(rows[0], ",") != "user_id,email,name,workspace_id,status,created_at,last_sign_in" {
			t.Fatalf("inactive CSV = %v, want a header and 4 rows", rows)
		}
		ws := e.getCSV(w.caKey, alpha+"/reports/workspace?format=csv")
		found := false
		for _, r := range ws {
			if r[0] == "sign_in" && r[2] == "cw@customer.example" {
				found = r[3] == "'=HYPERLINK(1) Worker" && r[7] == "1"
			}
		}
		if !found {
			t.Errorf("workspace CSV = %v, want cw's sign-in row with its name neutralized and 1 sign-in", ws)
		}
	})
}
