package main

import (
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
)

// --dry-run on a risky command prints who would lose what and changes
// nothing; whatif -f does the same for a file of operations.
func TestCLIWhatIf(t *testing.T) {
	forEachCLIStore(t, func(t *testing.T, s *cliServer) {
		org := []string{"--org", "northwind"}
		before := s.revision()

		out := s.mustRun(t, s.admin, append([]string{"groups", "remove-member", "SOC Tier 1", "user:sam.okafor@northwind.example", "--dry-run"}, org...)...)
		wantAll(t, "groups remove-member --dry-run", out, "Who loses what:", "USER", "WORKSPACE", "CAPABILITY", "FROM", "TO",
			"Contoso", "Fabrikam", "Tailspin Toys", "1 user(s) affected", "Nothing was changed")
		analyst := s.m.Directory().Index().Role(gh.RoleIncidentAnalyst)
		if n := strings.Count(out, "sam.okafor@northwind.example"); n != 3*len(analyst.Grants) {
			t.Errorf("sam appears in %d rows, want %d (3 workspaces × Incident Analyst's grants):\n%s", n, 3*len(analyst.Grants), out)
		}
		if !strings.Contains(out, "incidents.view") || strings.Contains(out, "nina.berg") {
			t.Errorf("output = %s\nwant sam's incidents.view and nobody else", out)
		}
		members := s.mustRun(t, s.admin, append([]string{"groups", "members", "SOC Tier 1"}, org...)...)
		if !strings.Contains(members, "sam.okafor@northwind.example") || s.revision() != before {
			t.Fatalf("the dry run changed something: revision %d → %d; members:\n%s", before, s.revision(), members)
		}

		out = s.mustRun(t, s.admin, append([]string{"workspaces", "suspend", "contoso", "--dry-run"}, org...)...)
		wantAll(t, "workspaces suspend --dry-run", out, "it-admin@contoso.example", "ciso@contoso.example", "nina.berg@northwind.example", "Contoso")
		if strings.Contains(out, "Fabrikam") {
			t.Errorf("suspending contoso costs access in Fabrikam:\n%s", out)
		}
		json := s.mustRun(t, s.admin, append([]string{"users", "disable", "nina.berg@northwind.example", "--dry-run", "-o", "json"}, org...)...)
		wantAll(t, "users disable --dry-run -o json", json, `"losses"`, `"email": "nina.berg@northwind.example"`, `"to": "none"`, `"users_affected": 1`)

		_, errOut, code := s.run(s.admin, append([]string{"roles", "delete", "Customer Viewer", "--dry-run"}, org...)...)
		if code != 1 || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, "Customer Viewer") {
			t.Errorf("roles delete --dry-run of a role in use: exit %d, %q; want 1 naming the refusal", code, errOut)
		}

		file := writeFile(t, "ops.yaml", "operations:\n  - {op: update, type: workspace, id: fabrikam, body: {status: archived}}\n")
		out = s.mustRun(t, s.admin, append([]string{"whatif", "-f", file}, org...)...)
		wantAll(t, "whatif -f", out, "Who loses what:", "it-admin@fabrikam.example", "Fabrikam")
		if s.revision() != before {
			t.Errorf("the what-ifs changed the directory: revision %d → %d", before, s.revision())
		}
		if _, _, code := s.run(s.admin, append([]string{"check", "--workspace", "fabrikam", "--user", "it-admin@fabrikam.example", "--capability", "incidents.view"}, org...)...); code != 0 {
			t.Errorf("after the what-ifs, it-admin@fabrikam.example is denied in fabrikam (exit %d)", code)
		}
	})
}
