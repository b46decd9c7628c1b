package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// partner is the fixture of the acceptance scenarios: a partner organization
// with three customer workspaces and three partner groups.
type partner struct {
	*env
	adminID, admin   string // the Org Admin's user id and key
	t1, t2, managers string // org group ids
}

const org = "/v1/orgs/acme"

func newPartner(t *testing.T, e *env) *partner {
	p := &partner{env: e}
	p.adminID, p.admin = e.org("acme")
	for _, ws := range []string{"Alpha", "Beta", "Gamma"} {
		e.create(p.admin, org+"/workspaces", obj{"name": ws})
	}
	p.t1 = e.create(p.admin, org+"/groups", obj{"name": "SOC Tier 1"})
	p.t2 = e.create(p.admin, org+"/groups", obj{"name": "SOC Tier 2"})
	p.managers = e.create(p.admin, org+"/groups", obj{"name": "Managers"})
	return p
}

func (p *partner) allowed(user, ws, capability string, level ...string) bool {
	ok, _ := p.check(p.admin, "acme", user, ws, capability, level...)
	return ok
}

func TestNewAnalystGainsEveryWorkspaceOfTheirGroup(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		p.assign(p.admin, "acme", "beta", "group", p.t1, "Incident Analyst") // by name too
		ana := p.user(p.admin, org, "ana@acme.example")
		if p.allowed(ana, "alpha", "incidents.view") {
			t.Fatalf("before joining the group: allowed in alpha, want denied")
		}
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		for ws, want := range map[string]bool{"alpha": true, "beta": true, "gamma": false} {
			if got := p.allowed("ana@acme.example", ws, "incidents.view"); got != want {
				t.Errorf("check incidents.view in %s = %v, want %v", ws, got, want)
			}
		}
		out := p.must(p.admin, "GET", "/v1/lookup/workspaces?org=acme&user="+ana+"&capability=incidents.view", nil, 200)
		var names []string
		for _, it := range out.list("items") {
			names = append(names, obj(it.(map[string]any)).str("workspace_name"))
		}
		if strings.Join(names, ",") != "Alpha,Beta" && strings.Join(names, ",") != "Beta,Alpha" {
			t.Errorf("lookup workspaces = %v, want Alpha and Beta", names)
		}
	})
}

func TestAnalystVersusResponder(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		p.assign(p.admin, "acme", "alpha", "group", p.t2, "incident_responder")
		ana := p.user(p.admin, org, "ana@acme.example")
		rob := p.user(p.admin, org, "rob@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", rob)
		cases := []struct {
			user, capability string
			want             bool
		}{
			{ana, "incidents.view", true}, {ana, "incidents.comment", true}, {ana, "incidents.close", false},
			{ana, "endpoints.isolate", false}, {rob, "incidents.close", true}, {rob, "endpoints.isolate", true},
			{rob, "incidents.delete", false}, {rob, "connectors.manage", false},
		}
		for _, c := range cases {
			if got := p.allowed(c.user, "alpha", c.capability); got != c.want {
				t.Errorf("check(%s, %s) = %v, want %v", c.user, c.capability, got, c.want)
			}
		}
	})
}

func TestDeniedCheckExplainedStepByStep(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		night := p.create(p.admin, org+"/groups", obj{"name": "Night Shift"})
		p.addMember(p.admin, org+"/groups/"+p.t1, "group", night)
		nina := p.user(p.admin, org, "nina@acme.example")
		p.addMember(p.admin, org+"/groups/"+night, "user", nina)

		ex := p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": "nina@acme.example", "workspace": "alpha", "capability": "incidents.close"}, 200)
		if ex.get("allowed") != false {
			t.Fatalf("explain allowed = %v, want false", ex.get("allowed"))
		}
		var steps []string
		for _, s := range ex.list("steps") {
			st := obj(s.(map[string]any))
			steps = append(steps, st.str("step")+"="+map[bool]string{true: "ok", false: "fail"}[st.get("ok") == true])
		}
		if got, want := strings.Join(steps, " "), "organization=ok user=ok workspace=ok assignment=ok grant=fail"; got != want {
			t.Errorf("steps = %s, want %s", got, want)
		}
		if via := ex.list("paths.0.via"); len(via) != 2 || obj(via[0].(map[string]any)).str("name") != "Night Shift" {
			t.Errorf("path via = %v, want Night Shift then SOC Tier 1", via)
		}
		if fix := ex.str("fix"); !strings.Contains(fix, "Incident Responder") || !strings.Contains(fix, "SOC Tier 1") {
			t.Errorf("fix = %q, want it to name SOC Tier 1 and Incident Responder", fix)
		}

		// Not assigned at all: the first missing step is the assignment.
		ex = p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": nina, "workspace": "gamma", "capability": "incidents.view"}, 200)
		last := obj(ex.list("steps")[len(ex.list("steps"))-1].(map[string]any))
		if last.str("step") != "assignment" || last.get("ok") != false || !strings.Contains(ex.str("fix"), "assign") {
			t.Errorf("explain unassigned: last step %v, fix %q; want a failed assignment step and a fix that assigns", last, ex.str("fix"))
		}

		// Organization capabilities are explained from the organization role.
		ex = p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": nina, "capability": "org.users.manage"}, 200)
		if ex.get("allowed") != false || !strings.Contains(ex.str("fix"), "Organization Admin") {
			t.Errorf("explain org.users.manage for a member = %v, want denied with the fix to make them an admin", ex)
		}
		if ex := p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": p.adminID, "capability": "org.users.manage"}, 200); ex.get("allowed") != true {
			t.Errorf("explain org.users.manage for the admin = %v, want allowed", ex)
		}

		// A disabled user fails at the user step.
		p.must(p.admin, "PATCH", org+"/users/"+nina, obj{"status": "disabled"}, 200)
		ex = p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": nina, "workspace": "alpha", "capability": "incidents.view"}, 200)
		if last := obj(ex.list("steps")[len(ex.list("steps"))-1].(map[string]any)); last.str("step") != "user" {
			t.Errorf("explain disabled user: last step %v, want the user step", last)
		}
	})
}

