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
