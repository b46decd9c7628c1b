package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestRuleGroupsOverHTTP: an Org Admin makes a group whose rule holds the
// certified SOC analysts and gives it a role; a profile change puts an
// analyst in and takes another out; explain names the rule; a bad rule is
// a field error that changes nothing.
func TestRuleGroupsOverHTTP(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		before := p.head()
		bad := p.refused(p.admin, "POST", org+"/groups", obj{"name": "Certified SOC", "rule": `department == "SOC" &&`}, 400, "invalid_rule")
		if bad.get("fields").(map[string]any)["rule"] == nil || p.head() != before {
			t.Fatalf("bad rule = %v, or it changed something", bad)
		}
		grp := p.create(p.admin, org+"/groups", obj{"name": "Certified SOC", "rule": `department == "SOC" && certified("GCIH")`})
		p.assign(p.admin, "acme", "alpha", "group", grp, "incident_responder")
		ana := p.user(p.admin, org, "ana@acme.example")
		bob := p.user(p.admin, org, "bob@acme.example")
		cert := []obj{{"name": "GCIH", "issuer": "GIAC", "expires": "2999-12-31"}}
		p.must(p.admin, "PATCH", org+"/users/"+ana, obj{"department": "SOC", "certifications": cert}, 200)
		p.must(p.admin, "PATCH", org+"/users/"+bob, obj{"department": "Finance", "certifications": cert}, 200)
		if !p.allowed(ana, "alpha", "incidents.close") || p.allowed(bob, "alpha", "incidents.close") {
			t.Fatal("the rule must hold Ana (SOC, certified) and not Bob (Finance)")
		}
		members := fmt.Sprint(p.must(p.admin, "GET", org+"/groups/"+grp+"/rule-members", nil, 200).list("items"))
		if !strings.Contains(members, "ana@acme.example") || strings.Contains(members, "bob@acme.example") {
			t.Fatalf("rule members = %s", members)
		}
		exp := p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": ana, "workspace": "alpha", "capability": "incidents.close"}, 200)
		if steps := fmt.Sprint(exp.list("steps")); !strings.Contains(steps, `by the rule of Certified SOC: department == "SOC" && certified("GCIH")`) {
			t.Fatalf("explain does not name the rule: %s", steps)
		}
		p.must(p.admin, "PATCH", org+"/users/"+bob, obj{"department": "SOC"}, 200)
		p.must(p.admin, "PATCH", org+"/users/"+ana, obj{"department": "Finance"}, 200)
		if p.allowed(ana, "alpha", "incidents.close") || !p.allowed(bob, "alpha", "incidents.close") {
			t.Fatal("a department change must move Bob in and Ana out at once")
		}
	})
}
