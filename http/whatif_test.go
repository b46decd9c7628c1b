package http_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// changeRows renders an answer's losses or gains as "email workspace capability from→to".
func changeRows(out obj, list string) []string {
	var rows []string
	for _, it := range out.list(list) {
		c := obj(it.(map[string]any))
		ws := c.str("workspace.name")
		if ws == "" {
			ws = "-"
		}
		rows = append(rows, fmt.Sprintf("%s %s %s %s→%s", c.str("user.email"), ws, c.str("capability"), c.str("from"), c.str("to")))
	}
	return rows
}

// Removing a member of a SOC group assigned in three workspaces lists
// exactly that member's Incident Responder capabilities in each as losses,
// and writes nothing: the revision, the membership and the audit log stay.
func TestWhatIfRemovingAMemberListsItsLosses(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		for _, ws := range []string{"alpha", "beta", "gamma"} {
			p.assign(p.admin, "acme", ws, "group", p.t2, "incident_responder")
		}
		rob := p.user(p.admin, org, "rob@acme.example")
		sue := p.user(p.admin, org, "sue@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", rob)
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", sue)
		before := p.head()
		events := len(p.must(p.admin, "GET", org+"/events?limit=1000", nil, 200).list("items"))

		out := p.must(p.admin, "POST", org+"/whatif", obj{"operations": []obj{
			{"op": "delete", "type": "membership", "id": p.t2, "body": obj{"member": obj{"type": "user", "id": rob}}},
		}}, 200)

		responder := e.dir.Index().Role(gh.RoleIncidentResponder)
		var want []string
		for _, ws := range []string{"Alpha", "Beta", "Gamma"} {
			for _, c := range gh.SortedCapabilities(responder.Grants) {
				want = append(want, fmt.Sprintf("rob@acme.example %s %s %s→none", ws, c, responder.Grants[c]))
			}
		}
		if got := changeRows(out, "losses"); !slices.Equal(got, want) {
			t.Errorf("losses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(out.list("gains")) != 0 || out.num("users_affected") != 1 || out.get("truncated") != false || len(out.list("results")) != 1 {
			t.Errorf("answer = %v, want no gains, 1 user affected, not truncated, one result", out)
		}
		if p.head() != before {
			t.Errorf("revision %d after a what-if, want %d", p.head(), before)
		}
		members := p.must(p.admin, "GET", org+"/groups/"+p.t2+"/members", nil, 200).list("items")
		if len(members) != 2 {
			t.Errorf("SOC Tier 2 has %d members after a what-if, want 2", len(members))
		}
		if n := len(p.must(p.admin, "GET", org+"/events?limit=1000", nil, 200).list("items")); n != events {
			t.Errorf("%d events after a what-if, want %d", n, events)
		}
		if !p.allowed(rob, "alpha", "incidents.close") {
			t.Error("rob lost incidents.close in alpha through a what-if")
		}
	})
}

// A what-if refused for the caller answers as the batch's dry run does, and
// says nothing of the impact.
func TestWhatIfRefusedAnswersLikeTheDryRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		ana := p.user(p.admin, org, "ana@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		anaKey := e.key("acme", ana)
		ops := []obj{{"op": "update", "type": "workspace", "id": "alpha", "body": obj{"status": "suspended"}}}
		got := p.refused(anaKey, "POST", org+"/whatif", obj{"operations": ops}, 400, "batch_refused")
		dry := p.refused(anaKey, "POST", org+"/batch", obj{"operations": ops, "dry_run": true}, 400, "batch_refused")
		if !reflect.DeepEqual(got.get("operations"), dry.get("operations")) || got.get("losses") != nil {
			t.Errorf("what-if refused with %v, the batch's dry run with %v; want the same and no impact", got, dry)
		}
	})
}

// A customer's admin previewing a change of its workspace sees its own
// people's losses only: partner staff reached through a group are left out,
// as they are everywhere else it looks.
func TestWhatIfShowsOnlyWhatTheCallerSees(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ws := org + "/workspaces/alpha"
		viewer := e.create(p.admin, ws+"/roles", obj{"name": "Alpha viewer", "based_on": "incident_analyst"})
		it := p.user(p.admin, ws, "it@alpha.example")
		ana := p.user(p.admin, ws, "ana@alpha.example")
		staff := p.user(p.admin, org, "staff@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", staff)
		p.assign(p.admin, "acme", "alpha", "user", it, "admin")
		p.assign(p.admin, "acme", "alpha", "user", ana, viewer)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, viewer)
		// beta's own admin and analyst, whom alpha's admin must never see.
		bIT := p.user(p.admin, org+"/workspaces/beta", "it@beta.example")
		p.assign(p.admin, "acme", "beta", "user", bIT, "admin")

		ops := obj{"operations": []obj{{"op": "update", "type": "role", "workspace": "alpha", "id": viewer,
			"body": obj{"grants": obj{"incidents.view": "full"}}}}}
		byIT := p.must(e.key("acme", it), "POST", org+"/whatif", ops, 200)
		byAdmin := p.must(p.admin, "POST", org+"/whatif", ops, 200)
		users := func(out obj) []string {
			var us []string
			for _, r := range changeRows(out, "losses") {
				if u, _, _ := strings.Cut(r, " "); !slices.Contains(us, u) {
					us = append(us, u)
				}
			}
			return us
		}
		if got := users(byIT); !slices.Equal(got, []string{"ana@alpha.example"}) || byIT.num("users_affected") != 1 {
			t.Errorf("alpha's admin sees losses of %v (%d affected), want ana's only", got, byIT.num("users_affected"))
		}
		for _, r := range changeRows(byIT, "losses") {
			if !strings.Contains(r, " Alpha ") {
				t.Errorf("alpha's admin sees %q, outside its workspace", r)
			}
		}
		if got := users(byAdmin); !slices.Equal(got, []string{"ana@alpha.example", "staff@acme.example"}) {
			t.Errorf("the Org Admin sees losses of %v, want ana's and staff's", got)
		}
		// beta's admin may not touch alpha's role: refused, nothing shown.
		p.refused(e.key("acme", bIT), "POST", org+"/whatif", ops, 400, "batch_refused")
	})
}
