package http_test

import "testing"

// A policy PATCH changes only what it names; reads show the values in force.
func TestPolicyPatchChangesOnlyWhatItNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		got := p.must(p.admin, "GET", org, nil, 200)
		for path, want := range map[string]any{"policy.mfa": "optional", "policy.password_min_length": 8.0,
			"policy.lockout_threshold": 10.0, "policy.session_limit": "end_oldest"} {
			if got.get(path) != want {
				t.Errorf("GET %s: %s = %v, want the default %v", org, path, got.get(path), want)
			}
		}

		p.policy(obj{"mfa": "everyone", "lockout_threshold": 5})
		got = p.must(p.admin, "PATCH", org, obj{"policy": obj{"password_min_length": 20}}, 200)
		for path, want := range map[string]any{"policy.mfa": "everyone", "policy.password_min_length": 20.0,
			"policy.lockout_threshold": 5.0, "policy.session_idle_minutes": 60.0} {
			if got.get(path) != want {
				t.Errorf("after a PATCH naming password_min_length: %s = %v, want %v", path, got.get(path), want)
			}
		}

		// null returns a setting to its default.
		got = p.must(p.admin, "PATCH", org, obj{"policy": obj{"lockout_threshold": nil}}, 200)
		if got.get("policy.lockout_threshold") != 10.0 || got.str("policy.mfa") != "everyone" {
			t.Errorf("after lockout_threshold: null: policy = %v, want threshold 10 and mfa everyone", got.get("policy"))
		}

		before := p.head()
		for name, body := range map[string]obj{
			"unknown setting": {"policy": obj{"mfa_please": true}},
			"wrong type":      {"policy": obj{"password_min_length": "twenty"}},
			"out of range":    {"policy": obj{"password_min_length": 4}},
		} {
			if code, out, _ := p.call(p.admin, "PATCH", org, body); code != 400 {
				t.Errorf("PATCH with an %s = %d %v, want 400", name, code, out)
			}
		}
		if p.head() != before {
			t.Errorf("refused policy changes moved the revision from %d to %d", before, p.head())
		}
	})
}

// "MFA for admins" covers everyone who administers people: Org Admins and
// whoever holds a workspace's user-, role- or group-management capabilities
// (through any role or group), and no one else.
func TestMFAForAdminsCoversWorkspaceAdmins(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ws := org + "/workspaces/alpha"
		people := map[string]string{} // email → user id
		withPassword := func(path, email string) string {
			id := p.user(p.admin, path, email)
			p.must(p.admin, "POST", path+"/users/"+id+"/password", obj{"password": pwOne}, 200)
			people[email] = id
			return id
		}
		customer := withPassword(ws, "it@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", customer, "admin")
		lead := withPassword(org, "lead@acme.example")
		p.addMember(p.admin, org+"/groups/"+p.managers, "user", lead)
		p.create(p.admin, org+"/roles", obj{"name": "Access Manager", "grants": obj{"workspace.roles.assign": "limited"}})
		p.assign(p.admin, "acme", "beta", "group", p.managers, "Access Manager")
		analyst := withPassword(ws, "analyst@customer.example")
		p.assign(p.admin, "acme", "alpha", "user", analyst, "incident_analyst")
		withPassword(org, "boss@acme.example")
		p.must(p.admin, "PATCH", org+"/users/"+people["boss@acme.example"], obj{"org_role": "admin"}, 200)
		p.policy(obj{"mfa": "admins"})

		for email, want := range map[string]bool{
			"it@customer.example":      true,  // Admin in a workspace
			"lead@acme.example":        true,  // roles.assign through a group's custom role
			"boss@acme.example":        true,  // Organization Admin
			"analyst@customer.example": false, // no administrative capability
		} {
			out := e.browser(firefoxOnWindows).mustLogin("acme", email, pwOne)
			if got := out.get("mfa_enrolment_required") == true; got != want {
				t.Errorf("sign in of %s under mfa: admins: mfa_enrolment_required = %v, want %v", email, got, want)
			}
		}
	})
}
