package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestCustomerKeepsAnAnalystOut: a customer's admin excludes a partner
// analyst it cannot see, by email, from its own workspace. The analyst loses
// that workspace only; explain names the exclusion and who may lift it; the
// Organization Admins and the security contacts are told; the partner's
// admin cannot lift it; and nothing the customer may not see is reachable.
func TestCustomerKeepsAnAnalystOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		alpha := org + "/workspaces/alpha"
		p.assign(p.admin, "acme", "alpha", "group", p.t2, "incident_responder")
		p.assign(p.admin, "acme", "beta", "group", p.t2, "incident_responder")
		rob := p.user(p.admin, org, "rob@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", rob)
		it := p.user(p.admin, alpha, "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", it, "admin")
		cust := e.key("acme", it)

		// Bad input changes nothing.
		before := p.head()
		p.refused(cust, "POST", alpha+"/exclusions", obj{"email": "rob@acme.example", "capabilities": []string{"no.such"}}, 400, "invalid_input")
		p.refused(cust, "POST", alpha+"/exclusions", obj{}, 400, "invalid_input")
		p.refused(cust, "POST", alpha+"/exclusions", obj{"email": "rob@acme.example", "workspace_id": "beta"}, 400, "invalid_exclusion")
		p.refused(cust, "POST", alpha+"/exclusions", obj{"principal": obj{"type": "user", "id": it}}, 400, "exclude_self")
		hidden := p.refused(cust, "POST", alpha+"/exclusions", obj{"principal": obj{"type": "user", "id": rob}}, 400, "member_not_found")
		absent := p.refused(cust, "POST", alpha+"/exclusions", obj{"principal": obj{"type": "user", "id": "usr_06h4NEVERISSUED0000000000"}}, 400, "member_not_found")
		if hidden.str("message") != absent.str("message") {
			t.Errorf("a hidden partner user answers %v, an unknown one %v", hidden, absent)
		}
		p.refused(cust, "POST", org+"/workspaces/beta/exclusions", obj{"email": "rob@acme.example"}, 404, "workspace_not_found")
		p.refused(cust, "POST", org+"/exclusions", obj{"email": "rob@acme.example"}, 403, "forbidden")
		if p.head() != before {
			t.Fatal("refused exclusions changed the directory")
		}

		ex := p.must(cust, "POST", alpha+"/exclusions", obj{"email": "Rob@acme.example", "reason": "contract clause 7"}, 201)
		if ex.str("set_by") != "workspace" || ex.str("email") != "Rob@acme.example" {
			t.Fatalf("exclusion = %v", ex)
		}
		if p.allowed(rob, "alpha", "incidents.view") || !p.allowed(rob, "beta", "incidents.view") {
			t.Fatal("the exclusion must hold in alpha and only there")
		}
		exp := p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": rob, "workspace": "alpha", "capability": "incidents.view"}, 200)
		steps := fmt.Sprint(exp.list("steps"))
		if exp.get("allowed") != false || !strings.Contains(steps, "exclusion "+ex.str("id")) || !strings.Contains(steps, "contract clause 7") ||
			!strings.Contains(exp.str("fix"), `only a manager of workspace "Alpha"`) {
			t.Fatalf("explain = %v", exp)
		}

		// The partner's admin sees it and is told, but cannot lift it.
		p.must(p.admin, "GET", org+"/exclusions/"+ex.str("id"), nil, 200)
		p.refused(p.admin, "DELETE", alpha+"/exclusions/"+ex.str("id"), nil, 403, "exclusion_of_workspace")
		mb.deliver(t)
		for _, to := range []string{"soc@acme.example", "admin@acme.example"} {
			msgs := mb.to(to)
			if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Subject, "Workspace Alpha excluded Rob@acme.example") {
				t.Errorf("%s was not told of the exclusion: %v", to, msgs)
			}
		}

		// An organization exclusion of everyone in SOC Tier 2 from every
		// workspace: the customer does not see it, and cannot lift it.
		orgEx := p.must(p.admin, "POST", org+"/exclusions", obj{"principal": obj{"type": "group", "id": p.t2}, "capabilities": []string{"incidents.close"}}, 201)
		if orgEx.str("set_by") != "organization" || p.allowed(rob, "beta", "incidents.close") || !p.allowed(rob, "beta", "incidents.view") {
			t.Fatalf("organization exclusion %v does not hold as set", orgEx)
		}
		list := fmt.Sprint(p.must(cust, "GET", alpha+"/exclusions", nil, 200).list("items"))
		if !strings.Contains(list, ex.str("id")) || strings.Contains(list, orgEx.str("id")) {
			t.Fatalf("the customer's list = %s", list)
		}
		p.refused(cust, "DELETE", org+"/exclusions/"+orgEx.str("id"), nil, 404, "exclusion_not_found")
		p.refused(cust, "GET", alpha+"/exclusions/"+orgEx.str("id"), nil, 404, "exclusion_not_found")

		// Each authority lifts its own.
		p.must(cust, "DELETE", alpha+"/exclusions/"+ex.str("id"), nil, 200)
		p.must(p.admin, "DELETE", org+"/exclusions/"+orgEx.str("id"), nil, 200)
		if !p.allowed(rob, "alpha", "incidents.close") {
			t.Fatal("lifting both did not give the access back")
		}
		events := fmt.Sprint(p.must(p.admin, "GET", org+"/events?action=exclusion.", nil, 200).list("items"))
		if strings.Count(events, "exclusion.create") != 2 || strings.Count(events, "exclusion.delete") != 2 {
			t.Fatalf("audit log: %s", events)
		}
	})
}