func TestRemovalFromOneGroupKeepsAccessFromAnother(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		p.assign(p.admin, "acme", "alpha", "group", p.managers, "admin")
		mia := p.user(p.admin, org, "mia@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", mia)
		p.addMember(p.admin, org+"/groups/"+p.managers, "user", mia)

		p.must(p.admin, "DELETE", org+"/groups/"+p.managers+"/members/user/"+mia, nil, 200)
		if !p.allowed(mia, "alpha", "incidents.view") || p.allowed(mia, "alpha", "incidents.delete") {
			t.Errorf("after leaving Managers: want incidents.view still allowed through SOC Tier 1 and incidents.delete denied")
		}
		p.must(p.admin, "DELETE", org+"/groups/"+p.t1+"/members/user/"+mia, nil, 200)
		if p.allowed(mia, "alpha", "incidents.view") {
			t.Errorf("after leaving both groups: incidents.view allowed, want denied")
		}
	})
}

func TestDifferentRolesInDifferentWorkspaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		dan := p.user(p.admin, org, "dan@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", dan, "admin")
		p.assign(p.admin, "acme", "beta", "user", dan, "incident_analyst")
		if !p.allowed(dan, "alpha", "incidents.delete") || p.allowed(dan, "beta", "incidents.delete") || p.allowed(dan, "gamma", "incidents.view") {
			t.Errorf("want incidents.delete in alpha only, and nothing in gamma")
		}
		// Assigning again changes the role: still one assignment.
		p.must(p.admin, "POST", org+"/workspaces/beta/assignments", obj{"principal": obj{"type": "user", "id": dan}, "role": "admin"}, 200)
		if n := len(p.must(p.admin, "GET", org+"/workspaces/beta/assignments", nil, 200).list("items")); n != 1 {
			t.Errorf("assignments in beta = %d, want 1", n)
		}
		if !p.allowed(dan, "beta", "incidents.delete") {
			t.Errorf("after re-assigning as admin in beta: incidents.delete denied, want allowed")
		}
	})
}

func TestNestedGroupsInherit(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		inner := p.create(p.admin, org+"/groups", obj{"name": "Inner"})
		middle := p.create(p.admin, org+"/groups", obj{"name": "Middle"})
		p.addMember(p.admin, org+"/groups/"+p.t2, "group", middle)
		p.addMember(p.admin, org+"/groups/"+middle, "group", inner)
		ivy := p.user(p.admin, org, "ivy@acme.example")
		p.addMember(p.admin, org+"/groups/"+inner, "user", ivy)
		p.assign(p.admin, "acme", "beta", "group", p.t2, "incident_responder")
		if !p.allowed(ivy, "beta", "incidents.close") {
			t.Fatalf("user two groups below SOC Tier 2: incidents.close denied, want allowed")
		}
		// Cycles are refused with a clear error and change nothing.
		before := p.head()
		_, out, _ := p.call(p.admin, "POST", org+"/groups/"+inner+"/members", obj{"member": obj{"type": "group", "id": p.t2}})
		if out.str("code") != "group_cycle" || p.head() != before {
			t.Errorf("nesting SOC Tier 2 into Inner = %v (head %d→%d), want group_cycle and no change", out, before, p.head())
		}
		// Removing the middle link removes the inherited access.
		p.must(p.admin, "DELETE", org+"/groups/"+middle+"/members/group/"+inner, nil, 200)
		if p.allowed(ivy, "beta", "incidents.close") {
			t.Errorf("after unlinking Inner: still allowed, want denied")
		}
	})
}

