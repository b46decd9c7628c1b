package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestBenchSCIM runs the SCIM load tool on a small directory on both
// stores: every user, group and membership must be found afterwards.
func TestBenchSCIM(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			url := startBenchServer(t, store(t))
			var out, errOut bytes.Buffer
			args := []string{"bench", "scim", "--url", url, "--setup", "--key", benchOperatorKey,
				"--users", "60", "--groups", "5", "--chunk", "7", "--concurrency", "4", "--json"}
			if code := execute(args, &out, &errOut); code != 0 {
				t.Fatalf("gatehouse bench scim: exit %d, want 0\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
			}
			var res scimResult
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("bench scim --json: %v\n%s", err, out.String())
			}
			if res.UsersFound != 60 || res.GroupsFound != 5 || res.MembershipsSeen != res.Memberships || res.Memberships < 60 {
				t.Fatalf("found %d users, %d groups, %d of %d memberships: want 60, 5 and all", res.UsersFound, res.GroupsFound, res.MembershipsSeen, res.Memberships)
			}
			for _, k := range []string{"user.get", "user.post", "group.get", "group.post", "group.patch"} {
				if res.Requests[k].N == 0 {
					t.Errorf("no %s requests timed: %v", k, res.Requests)
				}
			}
		})
	}
}

// TestBenchSCIMPropagation runs the propagation tool on two nodes of one
// PostgreSQL database.
func TestBenchSCIMPropagation(t *testing.T) {
	dsn := testStores["postgres"](t)
	a, b := startBenchServer(t, dsn), startBenchServer(t, dsn)
	var out, errOut bytes.Buffer
	args := []string{"bench", "scim-propagation", "--url", a, "--url-b", b, "--setup", "--key", benchOperatorKey, "-n", "5", "--json"}
	if code := execute(args, &out, &errOut); code != 0 {
		t.Fatalf("gatehouse bench scim-propagation: exit %d, want 0\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
	}
	var res propagationResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bench scim-propagation --json: %v\n%s", err, out.String())
	}
	if res.N != 5 || res.P50ms <= 0 || res.MaxMs < res.P50ms {
		t.Fatalf("result %+v: want 5 timed deactivations", res)
	}
}
