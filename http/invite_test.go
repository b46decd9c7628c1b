package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// Many people invited at once with one role in a workspace and one group,
// all or nothing.
func TestInviteManyWithOneRoleAndGroup(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.user(p.admin, org, "taken@acme.example")
		before := p.head()
		out := p.refused(p.admin, "POST", org+"/invitations", obj{"emails": []string{"kim@acme.example", "taken@acme.example"},
			"role": "incident_analyst", "workspace": "alpha", "group": "SOC Tier 1"}, 400, "csv_invalid")
		if p.head() != before || p.mailTo("kim@acme.example", "invitation") != nil || out.get("fields").(map[string]any)["line 2.email"] == nil {
			t.Fatalf("a refused list (%v) invited someone", out)
		}
		out = p.must(p.admin, "POST", org+"/invitations", obj{"emails": []string{"Kim Lee <kim@acme.example>", "lu@acme.example"},
			"role": "incident_analyst", "workspace": "alpha", "group": "SOC Tier 1"}, 200)
		if out.num("imported") != 2 {
			t.Fatalf("invite many = %v, want 2 imported", out)
		}
		kim := obj(out.list("created")[0].(map[string]any))
		if kim.str("status") != "invited" || kim.str("given_name") != "Kim" || kim.str("family_name") != "Lee" {
			t.Errorf("kim = %v, want an invited Kim Lee", kim)
		}
		members := fmt.Sprint(p.must(p.admin, "GET", org+"/groups/"+p.t1+"/members", nil, 200).list("items"))
		assigned := fmt.Sprint(p.must(p.admin, "GET", org+"/workspaces/alpha/assignments", nil, 200).list("items"))
		for _, it := range out.list("created") {
			u := obj(it.(map[string]any))
			if !strings.Contains(members, u.str("id")) || !strings.Contains(assigned, u.str("id")) {
				t.Errorf("%s: not in SOC Tier 1 or not assigned in alpha", u.str("email"))
			}
			if p.mailTo(u.str("email"), "invitation") == nil {
				t.Errorf("no invitation mailed to %s", u.str("email"))
			}
		}
		// One person with names, a role and a group.
		out = p.must(p.admin, "POST", org+"/invitations", obj{"email": "mo@acme.example", "given_name": "Mary Ann", "family_name": "Mo",
			"role": "incident_analyst", "workspace": "beta"}, 200)
		if mo := obj(out.list("created")[0].(map[string]any)); mo.str("given_name") != "Mary Ann" || mo.str("family_name") != "Mo" {
			t.Errorf("mo = %v, want Mary Ann Mo", mo)
		}
		// A customer admin inviting with a role it does not hold is refused as a whole.
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "incident_responder")
		role := p.create(p.admin, org+"/workspaces/alpha/roles", obj{"name": "Desk", "grants": obj{"workspace.users.add": "full"}})
		p.assign(p.admin, "acme", "alpha", "user", ca, role)
		p.refused(p.key("acme", ca), "POST", org+"/workspaces/alpha/invitations", obj{"emails": []string{"x@alpha.example"}, "role": "admin"}, 400, "csv_invalid")
	})
}
