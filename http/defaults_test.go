package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// A workspace's default role reaches an invited user, and the organization's
// default groups a created one, each audited as a default; a bad role or
// group is a field error that changes nothing.
func TestDefaultRoleAndGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		alpha := org + "/workspaces/alpha"
		before := p.head()
		out := p.refused(p.admin, "PATCH", alpha, obj{"default_role": "No Such Role"}, 400, "role_not_found")
		if out.get("fields").(map[string]any)["default_role"] == nil || p.head() != before {
			t.Fatalf("unknown default role = %v, or it changed something", out)
		}
		if got := p.must(p.admin, "PATCH", alpha, obj{"default_role": "Incident Analyst"}, 200).str("default_role"); got != "incident_analyst" {
			t.Fatalf("default_role = %q", got)
		}
		inv := p.create(p.admin, alpha+"/invitations", obj{"email": "inv@alpha.example", "given_name": "Inv"})
		assigned := fmt.Sprint(p.must(p.admin, "GET", alpha+"/assignments", nil, 200).list("items"))
		if !strings.Contains(assigned, inv) || !strings.Contains(assigned, "incident_analyst") {
			t.Fatalf("invited user not given the default role: %s", assigned)
		}
		events := fmt.Sprint(p.must(p.admin, "GET", org+"/events?action=assignment.create", nil, 200).list("items"))
		if !strings.Contains(events, "default of the workspace") {
			t.Fatalf("no assignment event says it came from the default: %s", events)
		}

		before = p.head()
		out = p.refused(p.admin, "PATCH", org, obj{"default_groups": []string{"No Such Group"}}, 400, "group_not_found")
		if out.get("fields").(map[string]any)["default_groups"] == nil || p.head() != before {
			t.Fatalf("unknown default group = %v, or it changed something", out)
		}
		p.must(p.admin, "PATCH", org, obj{"default_groups": []string{"SOC Tier 1"}}, 200)
		u := p.user(p.admin, org, "new@acme.example")
		if members := fmt.Sprint(p.must(p.admin, "GET", org+"/groups/"+p.t1+"/members", nil, 200).list("items")); !strings.Contains(members, u) {
			t.Fatalf("new org user not in the default group: %s", members)
		}
		events = fmt.Sprint(p.must(p.admin, "GET", org+"/events?action=group.member.add", nil, 200).list("items"))
		if !strings.Contains(events, "default of the organization") {
			t.Fatalf("no membership event says it came from the default: %s", events)
		}
		p.refused(p.admin, "DELETE", org+"/groups/"+p.t1, nil, 409, "group_in_use")
	})
}
