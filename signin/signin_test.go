package signin_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sqlite"
)

// TestFailedSignInsTakeTheFloor checks the timing promise the only way that
// does not depend on the machine: every kind of failure takes at least the
// floor, so the cheapest one (an unknown email) cannot be told from the
// dearest (a known account's failure, which is also written down).
func TestFailedSignInsTakeTheFloor(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := dir.Load(ctx); err != nil {
		t.Fatal(err)
	}
	const floor = 120 * time.Millisecond
	svc := signin.New(dir, store, signin.Config{Params: auth.FastParams, FailureFloor: floor}, nil)
	sys := directory.SystemActor("test")
	o, admin, _, err := dir.CreateOrg(ctx, sys, directory.OrgInput{Name: "Acme", Slug: "acme",
		Admin: directory.UserInput{Email: "admin@acme.example", GivenName: "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := directory.Scope{Org: o}
	if _, err := svc.SetPassword(ctx, sys, sc, admin.ID, signin.SetPasswordInput{Password: "a sturdy passphrase 42"}); err != nil {
		t.Fatal(err)
	}
	off, _, err := dir.CreateUser(ctx, sys, sc, directory.UserInput{Email: "off@acme.example", GivenName: "Off"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPassword(ctx, sys, sc, off.ID, signin.SetPasswordInput{Password: "a sturdy passphrase 43"}); err != nil {
		t.Fatal(err)
	}
	disabled := gh.StatusDisabled
	if _, _, err := dir.UpdateUser(ctx, sys, sc, off.ID, directory.UserPatch{Status: &disabled}, 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   signin.LoginInput
	}{
		{"unknown organization", signin.LoginInput{Org: "nope", Email: "admin@acme.example", Password: "x"}},
		{"unknown email", signin.LoginInput{Org: "acme", Email: "ghost@acme.example", Password: "x"}},
		{"wrong password", signin.LoginInput{Org: "acme", Email: "admin@acme.example", Password: "wrong"}},
		{"disabled account", signin.LoginInput{Org: "acme", Email: "off@acme.example", Password: "a sturdy passphrase 43"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := svc.Login(ctx, c.in, signin.Client{IP: "192.0.2." + string(rune('1'+i))})
			took := time.Since(start)
			if e := gh.AsError(err); e.Code != "invalid_credentials" {
				t.Fatalf("Login = %v, want invalid_credentials", err)
			}
			if took < floor {
				t.Errorf("failure took %v, want at least the floor %v", took, floor)
			}
		})
	}
	if _, err := svc.Login(ctx, signin.LoginInput{Org: "acme", Email: "admin@acme.example", Password: "a sturdy passphrase 42"}, signin.Client{IP: "192.0.2.9"}); err != nil {
		t.Errorf("the right password: %v", err)
	}
}
