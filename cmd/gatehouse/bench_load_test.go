package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
)

// TestBenchLoad loads the small directory into an empty server of each
// store through the API, in batches small enough that workspaces span
// several: the server must hold as many objects of each kind as the dataset
// and answer every check as the dataset does.
func TestBenchLoad(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			url := startBenchServer(t, store(t))
			var out, errOut bytes.Buffer
			args := []string{"bench", "load", "--url", url, "--key", benchOperatorKey, "--profile", "small",
				"--batch", "20", "--concurrency", "3", "--checks", "1500", "--json"}
			if code := execute(args, &out, &errOut); code != 0 {
				t.Fatalf("gatehouse bench load: exit %d, want 0\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
			}
			var res loadResult
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("bench load --json: %v\n%s", err, out.String())
			}
			if diff := cmp.Diff(res.Want, res.Got); diff != "" || len(res.Want) != len(loadKinds) {
				t.Errorf("objects on the server (-dataset +server):\n%s", diff)
			}
			if res.Checks != 1500 || res.Wrong != 0 || res.CheckErrors != 0 {
				t.Errorf("%d checks, %d wrong, %d errors: want 1500 checks answered as the dataset does", res.Checks, res.Wrong, res.CheckErrors)
			}
			if res.Operations != res.Want["users"]+res.Want["groups"]+res.Want["memberships"]+res.Want["roles"]+res.Want["assignments"]+res.Want["workspaces"]-res.Want["orgs"] {
				t.Errorf("%d operations for %v: want one per object but the organizations and their first admins", res.Operations, res.Want)
			}
		})
	}
}

// TestBenchLoadVerifierFindsDifferences loads the small directory, takes a
// user out of a group behind the loader's back and verifies: the count of
// memberships must differ, so a clean verification means something.
func TestBenchLoadVerifierFindsDifferences(t *testing.T) {
	url := startBenchServer(t, filepath.Join(t.TempDir(), "g.db"))
	ctx := context.Background()
	c := loadBenchConfig{url: url, key: benchOperatorKey, profile: "small", seed: 1, batch: 100, concurrency: 2, checks: 500}
	snap := dataset.Build(dataset.Profiles[c.profile], c.seed)
	l := newLoader(snap, c)
	if err := l.load(ctx); err != nil {
		t.Fatal(err)
	}
	var m *gh.Membership
	for _, x := range snap.Memberships {
		if x.Member.Type == gh.PrincipalUser {
			m = x
			break
		}
	}
	org, g := snap.Orgs[0].ID, l.groups[m.Group]
	path := "/v1/orgs/" + l.ids[string(g.Org)]
	if g.Workspace != "" {
		path += "/workspaces/" + l.ids[string(g.Workspace)]
	}
	path += "/groups/" + l.ids[string(g.ID)] + "/members/user/" + l.ids[m.Member.ID]
	if err := l.admins[org].Do(ctx, "DELETE", path, nil, nil); err != nil {
		t.Fatal(err)
	}
	res := &loadResult{}
	if err := l.verify(ctx, res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.CountsDifferFrom, []string{"memberships"}) || res.Got["memberships"] != res.Want["memberships"]-1 {
		t.Errorf("counts differ in %v (%v, want %v): want memberships, one short", res.CountsDifferFrom, res.Got, res.Want)
	}
	if res.failure() == nil {
		t.Error("the verification passed, want a failure")
	}
}
