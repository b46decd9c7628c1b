package http_test

import "testing"

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
