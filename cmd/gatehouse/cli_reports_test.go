package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// post sends a JSON body with an optional key and returns the status.
func (s *cliServer) post(t *testing.T, key, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestCLIReports(t *testing.T) {
	s := startCLIServer(t)
	org := []string{"--org", "northwind"}
	sam := s.m.Directory().Index().UsersByEmail(s.m.Directory().Index().OrgBySlug("northwind").ID, "sam.okafor@northwind.example")[0]
	const pw = "Tangerine-Harbor-42"
	if st := s.post(t, s.admin, "/v1/orgs/northwind/users/"+string(sam.ID)+"/password", map[string]any{"password": pw}); st != 200 {
		t.Fatalf("set password = %d", st)
	}
	login := map[string]any{"org": "northwind", "email": sam.Email, "password": pw}
	if st := s.post(t, "", "/v1/login", login); st != 200 {
		t.Fatalf("sign in = %d, want 200", st)
	}
	login["password"] = "not the password at all"
	if st := s.post(t, "", "/v1/login", login); st != 401 {
		t.Fatalf("wrong password = %d, want 401", st)
	}

	out := s.mustRun(t, s.admin, append([]string{"reports", "user", sam.Email}, org...)...)
	wantAll(t, "reports user", out, "sam.okafor@northwind.example (Sam Okafor)", "Sign-ins in the period: 1, failed: 1.", "user.create", "No API keys.")
	out = s.mustRun(t, s.admin, append([]string{"reports", "user", sam.Email, "--csv"}, org...)...)
	wantAll(t, "reports user --csv", out, "section,time,item,by,detail\n", "sign_ins,,1,,1 failed")
	out = s.mustRun(t, s.admin, append([]string{"reports", "workspace", "-w", "contoso"}, org...)...)
	wantAll(t, "reports workspace", out, "ROLE", "VIA", "SINCE", "IT Admin                it-admin@contoso.example       Admin               directly", "LAST SIGN-IN")
	out = s.mustRun(t, s.admin, append([]string{"reports", "inactive", "--days", "1"}, org...)...)
	wantAll(t, "reports inactive", out, "No inactive accounts.")
	out = s.mustRun(t, s.admin, append([]string{"users", "bulk", "--filter", "inactive_days=1", "--action", "disable", "--preview"}, org...)...)
	if strings.Contains(out, "would_change") {
		t.Errorf("bulk inactive_days=1 on accounts made today would change someone:\n%s", out)
	}
	if _, errOut, code := s.run(s.admin, append([]string{"reports", "inactive", "--days", "0"}, org...)...); code == 0 || !strings.Contains(errOut, "days") {
		t.Errorf("reports inactive --days 0: exit %d, stderr %q; want a failure naming days", code, errOut)
	}
	if _, errOut, code := s.run(s.admin, append([]string{"reports", "workspace"}, org...)...); code == 0 || !strings.Contains(errOut, "--workspace") {
		t.Errorf("reports workspace without a workspace: exit %d, stderr %q", code, errOut)
	}
}
