package ldap_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/ldap"
	"gatehouse.dev/gatehouse/ldap/ldaptest"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/sqlite"
)

var stores = []struct {
	name string
	open func(t testing.TB) gh.Store
}{
	{"sqlite", func(t testing.TB) gh.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ldap.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"postgres", func(t testing.TB) gh.Store {
		s, err := postgres.Open(context.Background(), postgrestest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// env is a directory with an organization, a workspace and an LDAP
// directory connected to one of them.
type env struct {
	store gh.Store
	d     *directory.Directory
	sys   *directory.Actor
	org   *gh.Org
	x     *gh.ExternalDirectory
}

// newEnv connects srv to the workspace, or to the organization when org is set.
func newEnv(t testing.TB, store gh.Store, srv *ldaptest.Server, org bool) *env {
	t.Helper()
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()
	d := directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sys := directory.SystemActor("test")
	o, _, _, err := d.CreateOrg(ctx, sys, directory.OrgInput{Name: "Acme", Slug: "acme",
		Admin: directory.UserInput{Email: "admin@acme.example", GivenName: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := d.CreateWorkspace(ctx, sys, o, directory.WorkspaceInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	s := directory.Scope{Org: o, Workspace: w}
	if org {
		s.Workspace = nil
	}
	x := &gh.ExternalDirectory{ID: gh.ExternalDirectoryID(gh.NewID("dir")), Type: gh.DirectoryLDAP, Name: "corp",
		OnDisappear: gh.DisappearDisable,
		LDAP:        &gh.LDAPSettings{URL: srv.URL, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN}}
	if _, err := d.CreateExternalDirectory(ctx, sys, s, x, ""); err != nil {
		t.Fatal(err)
	}
	return &env{store: store, d: d, sys: sys, org: o, x: d.ExternalDirectory(x.ID)}
}

func (e *env) sync(t testing.TB, opts ldap.Options) *ldap.Report {
	t.Helper()
	r, err := ldap.Sync(context.Background(), e.d, e.x, ldaptest.AdminPassword, opts)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return r
}

// users are the managed users by email.
func (e *env) users() map[string]*gh.User {
	out := map[string]*gh.User{}
	for _, u := range e.d.ProvisionedUsers(e.x, func(*gh.User) bool { return true }) {
		out[u.Email] = u
	}
	return out
}

// groups are the managed groups' member emails, by group name.
func (e *env) groups() map[string][]string {
	byID := map[gh.UserID]string{}
	for _, u := range e.users() {
		byID[u.ID] = u.Email
	}
	out := map[string][]string{}
	for _, g := range e.d.ProvisionedGroups(e.x, func(*gh.Group) bool { return true }) {
		ms := []string{}
		for _, m := range e.d.Index().Members(g.ID) {
			ms = append(ms, byID[gh.UserID(m.Member.ID)])
		}
		slices.Sort(ms)
		out[g.Name] = ms
	}
	return out
}

func (e *env) head(t testing.TB) gh.Revision {
	h, err := e.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantCounts(t *testing.T, what string, got, want ldap.Counts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: counts = %+v, want %+v", what, got, want)
	}
}

// TestSync follows one directory through the changes an LDAP server sees:
// first sync, no change, a rename, an attribute change, a deletion.
func TestSync(t *testing.T) {
	for _, sk := range stores {
		t.Run(sk.name, func(t *testing.T) {
			ctx := context.Background()
			srv := ldaptest.Start(t)
			srv.AddPerson(t, "ana", "ana@acme.example", "Ana", "Alves")
			srv.AddPerson(t, "bo", "bo@acme.example", "Bo", "Berg")
			srv.AddPerson(t, "cy", "cy@acme.example", "Cy", "Cole")
			srv.AddPerson(t, "nomail", "", "No", "Mail")
			srv.AddGroupOfNames(t, "devs", ldaptest.PersonDN("ana"))
			srv.AddGroupOfNames(t, "eng", ldaptest.PersonDN("bo"), ldaptest.GroupDN("devs"))
			srv.AddGroupOfNames(t, "all", ldaptest.GroupDN("eng"), ldaptest.PersonDN("cy"))
			srv.AddPosixGroup(t, "ops", 5000, "cy", "bo")
			e := newEnv(t, sk.open(t), srv, false)

			start := e.head(t)
			r := e.sync(t, ldap.Options{})
			wantCounts(t, "first sync users", r.Users, ldap.Counts{Created: 3, Skipped: 1})
			wantCounts(t, "first sync groups", r.Groups, ldap.Counts{Created: 4})
			if len(r.Errors) != 1 || r.Errors[0].DN != "uid=nomail,ou=people,dc=example,dc=org" {
				t.Errorf("errors = %+v, want the entry without mail", r.Errors)
			}
			want := map[string][]string{
				"devs": {"ana@acme.example"},
				"eng":  {"ana@acme.example", "bo@acme.example"},
				"all":  {"ana@acme.example", "bo@acme.example", "cy@acme.example"},
				"ops":  {"bo@acme.example", "cy@acme.example"},
			}
			if got := e.groups(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("groups = %v, want %v", got, want)
			}
			evs, err := e.store.EventsAfter(ctx, start, 1000)
			if err != nil || len(evs) == 0 {
				t.Fatalf("events of the first sync: %d, %v", len(evs), err)
			}
			for _, ev := range evs {
				if ev.Actor.Type != gh.ActorDirectory || ev.Source.Via != "ldap" || ev.Source.Batch == "" {
					t.Errorf("event %s by %+v via %+v, want the directory, via ldap, in a batch", ev.Action, ev.Actor, ev.Source)
				}
			}

			head := e.head(t)
			r = e.sync(t, ldap.Options{})
			if r.Changed() || e.head(t) != head {
				t.Errorf("a sync with no change: %+v, head %d → %d; want nothing written", r, head, e.head(t))
			}

			ana := e.users()["ana@acme.example"]
			srv.Rename(t, ldaptest.PersonDN("ana"), "uid=anna")
			// As the refint overlay would: slapd here runs without it.
			srv.Modify(t, ldaptest.GroupDN("devs"), func(m *goldap.ModifyRequest) { m.Replace("member", []string{ldaptest.PersonDN("anna")}) })
			srv.Modify(t, ldaptest.PersonDN("bo"), func(m *goldap.ModifyRequest) { m.Replace("title", []string{"Engineer"}) })
			r = e.sync(t, ldap.Options{})
			wantCounts(t, "after a rename and a change", r.Users, ldap.Counts{Updated: 1, Skipped: 1})
			if got := e.users()["ana@acme.example"]; got == nil || got.ID != ana.ID {
				t.Errorf("renamed ana = %+v, want the same user %s", got, ana.ID)
			}
			if got := e.users()["bo@acme.example"].JobTitle; got != "Engineer" {
				t.Errorf("bo's title = %q, want Engineer", got)
			}
			if got := e.groups()["devs"]; !slices.Equal(got, []string{"ana@acme.example"}) {
				t.Errorf("devs after ana's rename = %v", got)
			}

			cy := e.users()["cy@acme.example"]
			key, _, _, err := e.d.CreateKey(ctx, e.sys, e.org, cy.ID, directory.KeyInput{Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.Update(ctx, func(tx gh.Tx) error {
				return tx.Vault().PutSession(&gh.Session{ID: "ses_cy", TokenHash: "h_cy", User: cy.ID, Org: e.org.ID,
					CreatedAt: time.Now(), LastSeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
			}); err != nil {
				t.Fatal(err)
			}
			srv.Delete(t, ldaptest.PersonDN("cy"))
			r = e.sync(t, ldap.Options{})
			wantCounts(t, "after cy's deletion", r.Users, ldap.Counts{Disabled: 1, Skipped: 1})
			wantCounts(t, "groups after cy's deletion", r.Groups, ldap.Counts{Updated: 2}) // all, and ops, whose memberUid cy names no one now
			if got := e.users()["cy@acme.example"]; got.Status != gh.StatusDisabled {
				t.Errorf("cy = %s, want disabled", got.Status)
			}
			if ss, _ := e.store.Sessions(ctx, cy.ID); len(ss) != 0 || e.d.Index().Key(key.ID) != nil {
				t.Errorf("cy keeps %d sessions and key %v, want none", len(ss), e.d.Index().Key(key.ID))
			}
		})
	}
}

// TestSyncRefusals: a wrong bind password and a dry run change nothing.
func TestSyncRefusals(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddPerson(t, "ana", "ana@acme.example", "Ana", "Alves")
	srv.AddGroupOfNames(t, "devs", ldaptest.PersonDN("ana"))
	e := newEnv(t, stores[0].open(t), srv, true)
	head := e.head(t)

	_, err := ldap.Sync(context.Background(), e.d, e.x, "wrong", ldap.Options{})
	if gh.KindOf(err) != gh.KindUnauthenticated || e.head(t) != head {
		t.Errorf("Sync with a wrong password = %v (kind %v), head %d → %d; want unauthenticated, nothing written",
			err, gh.KindOf(err), head, e.head(t))
	}
	var ge *gh.Error
	if !errors.As(err, &ge) || ge.Code != "ldap_bind_refused" {
		t.Errorf("error = %#v, want code ldap_bind_refused", err)
	}

	r := e.sync(t, ldap.Options{DryRun: true})
	wantCounts(t, "dry run users", r.Users, ldap.Counts{Created: 1})
	wantCounts(t, "dry run groups", r.Groups, ldap.Counts{Created: 1})
	if e.head(t) != head || len(e.users()) != 0 || len(e.groups()) != 0 {
		t.Errorf("a dry run wrote: head %d → %d, %d users", head, e.head(t), len(e.users()))
	}
	// Connected to the organization, the people are the organization's.
	e.sync(t, ldap.Options{})
	if u := e.users()["ana@acme.example"]; u == nil || u.Workspace != "" {
		t.Errorf("ana = %+v, want a user of the organization", u)
	}
}

// TestSyncPages reads more entries than one page holds.
func TestSyncPages(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 1,200 entries")
	}
	srv := ldaptest.Start(t)
	const n = 2*ldap.PageSize + 200
	for i := range n {
		srv.AddPerson(t, fmt.Sprintf("u%04d", i), fmt.Sprintf("u%04d@acme.example", i), "U", fmt.Sprint(i))
	}
	e := newEnv(t, stores[0].open(t), srv, false)
	r := e.sync(t, ldap.Options{})
	wantCounts(t, "users", r.Users, ldap.Counts{Created: n})
	if got := len(e.users()); got != n {
		t.Errorf("%d users, want %d", got, n)
	}
}

var benchN = flag.Int("ldap.n", 10_000, "how many people BenchmarkLDAPSync syncs")

// BenchmarkLDAPSync syncs a server of -ldap.n people in 100 groups, then
// syncs it again unchanged; first-s and nochange-s are the two durations.
func BenchmarkLDAPSync(b *testing.B) {
	n, groups := *benchN, 100
	srv := ldaptest.Start(b)
	members := make([][]string, groups)
	for i := range n {
		uid := fmt.Sprintf("u%05d", i)
		srv.AddPerson(b, uid, uid+"@acme.example", "U", fmt.Sprint(i))
		members[i%groups] = append(members[i%groups], ldaptest.PersonDN(uid))
	}
	for i, m := range members {
		srv.AddGroupOfNames(b, fmt.Sprintf("g%03d", i), m...)
	}
	for range b.N {
		b.StopTimer()
		e := newEnv(b, stores[0].open(b), srv, false)
		b.StartTimer()
		r, err := ldap.Sync(context.Background(), e.d, e.x, ldaptest.AdminPassword, ldap.Options{})
		if err != nil || r.Users.Created != n {
			b.Fatalf("first sync: %+v, %v", r, err)
		}
		again, err := ldap.Sync(context.Background(), e.d, e.x, ldaptest.AdminPassword, ldap.Options{})
		if err != nil || again.Changed() {
			b.Fatalf("second sync: %+v, %v", again, err)
		}
		b.ReportMetric(r.Duration.Seconds(), "first-s")
		b.ReportMetric(again.Duration.Seconds(), "nochange-s")
		b.ReportMetric(again.Read.Seconds(), "nochange-read-s")
	}
}

// TestSyncDelete: a directory set to delete the people who disappear does
// so at once, or after they stayed disabled DeleteAfterDays.
func TestSyncDelete(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddPerson(t, "ana", "ana@acme.example", "Ana", "Alves")
	srv.AddPerson(t, "bo", "bo@acme.example", "Bo", "Berg")
	e := newEnv(t, stores[0].open(t), srv, false)
	e.sync(t, ldap.Options{})
	srv.Delete(t, ldaptest.PersonDN("ana"))
	srv.Delete(t, ldaptest.PersonDN("bo"))

	later := *e.x // Sync reads what to do from the settings it is given
	later.OnDisappear, later.DeleteAfterDays = gh.DisappearDelete, 2
	r, err := ldap.Sync(context.Background(), e.d, &later, ldaptest.AdminPassword, ldap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "first sync after they left", r.Users, ldap.Counts{Disabled: 2})
	r, err = ldap.Sync(context.Background(), e.d, &later, ldaptest.AdminPassword, ldap.Options{Now: func() time.Time { return time.Now().AddDate(0, 0, 1) }})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "a day later", r.Users, ldap.Counts{})
	r, err = ldap.Sync(context.Background(), e.d, &later, ldaptest.AdminPassword, ldap.Options{Now: func() time.Time { return time.Now().AddDate(0, 0, 3) }})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "three days later", r.Users, ldap.Counts{Deleted: 2})
	if n := len(e.users()); n != 0 {
		t.Errorf("%d users left, want none", n)
	}
}

// TestBind checks a person's password by binding as their entry.
func TestBind(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddPerson(t, "ana", "ana@acme.example", "Ana", "Alves")
	srv.Modify(t, ldaptest.PersonDN("ana"), func(m *goldap.ModifyRequest) { m.Replace("userPassword", []string{"ana-pw"}) })
	x := &gh.ExternalDirectory{Type: gh.DirectoryLDAP, LDAP: &gh.LDAPSettings{URL: srv.URL, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN, PasswordSignIn: true}}
	ctx := context.Background()
	for _, tc := range []struct {
		name, email, password string
		want                  gh.Kind
	}{
		{"right password", "Ana@acme.example", "ana-pw", 0},
		{"wrong password", "ana@acme.example", "nope", gh.KindUnauthenticated},
		{"empty password", "ana@acme.example", "", gh.KindUnauthenticated},
		{"no such person", "zed@acme.example", "ana-pw", gh.KindUnauthenticated},
		{"filter characters", "*", "ana-pw", gh.KindUnauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ldap.Bind(ctx, x, ldaptest.AdminPassword, tc.email, tc.password, ldap.Options{})
			if tc.want == 0 && (err != nil || id == "") || tc.want != 0 && gh.KindOf(err) != tc.want {
				t.Errorf("Bind(%s) = %q, %v; want kind %v", tc.email, id, err, tc.want)
			}
		})
	}
	off := *x
	off.LDAP = &gh.LDAPSettings{URL: srv.URL, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN}
	if _, err := ldap.Bind(ctx, &off, ldaptest.AdminPassword, "ana@acme.example", "ana-pw", ldap.Options{}); gh.KindOf(err) != gh.KindForbidden {
		t.Errorf("Bind without password sign-in = %v, want forbidden", err)
	}
}

// TestSyncAttributes reads the attributes a directory names instead of the
// defaults, a person disabled on the server among them.
func TestSyncAttributes(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.AddPerson(t, "ana", "ana@acme.example", "Ana", "Alves")
	srv.Modify(t, ldaptest.PersonDN("ana"), func(m *goldap.ModifyRequest) { m.Add("departmentNumber", []string{"R&D"}) })
	srv.AddPerson(t, "bo", "not-an-email", "Bo", "Berg")
	e := newEnv(t, stores[0].open(t), srv, false)
	x := *e.x
	x.LDAP = &gh.LDAPSettings{URL: srv.URL, BindDN: ldaptest.AdminDN, BaseDN: ldaptest.BaseDN,
		Attributes: gh.LDAPAttributes{Department: "departmentNumber", Disabled: "employeeType"}}
	sync := func() *ldap.Report {
		r, err := ldap.Sync(context.Background(), e.d, &x, ldaptest.AdminPassword, ldap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := sync()
	wantCounts(t, "first sync", r.Users, ldap.Counts{Created: 1, Skipped: 1})
	if len(r.Errors) != 1 || r.Errors[0].DN != ldaptest.PersonDN("bo") {
		t.Errorf("errors = %+v, want bo's invalid email", r.Errors)
	}
	if got := e.users()["ana@acme.example"]; got.Department != "R&D" || got.Status != gh.StatusActive {
		t.Errorf("ana = %q, %s; want R&D, active", got.Department, got.Status)
	}
	srv.Modify(t, ldaptest.PersonDN("ana"), func(m *goldap.ModifyRequest) { m.Add("employeeType", []string{"disabled"}) })
	wantCounts(t, "after ana was disabled", sync().Users, ldap.Counts{Disabled: 1, Skipped: 1})
	if got := e.users()["ana@acme.example"].Status; got != gh.StatusDisabled {
		t.Errorf("ana = %s, want disabled", got)
	}
}
