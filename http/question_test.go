package http_test

import (
	"strings"
	"testing"
)

// TestQuestionAboutAnUnknownOrganization: a mistyped organization in a
// check or explain names the organization, not the user, as missing.
func TestQuestionAboutAnUnknownOrganization(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		for _, c := range []struct{ name, path, capability, workspace string }{
			{"check", "/v1/check", "incidents.view", "alpha"},
			{"explain", "/v1/explain", "incidents.view", "alpha"},
			{"check of an organization capability", "/v1/check", "org.users.manage", ""},
			{"explain of an organization capability", "/v1/explain", "org.users.manage", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				for _, user := range []string{"admin@acme.example", p.adminID} {
					body := obj{"org": "acmee", "user": user, "capability": c.capability}
					if c.workspace != "" {
						body["workspace"] = c.workspace
					}
					got, out, _ := p.call(p.operator, "POST", c.path, body)
					if got != 404 || out.str("code") != "organization_not_found" {
						t.Errorf("%s with org acmee, user %s = %d %v, want 404 organization_not_found", c.path, user, got, out)
					}
				}
			})
		}
	})
}

// TestExplainOrgCapabilityLabelsTheHome: explaining an organization
// capability says an org user is an organization user, and a workspace user
// is not one.
func TestExplainOrgCapabilityLabelsTheHome(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		wsUser := p.user(p.admin, org+"/workspaces/alpha", "wendy@alpha.example")
		for _, c := range []struct{ user, want string }{
			{p.adminID, "admin@acme.example is an organization user"},
			{wsUser, "wendy@alpha.example is a user of a workspace"},
		} {
			out := p.must(p.admin, "POST", "/v1/explain", obj{"org": "acme", "user": c.user, "capability": "org.users.manage"}, 200)
			home := ""
			for _, s := range out.list("steps") {
				if st := obj(s.(map[string]any)); st.str("step") == "home" {
					home = st.str("detail")
				}
			}
			if home != c.want && !strings.HasPrefix(home, c.want) {
				t.Errorf("explain org.users.manage for %s: home step = %q, want %q", c.user, home, c.want)
			}
		}
	})
}

// TestWorkspaceAdminAsksAboutItsOwnPeople: whoever assigns roles in a
// workspace may ask why one of the people it sees there may or may not do
// something — in that workspace only; a colleague without that right may
// not, and a user of another workspace stays unknown.
func TestWorkspaceAdminAsksAboutItsOwnPeople(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		boss := p.user(p.admin, org+"/workspaces/alpha", "boss@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", boss, "admin")
		staff := p.user(p.admin, org+"/workspaces/alpha", "staff@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", staff, "incident_analyst")
		other := p.user(p.admin, org+"/workspaces/beta", "other@beta.example")
		bossKey, staffKey := p.key("acme", boss), p.key("acme", staff)

		q := obj{"org": "acme", "user": "staff@alpha.example", "workspace": "alpha", "capability": "incidents.close"}
		out := p.must(bossKey, "POST", "/v1/explain", q, 200)
		if out["allowed"] != false || out.str("fix") == "" {
			t.Errorf("the workspace admin's explain = %v, want a denial with its fix", out)
		}
		if got, out, _ := p.call(bossKey, "POST", "/v1/explain", obj{"org": "acme", "user": other, "workspace": "alpha", "capability": "incidents.view"}); got != 404 {
			t.Errorf("asking about another workspace's user = %d %v, want 404", got, out)
		}
		if got, out, _ := p.call(bossKey, "POST", "/v1/explain", obj{"org": "acme", "user": "staff@alpha.example", "workspace": "beta", "capability": "incidents.view"}); got != 404 {
			t.Errorf("asking about another workspace = %d %v, want 404", got, out)
		}
		if got, out, _ := p.call(staffKey, "POST", "/v1/explain", obj{"org": "acme", "user": "boss@alpha.example", "workspace": "alpha", "capability": "incidents.view"}); got != 403 {
			t.Errorf("an analyst asking about a colleague = %d %v, want 403", got, out)
		}
	})
}
