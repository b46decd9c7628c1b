package main

import (
	"strings"
	"testing"
)

// TestCLIExitCodes: scripts can read the answer of check and explain from
// the exit code, and a mistyped command line exits 2 saying what is wrong.
func TestCLIExitCodes(t *testing.T) {
	s := startCLIServer(t)
	ask := []string{"--org", "northwind", "--workspace", "contoso", "--user", "sam.okafor@northwind.example"}
	tests := []struct {
		name   string
		key    string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"check allowed", s.admin, append([]string{"check", "--capability", "incidents.view"}, ask...), 0, []string{"allowed"}, nil},
		{"check denied", s.admin, append([]string{"check", "--capability", "incidents.close"}, ask...), 1, []string{"denied"}, nil},
		{"check denied, json", s.admin, append([]string{"check", "--capability", "incidents.close", "-o", "json"}, ask...), 1, []string{`"allowed": false`}, nil},
		{"explain denied", s.admin, append([]string{"explain", "--capability", "incidents.close"}, ask...), 1, []string{"DENIED"}, nil},
		{"explain allowed", s.admin, append([]string{"explain", "--capability", "incidents.view"}, ask...), 0, []string{"ALLOWED"}, nil},
		{"help says so", "", []string{"check", "--help"}, 0, []string{"0 when allowed, 1 when denied"}, nil},
		{"unknown command", "", []string{"usres", "list"}, 2, nil, []string{`unknown command "usres"`, "users"}},
		{"unknown subcommand", "", []string{"users", "creat", "x@y.example"}, 2, nil, []string{`unknown command "creat" for "gatehouse users"`, "Did you mean this?", "create"}},
		{"unknown flag", "", []string{"users", "list", "--orgg", "x"}, 2, nil, []string{"unknown flag: --orgg"}},
		{"missing argument", s.admin, []string{"users", "create", "--org", "northwind", "--given-name", "Ann"}, 2, nil, []string{"missing EMAIL", "usage: gatehouse users create EMAIL"}},
		{"extra argument", s.admin, []string{"users", "get", "a@b.example", "c@d.example", "--org", "northwind"}, 2, nil, []string{`unexpected argument "c@d.example"`}},
		{"version", "", []string{"version"}, 0, []string{"gatehouse "}, nil},
		{"--version", "", []string{"--version"}, 0, []string{"gatehouse "}, nil},
		{"a failure is 1", s.admin, []string{"users", "get", "nobody@northwind.example", "--org", "northwind"}, 1, nil, []string{"error:"}},
		{"capability errors point to the list", s.admin, append([]string{"check", "--capability", "coffee.make"}, ask...), 1, nil, []string{"gatehouse capabilities list"}},
		{"role errors list the usable roles", s.admin, []string{"assign", "--org", "northwind", "--workspace", "contoso", "--user", "ciso@contoso.example", "--role", "Chief Wizard"}, 1, nil,
			[]string{"roles usable in workspace contoso:", "Admin", "Incident Analyst", "Customer Viewer"}},
		{"an unknown organization is named", s.admin, []string{"check", "--org", "northwnd", "--user", "sam.okafor@northwind.example", "--workspace", "contoso", "--capability", "incidents.view"}, 1, nil,
			[]string{"organization not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := s.run(tt.key, tt.args...)
			if code != tt.code {
				t.Fatalf("gatehouse %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), code, tt.code, out, errOut)
			}
			wantAll(t, "stdout", out, tt.stdout...)
			wantAll(t, "stderr", errOut, tt.stderr...)
		})
	}
}

// TestCLILoginSetsTheDefaultOrg: after logging in with a key that sees one
// organization, --org may be left out.
func TestCLILoginSetsTheDefaultOrg(t *testing.T) {
	s := startCLIServer(t)
	wantAll(t, "login", s.mustRun(t, "", "login", "--server", s.url, "--key", s.admin), "--org defaults to northwind")
	wantAll(t, "workspaces list without --org", s.mustRun(t, "", "workspaces", "list"), "contoso", "fabrikam")
	wantAll(t, "check without --org", s.mustRun(t, "", "check", "--user", "lee.chen@northwind.example", "-w", "contoso", "--capability", "incidents.view"), "allowed")
	s.mustRun(t, s.operator, "orgs", "create", "Acme", "--admin-email", "ana@acme.example", "--admin-given-name", "Ana")
	out := s.mustRun(t, "", "login", "--server", s.url, "--key", s.operator) // sees two: no default
	if strings.Contains(out, "defaults to") {
		t.Errorf("login with the operator key = %q, want no default organization", out)
	}
	if _, errOut, code := s.run("", "workspaces", "list"); code != 2 || !strings.Contains(errOut, `"org" not set`) {
		t.Errorf("workspaces list after an operator login: exit %d, stderr %q; want 2 and --org required", code, errOut)
	}
}