func TestSeveralRolesGiveTheHighestLevel(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		sue := p.user(p.admin, org, "sue@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", sue)
		p.addMember(p.admin, org+"/groups/"+p.managers, "user", sue)
		p.assign(p.admin, "acme", "alpha", "group", p.t2, "incident_responder") // settings.view limited
		if ok, lvl := p.check(p.admin, "acme", sue, "alpha", "workspace.settings.view"); ok || lvl != "limited" {
			t.Errorf("responder only: settings.view full = %v at %s, want denied at limited", ok, lvl)
		}
		if ok, _ := p.check(p.admin, "acme", sue, "alpha", "workspace.settings.view", "limited"); !ok {
			t.Errorf("responder only: settings.view limited denied, want allowed")
		}
		p.assign(p.admin, "acme", "alpha", "group", p.managers, "data_source_admin") // settings.view full
		if ok, lvl := p.check(p.admin, "acme", sue, "alpha", "workspace.settings.view"); !ok || lvl != "full" {
			t.Errorf("responder + data source admin: settings.view = %v at %s, want allowed at full", ok, lvl)
		}
		if !p.allowed(sue, "alpha", "incidents.close") || !p.allowed(sue, "alpha", "connectors.manage") {
			t.Errorf("want the union of both roles' capabilities")
		}
	})
}

func TestCustomerStakeholderIsReadOnlyInTheirWorkspaceOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		viewer := p.create(p.admin, org+"/roles", obj{"name": "Customer Viewer",
			"grants": obj{"incidents.view": "full", "incidents.details.view": "full", "workspace.settings.view": "limited"}})
		cal := p.user(p.admin, org+"/workspaces/alpha", "cal@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", cal, viewer)
		calKey := p.key("acme", cal)

		if !p.allowed(cal, "alpha", "incidents.view") || p.allowed(cal, "alpha", "incidents.comment") || p.allowed(cal, "beta", "incidents.view") {
			t.Errorf("stakeholder: want incidents.view in alpha only, no comment, nothing in beta")
		}
		// The stakeholder asks about itself.
		if ok, _ := p.check(calKey, "acme", cal, "alpha", "incidents.view"); !ok {
			t.Errorf("stakeholder asking about itself: denied, want allowed")
		}
		cases := []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", org + "/workspaces/alpha/users", nil, 200},
			{"GET", org + "/workspaces/alpha/assignments", nil, 200},
			{"POST", org + "/workspaces/alpha/users", obj{"email": "x@customer.example", "given_name": "X"}, 403},
			{"DELETE", org + "/workspaces/alpha/users/" + cal, nil, 403},
			{"GET", org + "/workspaces/beta", nil, 404},
			{"GET", org + "/workspaces/beta/users", nil, 404},
			{"GET", org + "/users", nil, 403},
			{"GET", org + "/users/" + p.adminID, nil, 403},
			{"POST", org + "/workspaces", obj{"name": "Mine"}, 403},
			{"GET", "/v1/lookup/users?org=acme&workspace=alpha&capability=incidents.view", nil, 403},
			// The Org Admin is not assigned to alpha: to a customer it does not exist.
			{"POST", "/v1/check", obj{"org": "acme", "user": p.adminID, "workspace": "alpha", "capability": "incidents.view"}, 404},
			{"POST", "/v1/check", obj{"org": "acme", "user": "nobody@acme.example", "workspace": "alpha", "capability": "incidents.view"}, 404},
		}
		for _, c := range cases {
			if got, out, _ := p.call(calKey, c.method, c.path, c.body); got != c.want {
				t.Errorf("stakeholder %s %s = %d %v, want %d", c.method, c.path, got, out, c.want)
			}
		}
		// The workspace list shows the stakeholder its own workspace only.
		if items := p.must(calKey, "GET", org+"/workspaces", nil, 200).list("items"); len(items) != 1 {
			t.Errorf("stakeholder sees %d workspaces, want 1", len(items))
		}
	})
}

