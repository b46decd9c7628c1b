package sso_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sqlite"
	"gatehouse.dev/gatehouse/sso"
	"gatehouse.dev/gatehouse/ssotest"
)

// The cost of a sign-in through a provider, round trip included: the
// start (a vault ceremony), the provider's own login (a real peer on
// loopback), and the finish — the protocol's checks, the directory's
// federation change and the session, committed to a SQLite file.
//
//	go test -run XXX -bench SignIn -benchtime 300x ./sso/

type bench struct {
	ctx   context.Context
	svc   *sso.Service
	scope directory.Scope
}

func newBench(b *testing.B) *bench {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "sso.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := dir.Load(ctx); err != nil {
		b.Fatal(err)
	}
	sys := directory.SystemActor("bench")
	o, _, _, err := dir.CreateOrg(ctx, sys, directory.OrgInput{Name: "Partner", Slug: "partner",
		Admin: directory.UserInput{Email: "admin@partner.example", GivenName: "A"}})
	if err != nil {
		b.Fatal(err)
	}
	si := signin.New(dir, store, signin.Config{Params: auth.FastParams, PublicURL: "http://gatehouse.test"}, nil)
	svc := sso.New(dir, si, sso.Config{PublicURL: "http://gatehouse.test"}, nil)
	return &bench{ctx: ctx, svc: svc, scope: directory.Scope{Org: o}}
}

// people adds n people to the provider: each signs in once per round, so
// no one person's sign-in allowance is what the benchmark measures.
const people = 100

func BenchmarkOIDCSignIn(b *testing.B) {
	x := newBench(b)
	op := ssotest.NewOP(b)
	for i := range people {
		op.AddUser(fmt.Sprint("p", i), "pw", fmt.Sprintf("p%d@partner.example", i), true, "P", []string{"soc"})
	}
	pv, _, err := x.svc.Create(x.ctx, directory.SystemActor("bench"), x.scope, sso.ProviderInput{Type: gh.ProviderOIDC,
		Name: "Entra", Issuer: op.Issuer(), ClientID: "pending", JIT: true})
	if err != nil {
		b.Fatal(err)
	}
	id, secret := op.AddClient(x.svc.CallbackURL(pv.ID))
	in := sso.ProviderInput{Type: gh.ProviderOIDC, Name: "Entra", Issuer: op.Issuer(), ClientID: id, ClientSecret: secret, JIT: true}
	if _, _, err := x.svc.Replace(x.ctx, directory.SystemActor("bench"), x.scope, pv.ID, in, 0); err != nil {
		b.Fatal(err)
	}
	br := ssotest.NewBrowser(b)
	var ours time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		to, err := x.svc.Start(x.ctx, pv.ID, "", "browser-key")
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		back, err := br.AuthorizeAt(to, fmt.Sprint("p", i%people), "pw")
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if _, err := x.svc.FinishOIDC(x.ctx, pv.ID, back.Query(), "browser-key", client(i)); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
	}
	reportOurs(b, ours)
}

// reportOurs reports the part of each sign-in spent in Gatehouse (start
// and finish, the finish's calls to the provider's token endpoint
// included), apart from the person's time at the provider.
func reportOurs(b *testing.B, d time.Duration) {
	b.ReportMetric(float64(d.Microseconds())/float64(b.N)/1000, "gatehouse-ms/op")
}

func BenchmarkSAMLSignIn(b *testing.B) {
	x := newBench(b)
	idp := ssotest.NewIdP(b)
	for i := range people {
		idp.AddUser(fmt.Sprint("p", i), "pw", fmt.Sprintf("p%d@partner.example", i), []string{"soc"})
	}
	pv, _, err := x.svc.Create(x.ctx, directory.SystemActor("bench"), x.scope, sso.ProviderInput{Type: gh.ProviderSAML,
		Name: "ADFS", MetadataXML: string(idp.MetadataXML()), Attributes: gh.ClaimMap{Groups: ssotest.GroupsAttribute}, JIT: true})
	if err != nil {
		b.Fatal(err)
	}
	md, err := x.svc.Metadata(x.ctx, pv.ID)
	if err != nil {
		b.Fatal(err)
	}
	idp.AddSP(md)
	var ours time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		to, err := x.svc.Start(x.ctx, pv.ID, "", "browser-key")
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		// A browser of its own each time: the IdP would otherwise answer
		// from the session of the person before.
		post, err := ssotest.NewBrowser(b).CaptureSAMLAt(to, fmt.Sprint("p", i%people), "pw")
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if _, err := x.svc.FinishSAML(x.ctx, pv.ID, post.SAMLResponse, post.RelayState, "browser-key", client(i)); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
	}
	reportOurs(b, ours)
}

// client is a browser at its own address: sign-in allowances are per address.
func client(i int) signin.Client {
	return signin.Client{IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), UserAgent: "bench"}
}
