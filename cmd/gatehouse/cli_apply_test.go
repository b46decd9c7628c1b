package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
)

// forEachCLIStore runs fn against a demo server on SQLite and on PostgreSQL.
func forEachCLIStore(t *testing.T, fn func(t *testing.T, s *cliServer)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, startCLIServer(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, startCLIServerOn(t, postgrestest.DSN(t))) })
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const wingtip = `
workspaces:
  - name: Wingtip Toys
    users:
      - {email: ida@wingtip.example, given_name: Ida, role: admin}
      - {email: bo@wingtip.example, given_name: Bo}
    groups:
      - name: Wingtip IT
        members: [bo@wingtip.example]
        role: incident_analyst
    assign:
      - {group: SOC Tier 1, role: incident_responder}   # the template gave it Incident Analyst
groups:
  - name: SOC Tier 1
    members: [kim@northwind.example]
  - name: Escalations
    members: ["group:SOC Tier 2", lee.chen@northwind.example]
users:
  - {email: kim@northwind.example, given_name: Kim}
  - {email: sam.okafor@northwind.example, role: admin}
`

// A file onboards a customer in one batch; applied again it changes nothing;
// an edit to it becomes just that change.
func TestCLIApply(t *testing.T) {
	forEachCLIStore(t, func(t *testing.T, s *cliServer) {
		file := writeFile(t, "northwind.yaml", wingtip)
		apply := func(args ...string) string {
			return s.mustRun(t, s.admin, append([]string{"apply", "-f", file, "--org", "northwind"}, args...)...)
		}
		checks := func(user, capability string) int {
			_, _, code := s.run(s.admin, "check", "--org", "northwind", "--workspace", "wingtip-toys", "--user", user, "--capability", capability)
			return code
		}

		before := s.revision()
		out := apply("--dry-run")
		wantAll(t, "apply --dry-run", out, "+ create workspace \"Wingtip Toys\"", "+ create user ida@wingtip.example in Wingtip Toys",
			"+ assign admin to ida@wingtip.example in Wingtip Toys", "+ create group \"Wingtip IT\" in Wingtip Toys",
			"+ add bo@wingtip.example to group \"Wingtip IT\"", "+ assign incident_analyst to group Wingtip IT",
			"+ assign incident_responder to group SOC Tier 1 in Wingtip Toys", "+ create user kim@northwind.example in the organization",
			"+ add kim@northwind.example to group \"SOC Tier 1\"", "+ add SOC Tier 2 to group \"Escalations\"",
			"~ organization role of sam.okafor@northwind.example: member → admin", "Checked", "nothing was changed")
		if s.revision() != before {
			t.Fatalf("a dry run changed the directory (revision %d → %d)", before, s.revision())
		}
		if _, _, code := s.run(s.admin, "workspaces", "get", "wingtip-toys", "--org", "northwind"); code == 0 {
			t.Fatalf("the dry run created the workspace")
		}

		out = apply()
		wantAll(t, "apply", out, "+ create workspace \"Wingtip Toys\"", "14 change(s) to organization northwind", "Applied 14 change(s)")
		for _, c := range []struct {
			user, capability string
			want             int
		}{
			{"ida@wingtip.example", "workspace.users.add", 0},
			{"bo@wingtip.example", "incidents.view", 0},
			{"bo@wingtip.example", "incidents.close", 1},
			{"kim@northwind.example", "incidents.close", 0}, // SOC Tier 1 responds here
		} {
			if got := checks(c.user, c.capability); got != c.want {
				t.Errorf("check %s %s in wingtip-toys: exit %d, want %d", c.user, c.capability, got, c.want)
			}
		}

		head := s.revision()
		wantAll(t, "apply again", apply(), "Nothing to change")
		if s.revision() != head {
			t.Errorf("applying the same file again changed the directory (revision %d → %d)", head, s.revision())
		}

		// An edit is planned as just that change.
		file = writeFile(t, "edited.yaml", strings.Replace(wingtip, "given_name: Ida, role: admin", "given_name: Ida, role: Incident Analyst", 1))
		out = apply()
		wantAll(t, "apply an edit", out, "1 change(s)", "~ role of ida@wingtip.example in Wingtip Toys: Admin → Incident Analyst", "Applied 1 change(s)")
		if checks("ida@wingtip.example", "workspace.users.add") != 1 {
			t.Errorf("ida still manages users after the edit")
		}
	})
}

