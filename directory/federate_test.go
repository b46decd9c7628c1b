package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// federationWorld is a partner with two customers, a provider in each home
// and groups that follow them, for the federation tests.
type federationWorld struct {
	ctx       context.Context
	d         *directory.Directory
	sys       *directory.Actor
	org       *gh.Org
	acme, glx *gh.Workspace
	pOrg      *gh.IdentityProvider // the partner's provider
	pAcme     *gh.IdentityProvider // acme's provider: creates accounts
	pGlx      *gh.IdentityProvider // globex's provider: existing accounts only
	emails    []string             // every address of every home, and some new ones
}

func newFederationWorld(t *testing.T, store gh.Store) *federationWorld {
	t.Helper()
	d, sys, o, _ := openWithOrg(t, store, "partner")
	w := &federationWorld{ctx: context.Background(), d: d, sys: sys, org: o}
	orgScope := directory.Scope{Org: o}
	for i, name := range []string{"Acme", "Globex"} {
		ws, _, err := d.CreateWorkspace(w.ctx, sys, o, directory.WorkspaceInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		*[]**gh.Workspace{&w.acme, &w.glx}[i] = ws
	}
	w.pOrg = w.provider(t, orgScope, "Partner Entra", true)
	w.pAcme = w.provider(t, w.scope(w.acme), "Acme Okta", true)
	w.pGlx = w.provider(t, w.scope(w.glx), "Globex ADFS", false)
	// The same addresses live in several homes: a customer's provider
	// naming the partner's staff must find only its own people.
	for _, h := range []*gh.Workspace{nil, w.acme, w.glx} {
		for _, local := range []string{"nina", "omar"} {
			w.user(t, h, local+"@partner.example")
		}
	}
	w.user(t, w.acme, "ann@acme.example")
	w.user(t, w.glx, "gus@globex.example")
	w.emails = append(w.emails, "admin@partner.example", "nina@partner.example", "omar@partner.example",
		"ann@acme.example", "gus@globex.example", "new@partner.example", "new@acme.example")
	// Groups of each home follow their home's provider; all use the same
	// external values, so a value alone can never cross homes.
	admins := w.group(t, orgScope, "Partner SOC", gh.ExternalGroup{Provider: w.pOrg.ID, Value: "soc"})
	w.assign(t, w.acme, gh.GroupPrincipal(admins.ID), gh.RoleAdmin)
	w.assign(t, w.glx, gh.GroupPrincipal(admins.ID), gh.RoleAdmin)
	acmeSOC := w.group(t, w.scope(w.acme), "Acme SOC", gh.ExternalGroup{Provider: w.pAcme.ID, Value: "soc"})
	w.assign(t, w.acme, gh.GroupPrincipal(acmeSOC.ID), gh.RoleIncidentAnalyst)
	glxSOC := w.group(t, w.scope(w.glx), "Globex SOC", gh.ExternalGroup{Provider: w.pGlx.ID, Value: "soc"})
	w.assign(t, w.glx, gh.GroupPrincipal(glxSOC.ID), gh.RoleIncidentAnalyst)
	return w
}

func (w *federationWorld) scope(ws *gh.Workspace) directory.Scope {
	return directory.Scope{Org: w.org, Workspace: ws}
}

func (w *federationWorld) provider(t *testing.T, sc directory.Scope, name string, jit bool) *gh.IdentityProvider {
	t.Helper()
	p := &gh.IdentityProvider{ID: gh.ProviderID(gh.NewID("idp")), Type: gh.ProviderOIDC, Name: name, JIT: jit,
		OIDC: &gh.OIDCSettings{Issuer: "https://login.example/" + gh.Slugify(name), ClientID: "gatehouse"}}
	if _, err := w.d.CreateProvider(w.ctx, w.sys, sc, p, ""); err != nil {
		t.Fatal(err)
	}
	return w.d.Provider(p.ID)
}

func (w *federationWorld) user(t *testing.T, ws *gh.Workspace, email string) {
	t.Helper()
	if _, _, err := w.d.CreateUser(w.ctx, w.sys, w.scope(ws), directory.UserInput{Email: email, GivenName: "P"}); err != nil {
		t.Fatal(err)
	}
}

func (w *federationWorld) group(t *testing.T, sc directory.Scope, name string, ext gh.ExternalGroup) *gh.Group {
	t.Helper()
	g, _, err := w.d.CreateGroup(w.ctx, w.sys, sc, directory.GroupInput{Name: name, External: []gh.ExternalGroup{ext}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (w *federationWorld) assign(t *testing.T, ws *gh.Workspace, p gh.Principal, r gh.RoleID) {
	t.Helper()
	if _, _, _, err := w.d.Assign(w.ctx, w.sys, w.scope(ws), p, string(r)); err != nil {
		t.Fatal(err)
	}
}

// federate runs one sign-in's directory change, as the sign-in service does.
func (w *federationWorld) federate(p *gh.IdentityProvider, as *gh.Assertion) (*directory.Federation, error) {
	var f *directory.Federation
	_, err := w.d.Change(w.ctx, directory.ProviderActor(p, gh.Source{Via: "test"}), func(ch *directory.Change) error {
		var err error
		f, err = ch.Federate(p, as)
		return err
	})
	return f, err
}

// outside renders everything of the organization outside home h: its
// users, its groups and their members. A provider of h must never change it.
func (w *federationWorld) outside(h gh.Home) string {
	idx := w.d.Index()
	var b strings.Builder
	for _, ws := range []gh.WorkspaceID{"", w.acme.ID, w.glx.ID} {
		if ws == h.Workspace {
			continue
		}
		us, _ := idx.UsersPage(w.org.ID, ws, "", 1000, func(*gh.User) bool { return true })
		for _, u := range us {
			j, _ := json.Marshal(u)
			b.Write(j)
		}
		for _, g := range idx.GroupsIn(gh.Home{Org: w.org.ID, Workspace: ws}, func(*gh.Group) bool { return true }) {
			fmt.Fprintf(&b, "%s:", g.ID)
			for _, m := range idx.Members(g.ID) {
				b.WriteString(m.Key() + ",")
			}
		}
	}
	return b.String()
}

// TestFederationStaysInItsHome signs random people in through random
// providers, each assertion naming addresses and group values of every home
// (the partner's staff, another customer's), and holds the invariant after
// every one: a provider finds, links and creates users of its own home
// only, changes membership only of its home's groups, and leaves everything
// else as it was; no workspace user reaches past its workspace.
func TestFederationStaysInItsHome(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			seed := rand.Uint64()
			rng := rand.New(rand.NewPCG(seed, 7))
			t.Logf("seed %d", seed)
			providers := []*gh.IdentityProvider{w.pAcme, w.pAcme, w.pGlx, w.pOrg}
			values := []string{"soc", "SOC", "admins", "unknown", " soc "}
			admitted := 0
			for i := range 300 {
				p := providers[rng.IntN(len(providers))]
				as := &gh.Assertion{Subject: fmt.Sprintf("sub-%d", rng.IntN(8)), Email: w.emails[rng.IntN(len(w.emails))],
					EmailVerified: rng.IntN(4) != 0, MFA: rng.IntN(2) == 0}
				for _, v := range values {
					if rng.IntN(2) == 0 {
						as.Groups = append(as.Groups, v)
					}
				}
				before := w.outside(p.Home)
				f, err := w.federate(p, as)
				var rj *gh.Rejection
				if err != nil && !errors.As(err, &rj) {
					t.Fatalf("step %d: %v", i, err)
				}
				if after := w.outside(p.Home); after != before {
					t.Fatalf("step %d: provider %s of %v changed something outside its home\nbefore %s\nafter  %s", i, p.Name, p.Home, before, after)
				}
				if err != nil {
					continue
				}
				admitted++
				if f.User.Home != p.Home {
					t.Fatalf("step %d: provider of %v signed in %s of %v", i, p.Home, f.User.Email, f.User.Home)
				}
				for _, g := range slices.Concat(f.Joined, f.Left) {
					if g.Home != p.Home {
						t.Fatalf("step %d: provider of %v changed group %s of %v", i, p.Home, g.Name, g.Home)
					}
				}
				w.noneReachesOut(t, i)
			}
			if admitted < 50 {
				t.Fatalf("only %d of 300 sign-ins were admitted: the test exercised too little", admitted)
			}
		})
	}
}

// noneReachesOut checks that no workspace user holds anything outside its workspace.
func (w *federationWorld) noneReachesOut(t *testing.T, step int) {
	idx := w.d.Index()
	for _, ws := range []*gh.Workspace{w.acme, w.glx} {
		us, _ := idx.UsersPage(w.org.ID, ws.ID, "", 1000, func(*gh.User) bool { return true })
		for _, u := range us {
			for _, other := range []*gh.Workspace{w.acme, w.glx} {
				if other.ID != ws.ID && len(idx.Effective(u.ID, other.ID)) > 0 {
					t.Fatalf("step %d: %s of %s reaches %s", step, u.Email, ws.Name, other.Name)
				}
			}
		}
	}
}

// TestGroupsFollowOnlyTheirHomesProviders refuses an external reference to
// a provider of another home: a customer's provider can never steer a
// partner group, nor one customer's another's.
func TestGroupsFollowOnlyTheirHomesProviders(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			cases := []struct {
				name string
				sc   directory.Scope
				p    *gh.IdentityProvider
			}{
				{"org group, customer's provider", directory.Scope{Org: w.org}, w.pAcme},
				{"customer group, partner's provider", w.scope(w.acme), w.pOrg},
				{"customer group, other customer's provider", w.scope(w.acme), w.pGlx},
			}
			for _, c := range cases {
				_, _, err := w.d.CreateGroup(w.ctx, w.sys, c.sc, directory.GroupInput{Name: "x " + c.name,
					External: []gh.ExternalGroup{{Provider: c.p.ID, Value: "soc"}}})
				if e := gh.AsError(err); e == nil || e.Fields["external[0].provider_id"] == "" {
					t.Errorf("%s: want a field error on external[0].provider_id, got %v", c.name, err)
				}
			}
		})
	}
}

