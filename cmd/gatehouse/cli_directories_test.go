package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestCLIDirectories connects a SCIM directory from the CLI, reads its
// token once, makes and revokes another, and disconnects it; bad input is
// a usage error that changes nothing.
func TestCLIDirectories(t *testing.T) {
	s := startCLIServerOn(t, testStores["sqlite"](t))
	if _, stderr, code := s.run(s.admin, "directories", "add", "--type", "scim", "--org", "northwind"); code != 2 || !strings.Contains(stderr, "--name is required") {
		t.Fatalf("add without a name = %d %q, want 2 and the reason", code, stderr)
	}
	if _, stderr, code := s.run(s.admin, "directories", "add", "--type", "ldap", "--name", "AD", "--org", "northwind"); code != 2 || !strings.Contains(stderr, "--url and --base-dn") {
		t.Fatalf("an LDAP directory without its server = %d %q, want 2", code, stderr)
	}
	out, stderr, code := s.run(s.admin, "directories", "add", "--type", "scim", "--name", "Entra provisioning", "--org", "northwind")
	if code != 0 || !strings.Contains(out, "SCIM base URL") || !strings.Contains(out, "ghs_") {
		t.Fatalf("add = %d %q %q, want the SCIM base URL and a token", code, out, stderr)
	}
	id := regexp.MustCompile(`dir_[0-9a-z]+`).FindString(out)
	if out, _, _ := s.run(s.admin, "directories", "show", id, "--org", "northwind"); strings.Contains(out, "ghs_") {
		t.Fatalf("show prints the token again:\n%s", out)
	}
	out, _, code = s.run(s.admin, "directories", "token", id, "--org", "northwind")
	tok := regexp.MustCompile(`tok_[0-9a-z]+`).FindString(out)
	if code != 0 || tok == "" || !strings.Contains(out, "ghs_") {
		t.Fatalf("token = %d %q", code, out)
	}
	if out, _, _ := s.run(s.admin, "directories", "tokens", id, "--org", "northwind"); strings.Count(out, "tok_") != 2 {
		t.Fatalf("tokens:\n%s\nwant two", out)
	}
	if _, stderr, code := s.run(s.admin, "directories", "revoke", id, tok, "--org", "northwind"); code != 0 {
		t.Fatalf("revoke = %d %s", code, stderr)
	}
	if out, _, _ := s.run(s.admin, "directories", "history", id, "--org", "northwind"); !strings.Contains(out, "directory.token.revoke") {
		t.Fatalf("history:\n%s\nwant the revocation", out)
	}
	if _, stderr, code := s.run(s.admin, "directories", "sync", id, "--org", "northwind"); code == 0 || !strings.Contains(stderr, "only LDAP directories are synced") {
		t.Fatalf("sync of a SCIM directory = %d %q, want a clear refusal", code, stderr)
	}
	if _, stderr, code := s.run(s.admin, "directories", "remove", id, "--org", "northwind"); code != 0 {
		t.Fatalf("remove = %d %s", code, stderr)
	}
	if out, _, _ := s.run(s.admin, "directories", "list", "--org", "northwind"); !strings.Contains(out, "No directories") {
		t.Fatalf("list after remove:\n%s", out)
	}
}
