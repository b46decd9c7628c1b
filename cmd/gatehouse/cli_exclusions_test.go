package main

import (
	"strings"
	"testing"
)

// TestCLIExclusions: an Org Admin keeps an analyst off one customer by
// email; check and explain say so; the list shows it; lifting gives the
// access back; a bad capability is a clear error.
func TestCLIExclusions(t *testing.T) {
	s := startCLIServer(t)
	ws := []string{"--org", "northwind", "--workspace", "contoso"}
	check := append([]string{"check", "--user", "lee.chen@northwind.example", "--capability", "incidents.close"}, ws...)
	s.mustRun(t, s.admin, check...)

	if _, errOut, code := s.run(s.admin, append([]string{"exclusions", "add", "--email", "lee.chen@northwind.example", "--capability", "no.such"}, ws...)...); code == 0 || !strings.Contains(errOut, "no such workspace capability") {
		t.Fatalf("bad capability: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := s.run(s.admin, append([]string{"exclusions", "add"}, ws...)...); code != 2 || !strings.Contains(errOut, "--user, --group or --email") {
		t.Fatalf("nobody named: exit %d, stderr %q", code, errOut)
	}
	out := s.mustRun(t, s.admin, append([]string{"exclusions", "add", "--email", "lee.chen@northwind.example", "--capability", "incidents.close", "--reason", "customer request"}, ws...)...)
	wantAll(t, "exclusions add", out, "Excluded email lee.chen@northwind.example from incidents.close", "set by the organization")
	id := out[strings.Index(out, "exclusion exc_")+len("exclusion ") : strings.Index(out, ", set by")]

	if _, _, code := s.run(s.admin, check...); code != 1 {
		t.Fatalf("check after the exclusion: exit %d, want 1 (denied)", code)
	}
	out, _, _ = s.run(s.admin, append([]string{"explain", "--user", "lee.chen@northwind.example", "--capability", "incidents.close"}, ws...)...)
	wantAll(t, "explain", out, "exclusion "+id, "customer request", "an Organization Admin may lift")
	out = s.mustRun(t, s.admin, append([]string{"exclusions", "list"}, ws...)...)
	wantAll(t, "exclusions list", out, "email lee.chen@northwind.example", "incidents.close", "organization", id)

	s.mustRun(t, s.admin, append([]string{"exclusions", "lift", id}, ws...)...)
	s.mustRun(t, s.admin, check...)
}