// TestFederationMatchesAndLinks covers the matching rules: subject first,
// then a verified email (linking the account), never an unverified one;
// an account linked to another subject is not taken over; a provider that
// does not create accounts admits only existing ones; a disabled user is
// refused; mapped groups are set to exactly what was asserted.
func TestFederationMatchesAndLinks(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			w := newFederationWorld(t, store)
			check := func(what string, p *gh.IdentityProvider, as gh.Assertion, want string) *directory.Federation {
				t.Helper()
				f, err := w.federate(p, &as)
				var rj *gh.Rejection
				switch {
				case want == "" && err != nil:
					t.Fatalf("%s: %v", what, err)
				case want != "" && (!errors.As(err, &rj) || rj.Check != want):
					t.Fatalf("%s: want refusal %q, got %v", what, want, err)
				}
				return f
			}
			check("unverified email", w.pAcme, gh.Assertion{Subject: "a1", Email: "ann@acme.example"}, "email_unverified")
			f := check("verified email links", w.pAcme, gh.Assertion{Subject: "a1", Email: "ann@acme.example", EmailVerified: true, Groups: []string{"soc"}}, "")
			if !f.Linked || len(f.Joined) != 1 || f.Joined[0].Name != "Acme SOC" {
				t.Fatalf("link: %+v", f)
			}
			check("another subject, same email", w.pAcme, gh.Assertion{Subject: "a2", Email: "ann@acme.example", EmailVerified: true}, "subject_mismatch")
			f = check("by subject, groups gone", w.pAcme, gh.Assertion{Subject: "a1", Email: "changed@acme.example"}, "")
			if f.Linked || f.User.Email != "ann@acme.example" || len(f.Left) != 1 {
				t.Fatalf("by subject: %+v", f)
			}
			check("existing only", w.pGlx, gh.Assertion{Subject: "g9", Email: "stranger@globex.example", EmailVerified: true}, "no_account")
			f = check("overage leaves groups alone", w.pAcme, gh.Assertion{Subject: "a1", GroupsOverage: true}, "")
			if !f.GroupsUnknown || len(f.Joined)+len(f.Left) != 0 {
				t.Fatalf("overage: %+v", f)
			}
			ann := w.d.Index().UserByEmail(w.pAcme.Home, "ann@acme.example")
			off := gh.StatusDisabled
			if _, _, err := w.d.UpdateUser(w.ctx, w.sys, w.scope(w.acme), ann.ID, directory.UserPatch{Status: &off}, 0); err != nil {
				t.Fatal(err)
			}
			check("disabled", w.pAcme, gh.Assertion{Subject: "a1"}, "user_disabled")
			f = check("JIT", w.pAcme, gh.Assertion{Subject: "n1", Email: "Zoe@Partner.Example", Name: "Zoe Berg", Groups: []string{"soc", "nope"}}, "")
			if !f.Created || f.User.Workspace != w.acme.ID || f.User.GivenName != "Zoe" || len(f.Unmapped) != 1 {
				t.Fatalf("JIT: %+v", f)
			}
		})
	}
}