// A file the server refuses changes nothing, and the refusal names the
// file's entries; a file apply cannot read or resolve is refused before
// anything is sent.
func TestCLIApplyRefused(t *testing.T) {
	forEachCLIStore(t, func(t *testing.T, s *cliServer) {
		before := s.revision()
		bad := writeFile(t, "bad.json", `{"workspaces": [{"name": "Litware",
			"users": [{"email": "ana@litware.example", "given_name": "Ana", "role": "incident_wizard"}],
			"groups": [{"name": "Litware IT", "role": "incident_analyst"}]}]}`)
		for _, dry := range []bool{true, false} {
			args := []string{"apply", "-f", bad, "--org", "northwind"}
			if dry {
				args = append(args, "--dry-run")
			}
			out, errOut, code := s.run(s.admin, args...)
			if code != 1 {
				t.Fatalf("gatehouse %s: exit %d, want 1\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
			}
			wantAll(t, "the refusal", errOut, "refused and nothing was changed", `workspaces[0] "Litware", users[0] ana@litware.example`, "role")
			if strings.Contains(errOut, "groups[0]") {
				t.Errorf("the refusal names an entry that is fine: %s", errOut)
			}
		}
		if s.revision() != before {
			t.Errorf("a refused file changed the directory (revision %d → %d)", before, s.revision())
		}

		for text, want := range map[string]string{
			"groups: [{name: SOC Tier 1, members: [nobody@northwind.example]}]":            `groups[0] "SOC Tier 1": member nobody@northwind.example is not a user of the organization`,
			"workspaces: [{name: Contoso, assign: [{group: No Such Group, role: admin}]}]": `workspaces[0] "Contoso", assign[0]: the organization has no group No Such Group`,
			"workspaces: [{name: Contoso, colour: blue}]":                                  `unknown field "colour"`,
			"groups: [name: x": "bad.yaml",
		} {
			_, errOut, code := s.run(s.admin, "apply", "-f", writeFile(t, "bad.yaml", text), "--org", "northwind")
			if code != 1 || !strings.Contains(errOut, want) {
				t.Errorf("apply %q: exit %d, stderr %q; want 1 and %q", text, code, errOut, want)
			}
		}
		if s.revision() != before {
			t.Errorf("an unreadable file changed the directory")
		}
	})
}

// The answer to a batch lost on the way back: apply sends the batch again
// with the same Idempotency-Key, and the server applies it once.
func TestCLIApplyRetriesALostAnswer(t *testing.T) {
	s := startCLIServer(t)
	target, _ := url.Parse(s.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var sent atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/batch") || sent.Add(1) > 1 {
			proxy.ServeHTTP(w, r)
			return
		}
		// Deliver the first batch, then hang up before the answer.
		proxy.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer front.Close()

	file := writeFile(t, "northwind.yaml", wingtip)
	before := s.revision()
	var out, errOut bytes.Buffer
	if code := execute([]string{"apply", "-f", file, "--org", "northwind", "--server", front.URL, "--key", s.admin}, &out, &errOut); code != 0 {
		t.Fatalf("apply through a lossy link: exit %d\nstderr: %s", code, errOut.String())
	}
	wantAll(t, "apply", out.String(), "Applied 14 change(s)")
	if sent.Load() != 2 {
		t.Errorf("the batch was sent %d times, want 2 (one answer lost)", sent.Load())
	}
	// Applied once: the same writes as one run on a fresh server make.
	if got, want := s.revision()-before, applyOnce(t); got != want {
		t.Errorf("the lossy apply wrote %d revisions, one apply writes %d", got, want)
	}
}

// applyOnce applies wingtip to a fresh server and says how many revisions it wrote.
func applyOnce(t *testing.T) gh.Revision {
	s := startCLIServer(t)
	before := s.revision()
	s.mustRun(t, s.admin, "apply", "-f", writeFile(t, "northwind.yaml", wingtip), "--org", "northwind")
	return s.revision() - before
}