func TestCustomerAdminManagesOnlyItsOwnWorkspace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)
		other := p.user(p.admin, org+"/workspaces/beta", "it@other.example")

		colleague := p.user(caKey, org+"/workspaces/alpha", "colleague@customer.example")
		grp := p.create(caKey, org+"/workspaces/alpha/groups", obj{"name": "Customer IT"})
		p.addMember(caKey, org+"/workspaces/alpha/groups/"+grp, "user", colleague)
		p.assign(caKey, "acme", "alpha", "group", grp, "incident_responder")
		role := p.create(caKey, org+"/workspaces/alpha/roles", obj{"name": "Alpha Auditor", "based_on": "incident_analyst"})
		p.assign(caKey, "acme", "alpha", "user", colleague, role)
		if !p.allowed(colleague, "alpha", "incidents.close") {
			t.Errorf("colleague via the customer's group: incidents.close denied, want allowed")
		}
		cases := []struct {
			name, method, path string
			body               any
			want               int
		}{
			{"other workspace's users", "POST", org + "/workspaces/beta/users", obj{"email": "y@x.example", "given_name": "Y"}, 404},
			{"other workspace's user by id", "GET", org + "/workspaces/alpha/users/" + other, nil, 404},
			{"assign a user of another workspace", "POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "user", "id": other}, "role": "admin"}, 400},
			// t2 is not assigned to alpha, so the customer cannot know it exists; t1 is, by name, read-only.
			{"assign an org group it cannot see", "POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "group", "id": p.t2}, "role": "incident_analyst"}, 400},
			{"change an org group's role", "POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "group", "id": p.t1}, "role": "incident_responder"}, 403},
			{"org users", "POST", org + "/users", obj{"email": "z@acme.example", "given_name": "Z"}, 403},
			{"org groups", "POST", org + "/groups", obj{"name": "Mine"}, 403},
			{"org group members", "POST", org + "/groups/" + p.t1 + "/members", obj{"member": obj{"type": "user", "id": colleague}}, 403},
			{"org role", "POST", org + "/roles", obj{"name": "Sneaky", "grants": obj{"incidents.view": "full"}}, 403},
			{"workspace settings", "PATCH", org + "/workspaces/alpha", obj{"name": "Renamed"}, 403},
			{"add own user to an org group", "POST", org + "/workspaces/alpha/groups/" + grp + "/members", obj{"member": obj{"type": "group", "id": p.t1}}, 400},
		}
		for _, c := range cases {
			before := p.head()
			if got, out, _ := p.call(caKey, c.method, c.path, c.body); got != c.want {
				t.Errorf("%s: %s %s = %d %v, want %d", c.name, c.method, c.path, got, out, c.want)
			}
			if p.head() != before {
				t.Errorf("%s: the refused call changed the directory (revision %d→%d)", c.name, before, p.head())
			}
		}
		// The org group assigned to the workspace is visible by name, read-only.
		var seen bool
		for _, it := range p.must(caKey, "GET", org+"/workspaces/alpha/assignments", nil, 200).list("items") {
			a := obj(it.(map[string]any))
			if a.str("principal.id") == p.t1 {
				seen = a.str("principal_name") == "SOC Tier 1"
				if got, _, _ := p.call(caKey, "DELETE", org+"/workspaces/alpha/assignments/"+a.str("id"), nil); got != 403 {
					t.Errorf("customer admin removing the partner's assignment = %d, want 403", got)
				}
			}
		}
		if !seen {
			t.Errorf("customer admin does not see SOC Tier 1's assignment by name")
		}
	})
}

func TestNobodyGrantsMoreThanTheyHold(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		// A custom role that may assign roles but holds little else.
		deputy := p.create(p.admin, org+"/roles", obj{"name": "Deputy",
			"grants": obj{"workspace.roles.assign": "full", "incidents.view": "full", "workspace.groups.add": "full"}})
		dep := p.user(p.admin, org+"/workspaces/alpha", "deputy@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", dep, deputy)
		depKey := p.key("acme", dep)
		peer := p.user(p.admin, org+"/workspaces/alpha", "peer@customer.example")
		admins := p.create(p.admin, org+"/workspaces/alpha/groups", obj{"name": "Alpha Admins"})
		p.assign(p.admin, "acme", "alpha", "group", admins, "admin")

		for _, c := range []struct {
			name, path string
			body       any
		}{
			{"assign admin", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "user", "id": peer}, "role": "admin"}},
			{"assign itself admin", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "user", "id": dep}, "role": "admin"}},
			{"join the admins group", org + "/workspaces/alpha/groups/" + admins + "/members", obj{"member": obj{"type": "user", "id": dep}}},
			{"create a bigger role", org + "/workspaces/alpha/roles", obj{"name": "Bigger", "grants": obj{"incidents.delete": "full"}}},
		} {
			got, out, _ := p.call(depKey, "POST", c.path, c.body)
			if got != 403 {
				t.Errorf("%s = %d %v, want 403", c.name, got, out)
			}
		}
		// Within its own grants it may assign.
		viewer := p.create(p.admin, org+"/roles", obj{"name": "Viewer", "grants": obj{"incidents.view": "full"}})
		p.assign(depKey, "acme", "alpha", "user", peer, viewer)
		if p.allowed(dep, "alpha", "incidents.delete") {
			t.Errorf("deputy ended up with incidents.delete")
		}
	})
}

func TestDisablingAUserEndsAccessAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		eve := p.user(p.admin, org, "eve@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", eve, "admin")
		eveKey := p.key("acme", eve)
		p.must(eveKey, "GET", org+"/workspaces/alpha", nil, 200)
		out := p.must(p.admin, "PATCH", org+"/users/"+eve, obj{"status": "disabled"}, 200)
		if out.str("status") != "disabled" {
			t.Fatalf("status = %q, want disabled", out.str("status"))
		}
		if p.allowed(eve, "alpha", "incidents.view") {
			t.Errorf("disabled user: check allowed, want denied")
		}
		if got, _, _ := p.call(eveKey, "GET", org+"/workspaces/alpha", nil); got != 401 {
			t.Errorf("disabled user's key = %d, want 401", got)
		}
		// Enabling again restores the assignment but not the revoked key.
		p.must(p.admin, "PATCH", org+"/users/"+eve, obj{"status": "active"}, 200)
		if !p.allowed(eve, "alpha", "incidents.view") {
			t.Errorf("re-enabled user: denied, want allowed")
		}
		if got, _, _ := p.call(eveKey, "GET", org+"/workspaces/alpha", nil); got != 401 {
			t.Errorf("re-enabled user's old key = %d, want 401 (keys are revoked on disable)", got)
		}
	})
}

