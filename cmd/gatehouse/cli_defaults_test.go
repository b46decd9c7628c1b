package main

import (
	"strings"
	"testing"
)

func TestCLIDefaults(t *testing.T) {
	s := startCLIServer(t)
	ws := []string{"--org", "northwind", "--workspace", "contoso"}
	out := s.mustRun(t, s.admin, "workspaces", "default-role", "contoso", "Incident Analyst", "--org", "northwind")
	wantAll(t, "workspaces default-role", out, "get role incident_analyst")
	s.mustRun(t, s.admin, append([]string{"users", "create", "dee@contoso.example", "--given-name", "Dee"}, ws...)...)
	out = s.mustRun(t, s.admin, append([]string{"assignments", "list"}, ws...)...)
	wantAll(t, "assignments list", out, "dee@contoso.example", "Incident Analyst")
	if _, errOut, code := s.run(s.admin, "workspaces", "default-role", "contoso", "No Such Role", "--org", "northwind"); code == 0 || !strings.Contains(errOut, "default_role") {
		t.Errorf("unknown default role: exit %d, stderr %q", code, errOut)
	}
	out = s.mustRun(t, s.admin, "orgs", "default-groups", "northwind", "SOC Tier 1")
	wantAll(t, "orgs default-groups", out, "1 default group(s)")
	out = s.mustRun(t, s.admin, "orgs", "default-groups", "northwind")
	wantAll(t, "orgs default-groups (clear)", out, "0 default group(s)")
}

// TestCLIMFAMethods: an Organization Admin chooses the second factors its
// people may use; a bad list is refused naming the field, and no methods
// bring back the default.
func TestCLIMFAMethods(t *testing.T) {
	s := startCLIServer(t)
	out := s.mustRun(t, s.admin, "orgs", "mfa-methods", "northwind", "totp", "email")
	wantAll(t, "orgs mfa-methods", out, "second factors allowed: totp, email.")
	if _, errOut, code := s.run(s.admin, "orgs", "mfa-methods", "northwind", "email", "sms"); code == 0 || !strings.Contains(errOut, `must include "totp" or "passkey"`) {
		t.Errorf("codes only: exit %d, stderr %q, want the list refused", code, errOut)
	}
	out = s.mustRun(t, s.admin, "orgs", "mfa-methods", "northwind")
	wantAll(t, "orgs mfa-methods (default)", out, "second factors allowed: totp, passkey.")
}
