package main

import (
	"context"
	"fmt"
	"io"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// demoSlug is the demo organization's slug; its presence means the demo was seeded.
const demoSlug = "northwind"

// seedDemo fills the store with a demo partner, unless it is there already:
// the recommended partner groups, three customers onboarded through a
// template, partner and customer users, a nested group and a custom role.
// Everything goes through the directory, so it is validated and audited like any change.
func seedDemo(ctx context.Context, d *directory.Directory, sign *signin.Service, out io.Writer, addr, store string) error {
	if d.Index().OrgBySlug(demoSlug) != nil {
		fmt.Fprintf(out, demoAgain, demoSlug, addr, demoSlug, startOver(store))
		return nil
	}
	s := &seeder{ctx: ctx, d: d, a: directory.SystemActor("demo")}
	org, admin := s.org()
	o := directory.Scope{Org: org}

	groups := map[string]*gh.Group{}
	for _, name := range []string{"SOC Tier 1", "SOC Tier 2", "SOC Managers", "Integration Engineers", "Account Managers", "Night Shift"} {
		groups[name] = s.group(o, name)
	}
	s.member(o, groups["SOC Tier 1"], gh.GroupPrincipal(groups["Night Shift"].ID)) // nested: Night Shift analysts are Tier 1

	partner := []struct{ email, given, family, title, group string }{
		{"maria.lopez@northwind.example", "Maria", "Lopez", "SOC Manager", "SOC Managers"},
		{"sam.okafor@northwind.example", "Sam", "Okafor", "SOC Analyst", "SOC Tier 1"},
		{"lee.chen@northwind.example", "Lee", "Chen", "Senior SOC Analyst", "SOC Tier 2"},
		{"nina.berg@northwind.example", "Nina", "Berg", "Night Shift Analyst", "Night Shift"},
		{"omar.haddad@northwind.example", "Omar", "Haddad", "Integration Engineer", "Integration Engineers"},
		{"julia.ross@northwind.example", "Julia", "Ross", "Account Manager", "Account Managers"},
	}
	for _, p := range partner {
		u := s.user(o, directory.UserInput{Email: p.email, GivenName: p.given, FamilyName: p.family, JobTitle: p.title})
		s.member(o, groups[p.group], gh.UserPrincipal(u.ID))
	}

	viewer := s.role(o, directory.RoleInput{Name: "Customer Viewer", Description: "Read-only view of incidents and settings for customer stakeholders",
		Grants: map[gh.Capability]gh.Level{"incidents.view": gh.LevelFull, "incidents.details.view": gh.LevelFull, gh.CapSettingsView: gh.LevelLimited}})

	entries := []directory.TemplateEntryInput{
		{Group: groups["SOC Tier 1"].ID, Role: string(gh.RoleIncidentAnalyst)},
		{Group: groups["SOC Tier 2"].ID, Role: string(gh.RoleIncidentResponder)},
		{Group: groups["SOC Managers"].ID, Role: string(gh.RoleAdmin)},
		{Group: groups["Integration Engineers"].ID, Role: string(gh.RoleDataSourceAdmin)},
		{Group: groups["Account Managers"].ID, Role: string(gh.RoleIncidentAnalyst)},
	}
	if _, _, err := d.CreateTemplate(ctx, s.a, org, directory.TemplateInput{Name: "Standard onboarding", AutoApply: true,
		Description: "The recommended partner groups and their roles in every new customer", Entries: entries}); err != nil {
		return err
	}

	for _, c := range []struct{ name, domain string }{{"Contoso", "contoso"}, {"Fabrikam", "fabrikam"}, {"Tailspin Toys", "tailspin"}} {
		ws, _, err := d.CreateWorkspace(ctx, s.a, org, directory.WorkspaceInput{Name: c.name})
		if err != nil {
			return err
		}
		w := directory.Scope{Org: org, Workspace: ws}
		itAdmin := s.user(w, directory.UserInput{Email: "it-admin@" + c.domain + ".example", GivenName: "IT", FamilyName: "Admin", JobTitle: "IT Administrator"})
		ciso := s.user(w, directory.UserInput{Email: "ciso@" + c.domain + ".example", GivenName: "Chief", FamilyName: "Security Officer", JobTitle: "CISO"})
		s.assign(w, gh.UserPrincipal(itAdmin.ID), string(gh.RoleAdmin))
		s.assign(w, gh.UserPrincipal(ciso.ID), string(viewer.ID))
	}
	if s.err != nil {
		return s.err
	}
	_, key, _, err := d.CreateKey(ctx, s.a, org, admin.ID, directory.KeyInput{Name: "demo"})
	if err != nil {
		return err
	}
	password, _ := auth.NewToken() // a random password: the demo never ships a known one
	pw := password.Reveal()[:20]
	if _, err := sign.SetPassword(ctx, s.a, o, admin.ID, signin.SetPasswordInput{Password: pw}); err != nil {
		return err
	}
	fmt.Fprintf(out, `
Demo organization %q is ready: 3 customer workspaces, 6 partner groups, 7 partner and 6 customer users.
Organization Admin: %s, API key (shown once):

  %s

and password (shown once):

  %s

Open the console at http://%s/ and sign in as %s with that password
(the API takes it too: POST /v1/login {"org":"%s","email":"%s","password":…}).

Try:
  export GATEHOUSE_URL=http://%s GATEHOUSE_KEY=%s
  curl -s -H "Authorization: Bearer $GATEHOUSE_KEY" $GATEHOUSE_URL/v1/orgs/%s/workspaces
  curl -s -H "Authorization: Bearer $GATEHOUSE_KEY" -H "Content-Type: application/json" $GATEHOUSE_URL/v1/explain \
    -d '{"org":"%s","user":"nina.berg@northwind.example","workspace":"contoso","capability":"incidents.close"}'

`, org.Name, admin.Email, key.Reveal(), pw, addr, admin.Email, demoSlug, admin.Email, addr, key.Reveal(), demoSlug, demoSlug)
	return nil
}

// demoAgain is what a second start of the demo says: its keys were shown
// once, at the first start, so it says how to make new ones or start over.
const demoAgain = `
Demo organization %q is already there; its keys were shown when it was made.
  A new key for its Organization Admin (with the operator key):
    gatehouse keys create --server http://%s --key OPERATOR_KEY --org %s --user admin@northwind.example
  Lost the operator key too? Restart with GATEHOUSE_OPERATOR_KEY set to a long random value: it is accepted as one.
  Start over: stop the server and %s.

`

// startOver says how to empty a store.
func startOver(store string) string {
	if isPostgres(store) {
		return "drop and create its PostgreSQL database again"
	}
	return fmt.Sprintf("delete %s (with its -wal and -shm files), or give --store a new file", store)
}

// seeder keeps the first error so the demo script reads as a list of steps.
type seeder struct {
	ctx context.Context
	d   *directory.Directory
	a   *directory.Actor
	err error
}

func (s *seeder) org() (*gh.Org, *gh.User) {
	o, admin, _, err := s.d.CreateOrg(s.ctx, s.a, directory.OrgInput{Name: "Northwind Security", Slug: demoSlug,
		Admin: directory.UserInput{Email: "admin@northwind.example", GivenName: "Alex", FamilyName: "Admin", JobTitle: "Security Director"}})
	if err != nil {
		panic(fmt.Sprintf("demo: create organization: %v", err)) // an empty store always accepts it
	}
	return o, admin
}

func (s *seeder) group(sc directory.Scope, name string) *gh.Group {
	if s.err != nil {
		return &gh.Group{}
	}
	g, _, err := s.d.CreateGroup(s.ctx, s.a, sc, directory.GroupInput{Name: name})
	s.err = err
	if g == nil {
		g = &gh.Group{}
	}
	return g
}

func (s *seeder) user(sc directory.Scope, in directory.UserInput) *gh.User {
	if s.err != nil {
		return &gh.User{}
	}
	u, _, err := s.d.CreateUser(s.ctx, s.a, sc, in)
	s.err = err
	if u == nil {
		u = &gh.User{}
	}
	return u
}

func (s *seeder) member(sc directory.Scope, g *gh.Group, p gh.Principal) {
	if s.err == nil {
		_, _, s.err = s.d.AddMember(s.ctx, s.a, sc, g.ID, p)
	}
}

func (s *seeder) role(sc directory.Scope, in directory.RoleInput) *gh.Role {
	if s.err != nil {
		return &gh.Role{}
	}
	r, _, err := s.d.CreateRole(s.ctx, s.a, sc, in)
	s.err = err
	if r == nil {
		r = &gh.Role{}
	}
	return r
}

func (s *seeder) assign(sc directory.Scope, p gh.Principal, role string) {
	if s.err == nil {
		_, _, _, s.err = s.d.Assign(s.ctx, s.a, sc, p, role)
	}
}