func TestLastOrganizationAdminIsProtected(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		if w := p.must(p.admin, "GET", org, nil, 200).list("warnings"); len(w) != 1 {
			t.Errorf("one admin: warnings = %v, want one warning", w)
		}
		for _, body := range []obj{{"org_role": "member"}, {"status": "disabled"}} {
			_, out, _ := p.call(p.admin, "PATCH", org+"/users/"+p.adminID, body)
			if out.str("code") != "last_org_admin" {
				t.Errorf("PATCH last admin %v = %v, want last_org_admin", body, out)
			}
		}
		if _, out, _ := p.call(p.admin, "DELETE", org+"/users/"+p.adminID, nil); out.str("code") != "last_org_admin" {
			t.Errorf("DELETE last admin = %v, want last_org_admin", out)
		}
		second := p.create(p.admin, org+"/users", obj{"email": "second@acme.example", "given_name": "Sec", "org_role": "admin"})
		if w := p.must(p.admin, "GET", org, nil, 200).list("warnings"); len(w) != 0 {
			t.Errorf("two admins: warnings = %v, want none", w)
		}
		p.must(p.admin, "PATCH", org+"/users/"+second, obj{"org_role": "member"}, 200)
	})
}

func TestOtherTenantsObjectsAreNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		otherAdmin, otherKey := p.org("globex")
		gws := p.create(otherKey, "/v1/orgs/globex/workspaces", obj{"name": "Initech"})
		ggrp := p.create(otherKey, "/v1/orgs/globex/groups", obj{"name": "Globex SOC"})
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/orgs/globex", nil},
			{"GET", "/v1/orgs/globex/users", nil},
			{"GET", org + "/users/" + otherAdmin, nil},
			{"GET", org + "/workspaces/" + gws, nil},
			{"GET", org + "/groups/" + ggrp, nil},
			{"POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "group", "id": ggrp}, "role": "admin"}},
			{"POST", "/v1/check", obj{"user": otherAdmin, "workspace": "alpha", "org": "acme", "capability": "incidents.view"}},
			{"POST", "/v1/orgs/globex/users/" + otherAdmin + "/keys", obj{}},
		} {
			got, out, _ := p.call(p.admin, c.method, c.path, c.body)
			if got != 404 && !(got == 400 && out.str("code") == "member_not_found") {
				t.Errorf("acme admin %s %s = %d %v, want 404", c.method, c.path, got, out)
			}
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		cases := []struct {
			name, method, path string
			body               any
			status             int
			code, field        string
		}{
			{"unknown field", "POST", org + "/users", obj{"email": "a@acme.example", "given_name": "A", "shoe_size": 9}, 400, "unknown_field", "shoe_size"},
			{"malformed json", "POST", org + "/users", `{"email": `, 400, "malformed_body", ""},
			{"two objects", "POST", org + "/groups", `{"name":"a"} {"name":"b"}`, 400, "malformed_body", ""},
			{"wrong type", "POST", org + "/groups", `{"name": 7}`, 400, "malformed_body", "name"},
			{"bad email", "POST", org + "/users", obj{"email": "not-an-email", "given_name": "A"}, 400, "invalid_input", "email"},
			{"org role on workspace user", "POST", org + "/workspaces/alpha/users", obj{"email": "w@x.example", "given_name": "W", "org_role": "admin"}, 400, "invalid_input", "org_role"},
			{"duplicate email any case", "POST", org + "/users", obj{"email": "ADMIN@acme.example", "given_name": "A"}, 409, "email_taken", "email"},
			{"duplicate workspace slug", "POST", org + "/workspaces", obj{"name": "Alpha"}, 409, "slug_taken", "slug"},
			{"bad slug", "POST", org + "/workspaces", obj{"name": "X", "slug": "Not_A_Slug"}, 400, "invalid_input", "slug"},
			{"role name taken by a built-in", "POST", org + "/roles", obj{"name": "admin", "grants": obj{"incidents.view": "full"}}, 409, "name_taken", "name"},
			{"unknown capability", "POST", org + "/roles", obj{"name": "R", "grants": obj{"incidents.teleport": "full"}}, 400, "invalid_input", "grants.incidents.teleport"},
			{"bad level", "POST", org + "/roles", obj{"name": "R", "grants": obj{"incidents.view": "most"}}, 400, "malformed_body", ""},
			{"unknown role", "POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "group", "id": p.t1}, "role": "wizard"}, 400, "role_not_found", "role"},
			{"bad principal type", "POST", org + "/workspaces/alpha/assignments", obj{"principal": obj{"type": "robot", "id": "x"}, "role": "admin"}, 400, "invalid_input", "principal.type"},
			{"oversize body", "POST", org + "/groups", big, 413, "body_too_large", ""},
			{"bad limit", "GET", org + "/users?limit=0", nil, 400, "invalid_query", "limit"},
			{"unknown capability in check", "POST", "/v1/check", obj{"org": "acme", "user": p.adminID, "workspace": "alpha", "capability": "nope"}, 400, "invalid_input", "capability"},
			{"bad If-Match", "PATCH", org + "/groups/" + p.t1, obj{"name": "x"}, 400, "invalid_if_match", "If-Match"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := p.head()
				headers := []string{}
				if c.code == "invalid_if_match" {
					headers = []string{"If-Match", "yesterday"}
				}
				got, out, resp := p.call(p.admin, c.method, c.path, c.body, headers...)
				if got != c.status || out.str("code") != c.code {
					t.Fatalf("= %d %v, want %d %s", got, out, c.status, c.code)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type = %q, want application/problem+json", ct)
				}
				if c.field != "" && out.get("fields."+c.field) == nil && !strings.Contains(c.field, ".") {
					t.Errorf("fields = %v, want a message for %s", out.get("fields"), c.field)
				}
				if p.head() != before {
					t.Errorf("revision moved %d→%d: a refused request changed something", before, p.head())
				}
			})
		}
		if got, out, _ := p.call(p.admin, "POST", org+"/groups", obj{"name": "x"}, "Content-Type", "text/plain"); got != 415 || out.str("code") != "unsupported_media_type" {
			t.Errorf("text/plain body = %d %v, want 415 unsupported_media_type", got, out)
		}
		if got, _, _ := p.call("", "GET", org, nil); got != 401 {
			t.Errorf("no key = %d, want 401", got)
		}
		if got, _, _ := p.call("ghk_wrong", "GET", org, nil); got != 401 {
			t.Errorf("wrong key = %d, want 401", got)
		}
	})
}

func TestIfMatchStopsSilentOverwrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		_, _, resp := p.call(p.admin, "GET", org+"/groups/"+p.t1, nil)
		tag := resp.Header.Get("ETag")
		if tag == "" {
			t.Fatalf("GET group has no ETag")
		}
		if got, _, _ := p.call(p.admin, "PATCH", org+"/groups/"+p.t1, obj{"description": "first"}, "If-Match", tag); got != 200 {
			t.Fatalf("PATCH with current ETag = %d, want 200", got)
		}
		got, out, _ := p.call(p.admin, "PATCH", org+"/groups/"+p.t1, obj{"description": "second"}, "If-Match", tag)
		if got != 412 || out.str("code") != "revision_mismatch" {
			t.Errorf("PATCH with stale ETag = %d %v, want 412 revision_mismatch", got, out)
		}
		if d := p.must(p.admin, "GET", org+"/groups/"+p.t1, nil, 200).str("description"); d != "first" {
			t.Errorf("description = %q, want first", d)
		}
	})
}

func TestListsPageByCursor(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		want := map[string]bool{p.adminID: true}
		for _, n := range []string{"a", "b", "c", "d"} {
			want[p.user(p.admin, org, n+"@acme.example")] = true
		}
		seen := map[string]bool{}
		path := org + "/users?limit=2"
		for pages := 0; ; pages++ {
			out := p.must(p.admin, "GET", path, nil, 200)
			for _, it := range out.list("items") {
				id := obj(it.(map[string]any)).str("id")
				if seen[id] {
					t.Fatalf("user %s listed twice", id)
				}
				seen[id] = true
			}
			if out.str("next_cursor") == "" {
				break
			}
			if pages > 5 {
				t.Fatalf("pagination does not end")
			}
			path = org + "/users?limit=2&cursor=" + out.str("next_cursor")
		}
		if len(seen) != len(want) {
			t.Errorf("paged through %d users, want %d", len(seen), len(want))
		}
	})
}

func TestTemplatesOnboardCustomers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		tpl := p.create(p.admin, org+"/templates", obj{"name": "Standard", "entries": []obj{
			{"group_id": p.t1, "role": "incident_analyst"}, {"group_id": p.t2, "role": "Incident Responder"}}})
		out := p.must(p.admin, "POST", org+"/workspaces/alpha/templates/"+tpl+"/apply", nil, 200)
		if len(out.list("created")) != 2 {
			t.Fatalf("first apply created %v, want 2 assignments", out.list("created"))
		}
		before := p.head()
		out = p.must(p.admin, "POST", org+"/workspaces/alpha/templates/"+tpl+"/apply", nil, 200)
		if len(out.list("created")) != 0 || len(out.list("unchanged")) != 2 || p.head() != before {
			t.Errorf("second apply = %v (head %d→%d), want nothing created and no change", out, before, p.head())
		}
		// Auto-apply: a new workspace comes with the template's assignments.
		p.must(p.admin, "PUT", org+"/templates/"+tpl, obj{"name": "Standard", "auto_apply": true, "entries": []obj{
			{"group_id": p.t1, "role": "incident_analyst"}}}, 200)
		p.create(p.admin, org+"/workspaces", obj{"name": "Delta"})
		if n := len(p.must(p.admin, "GET", org+"/workspaces/delta/assignments", nil, 200).list("items")); n != 1 {
			t.Errorf("new workspace has %d assignments, want 1 from the auto-applied template", n)
		}
		// A group a template uses cannot be deleted.
		if _, out, _ := p.call(p.admin, "DELETE", org+"/groups/"+p.t1, nil); out.str("code") != "group_in_use" {
			t.Errorf("delete a template's group = %v, want group_in_use", out)
		}
	})
}

func TestCustomRoleChangesApplyEverywhereAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		role := p.create(p.admin, org+"/roles", obj{"name": "Triage", "based_on": "incident_analyst"})
		p.assign(p.admin, "acme", "alpha", "group", p.t1, role)
		p.assign(p.admin, "acme", "beta", "group", p.t1, role)
		tom := p.user(p.admin, org, "tom@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", tom)
		if p.allowed(tom, "alpha", "incidents.close") {
			t.Fatalf("copy of analyst grants incidents.close")
		}
		p.must(p.admin, "PATCH", org+"/roles/"+role, obj{"grants": obj{"incidents.view": "full", "incidents.close": "full"}}, 200)
		if !p.allowed(tom, "alpha", "incidents.close") || !p.allowed(tom, "beta", "incidents.close") {
			t.Errorf("after editing the role: incidents.close denied, want allowed in both workspaces")
		}
		if got := p.must(p.admin, "PATCH", org+"/roles/Triage", obj{"description": "renamed by name"}, 200); got.str("id") != role {
			t.Errorf("PATCH by name changed %v, want role %s", got.str("id"), role)
		}
		usable := p.must(p.admin, "GET", org+"/workspaces/alpha/roles?usable=true", nil, 200).list("items")
		if len(usable) != 6 || obj(usable[0].(map[string]any)).str("id") != "admin" || obj(usable[5].(map[string]any)).str("id") != role {
			t.Errorf("roles usable in alpha = %d items, want the 5 built-ins then Triage", len(usable))
		}
		copied := p.must(p.admin, "POST", org+"/roles", obj{"name": "Analyst Plus", "based_on": "incident_analyst",
			"grants": obj{"incidents.close": "full", "incidents.comment": "none"}}, 201)
		if g := copied["grants"].(map[string]any); g["incidents.close"] != "full" || g["incidents.comment"] != nil || g["incidents.view"] != "full" {
			t.Errorf("copy with changes = %v, want the analyst's grants plus close, without comment", g)
		}
		if _, out, _ := p.call(p.admin, "DELETE", org+"/roles/"+role, nil); out.str("code") != "role_in_use" {
			t.Errorf("delete a role in use = %v, want role_in_use", out)
		}
		if got, _, _ := p.call(p.admin, "PATCH", org+"/roles/admin", obj{"name": "x"}); got != 403 && got != 404 {
			t.Errorf("PATCH built-in role = %d, want refused", got)
		}
	})
}

func TestAuditLogRecordsEveryChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.user(p.admin, org, "ana@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", ana, "admin")
		out := p.must(p.admin, "GET", org+"/events?action=user.create", nil, 200)
		items := out.list("items")
		if len(items) != 1 || obj(items[0].(map[string]any)).str("target.id") != ana {
			t.Fatalf("user.create events = %v, want one for ana", items)
		}
		ev := obj(items[0].(map[string]any))
		if ev.str("actor.user_id") != p.adminID || ev.str("source.ip") == "" || ev.str("source.request_id") == "" || ev.get("changes.0.after") == nil {
			t.Errorf("event %v: want actor, source ip and request id, and the after state", ev)
		}
		if n := len(p.must(p.admin, "GET", org+"/workspaces/alpha/events", nil, 200).list("items")); n < 2 {
			t.Errorf("workspace events = %d, want the workspace's creation and the assignment", n)
		}
		rep := p.must(p.admin, "GET", org+"/events/verify", nil, 200)
		if rep.get("ok") != true || rep.num("checked") < 5 {
			t.Errorf("verify = %v, want ok over every event", rep)
		}
	})
}

func TestConsistencyTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.user(p.admin, org, "ana@acme.example")
		out := p.assign(p.admin, "acme", "alpha", "user", ana, "admin")
		rev := out.num("revision")
		check := obj{"org": "acme", "user": ana, "workspace": "alpha", "capability": "incidents.view",
			"consistency": obj{"at_least_revision": rev}}
		if got := p.must(p.admin, "POST", "/v1/check", check, 200); got.get("allowed") != true || got.num("revision") < rev {
			t.Errorf("check at the assignment's revision = %v, want allowed at ≥ %d", got, rev)
		}
		// A revision no write has returned will never come: a clear 400 at
		// once, not a "retry" that can never succeed.
		far := rev + 1000
		batch := obj{"checks": []obj{{"org": "acme", "user": ana, "workspace": "alpha", "capability": "incidents.view",
			"consistency": obj{"at_least_revision": far}}}}
		if got, out, _ := p.call(p.admin, "POST", "/v1/check/batch", batch); got != 400 || out.str("code") != "revision_unknown" {
			t.Errorf("batch with one question at a revision never issued = %d %v, want 400 revision_unknown", got, out)
		}
		check["consistency"] = obj{"at_least_revision": far}
		if got, out, _ := p.call(p.admin, "POST", "/v1/check", check); got != 400 || out.str("code") != "revision_unknown" {
			t.Errorf("check at a revision never issued = %d %v, want 400 revision_unknown", got, out)
		}
		path := fmt.Sprintf("/v1/lookup/workspaces?org=acme&user=%s&capability=incidents.view&at_least_revision=%d", ana, far)
		if got, out, _ := p.call(p.admin, "GET", path, nil); got != 400 || out.str("code") != "revision_unknown" {
			t.Errorf("lookup at a revision never issued = %d %v, want 400 revision_unknown", got, out)
		}
		// The head itself is still fine.
		check["consistency"] = obj{"at_least_revision": p.head()}
		p.must(p.admin, "POST", "/v1/check", check, 200)
	})
}

func TestServiceAccountsWorkWithKeysOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "admin")
		caKey := p.key("acme", ca)

		// A customer admin makes a service account for its SIEM, gives it a role and a key.
		svc := p.must(caKey, "POST", org+"/workspaces/alpha/users", obj{"kind": "service", "given_name": "SIEM connector"}, 201)
		if svc.str("kind") != "service" || !strings.HasSuffix(svc.str("email"), "@service.invalid") {
			t.Fatalf("service account = %v, want kind service and a made-up address", svc)
		}
		p.assign(caKey, "acme", "alpha", "user", svc.str("id"), "incident_responder")
		key := p.must(caKey, "POST", org+"/users/"+svc.str("id")+"/keys", obj{"name": "siem", "expires_at": e.clock.Now().Add(24 * time.Hour)}, 201).str("key")
		if ok, _ := p.check(key, "acme", svc.str("id"), "alpha", "incidents.close"); !ok {
			t.Errorf("the service account's key asking about itself: denied, want allowed")
		}
		if got, _, _ := p.call(key, "GET", org+"/workspaces/beta", nil); got != 404 {
			t.Errorf("service account of alpha reading beta = %d, want 404", got)
		}
		// It never signs in with a password, and has none to set.
		if got, _, _ := p.call("", "POST", "/v1/login", obj{"org": "acme", "email": svc.str("email"), "password": "whatever it is"}); got != 401 {
			t.Errorf("service account sign-in = %d, want 401", got)
		}
		if _, out, _ := p.call(p.admin, "POST", org+"/workspaces/alpha/users/"+svc.str("id")+"/password", obj{"password": "Correct-Horse-Battery-9"}); out.str("code") != "service_account" {
			t.Errorf("setting a service account's password = %v, want service_account", out)
		}
		// Someone who may manage the workspace's users but holds less than the
		// account cannot mint its keys: the key would hand them its access.
		helper := p.create(p.admin, org+"/roles", obj{"name": "Helpdesk", "grants": obj{"workspace.users.add": "full", "incidents.view": "full"}})
		hd := p.user(p.admin, org+"/workspaces/alpha", "helpdesk@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", hd, helper)
		hdKey := p.key("acme", hd)
		if got, out, _ := p.call(hdKey, "POST", org+"/users/"+svc.str("id")+"/keys", obj{"name": "mine"}); got != 403 || out.str("code") != "escalation" {
			t.Errorf("helpdesk minting the responder account's key = %d %v, want 403 escalation", got, out)
		}

		// Nor can it take over the workspace's admin by password, email or second factor.
		for _, c := range []struct {
			path string
			body any
			verb string
		}{
			{org + "/workspaces/alpha/users/" + ca + "/password", obj{"password": "Correct-Horse-Battery-9"}, "POST"},
			{org + "/workspaces/alpha/users/" + ca, obj{"email": "mine@customer.example"}, "PATCH"},
			{org + "/workspaces/alpha/users/" + ca + "/mfa/reset", nil, "POST"},
		} {
			if got, out, _ := p.call(hdKey, c.verb, c.path, c.body); got != 403 || out.str("code") != "escalation" {
				t.Errorf("helpdesk %s %s = %d %v, want 403 escalation", c.verb, c.path, got, out)
			}
		}

		// Its key stops at its expiry.
		e.clock.Advance(25 * time.Hour)
		if got, _, _ := p.call(key, "GET", org+"/workspaces/alpha", nil); got != 401 {
			t.Errorf("expired key = %d, want 401", got)
		}
	})
}

func TestKeysShowTheirLastUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.must(p.admin, "GET", org, nil, 200)
		keys := p.must(p.admin, "GET", org+"/users/"+p.adminID+"/keys", nil, 200).list("items")
		if len(keys) != 1 {
			t.Fatalf("keys = %v, want the admin's one key", keys)
		}
		k := obj(keys[0].(map[string]any))
		if k.str("last_used_ip") != "127.0.0.1" || k.str("last_used_at") == "" || k.get("hash") != nil {
			t.Errorf("key = %v, want its last use from 127.0.0.1 and never its hash", k)
		}
		if got, _, _ := p.call(p.admin, "DELETE", org+"/users/"+p.adminID+"/keys/"+k.str("id"), nil); got != 200 {
			t.Fatalf("revoke own key = %d", got)
		}
		if got, _, _ := p.call(p.admin, "GET", org, nil); got != 401 {
			t.Errorf("revoked key = %d, want 401", got)
		}
	})
}
