package engine_test

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/engine"
)

// The benchmarks run on the mssp-large profile, built once.
var (
	largeOnce sync.Once
	large     *gh.Snapshot
	largeIdx  *engine.Index
)

func mssp(b *testing.B) (*gh.Snapshot, *engine.Index) {
	largeOnce.Do(func() {
		large = dataset.Build(dataset.Profiles["mssp-large"], 1)
		largeIdx = engine.New(gh.DefaultCatalogue)
		start := time.Now()
		largeIdx.Load(large)
		b.Logf("loaded mssp-large (%d users, %d groups, %d memberships, %d assignments) in %v",
			len(large.Users), len(large.Groups), len(large.Memberships), len(large.Assignments), time.Since(start))
	})
	return large, largeIdx
}

// question is one check of the benchmark mix.
type question struct {
	u gh.UserID
	w gh.WorkspaceID
	c gh.Capability
}

// questions draws a mix: org users against random workspaces (mostly denied,
// often through nested groups), and workspace users against their own and other workspaces.
func questions(s *gh.Snapshot, n int) []question {
	rng := rand.New(rand.NewPCG(7, 7))
	caps := []gh.Capability{"incidents.view", "incidents.close", "connectors.manage", gh.CapSettingsView, "incidents.delete"}
	out := make([]question, n)
	for i := range out {
		u := s.Users[rng.IntN(len(s.Users))]
		w := s.Workspaces[rng.IntN(len(s.Workspaces))].ID
		if !u.IsOrg() && rng.IntN(2) == 0 {
			w = u.Workspace
		}
		out[i] = question{u.ID, w, caps[rng.IntN(len(caps))]}
	}
	return out
}

func BenchmarkCheck(b *testing.B) {
	s, x := mssp(b)
	askAll(b, x, questions(s, 1<<16))
}

// askAll checks the questions in turn, one per iteration.
func askAll(b *testing.B, x *engine.Index, qs []question) {
	b.ResetTimer()
	allowed := 0
	for i := 0; b.Loop(); i++ {
		q := qs[i&(len(qs)-1)]
		if x.Check(q.u, q.w, q.c, gh.LevelFull).Allowed {
			allowed++
		}
	}
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
}

func BenchmarkCheckParallel(b *testing.B) {
	s, x := mssp(b)
	qs := questions(s, 1<<16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(qs))
		for pb.Next() {
			q := qs[i&(len(qs)-1)]
			x.Check(q.u, q.w, q.c, gh.LevelFull)
			i++
		}
	})
}

func BenchmarkCheckBatch100(b *testing.B) {
	s, x := mssp(b)
	qs := questions(s, 100)
	b.ResetTimer()
	for b.Loop() {
		for _, q := range qs {
			x.Check(q.u, q.w, q.c, gh.LevelFull)
		}
	}
}

// BenchmarkLookupWorkspacesOrgUser answers the whole lookup, every path
// included, for partner staff (who reach a few hundred workspaces each).
func BenchmarkLookupWorkspacesOrgUser(b *testing.B) {
	s, x := mssp(b)
	var users []gh.UserID
	for _, u := range s.Users {
		if u.IsOrg() {
			users = append(users, u.ID)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x.LookupWorkspaces(users[i%len(users)], "incidents.close", gh.LevelFull, engine.LookupPage{Paths: true})
	}
}

// BenchmarkLookupWorkspacesOrgAdmin asks for the workspaces of the Org Admin
// who holds Admin in 1,000 of them: the first page of 100 as the API answers
// it by default, the same with paths, and the whole answer with every path.
func BenchmarkLookupWorkspacesOrgAdmin(b *testing.B) {
	s, x := mssp(b)
	admin := s.Users[0]
	if !admin.IsOrgAdmin() {
		b.Fatalf("the first user of mssp-large is %s, not the Org Admin", admin.Email)
	}
	for _, c := range []struct {
		name string
		p    engine.LookupPage
		want int
	}{
		{"first-100", engine.LookupPage{Limit: 100}, 100},
		{"first-100-paths", engine.LookupPage{Limit: 100, Paths: true}, 100},
		{"all-paths", engine.LookupPage{Paths: true}, 1000},
	} {
		b.Run(c.name, func(b *testing.B) {
			if got, _, _ := x.LookupWorkspaces(admin.ID, "incidents.close", gh.LevelFull, c.p); len(got) != c.want {
				b.Fatalf("LookupWorkspaces(admin, %+v) = %d workspaces, want %d", c.p, len(got), c.want)
			}
			for b.Loop() {
				x.LookupWorkspaces(admin.ID, "incidents.close", gh.LevelFull, c.p)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	s, _ := mssp(b)
	for b.Loop() {
		x := engine.New(gh.DefaultCatalogue)
		x.Load(s)
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MiB")
}

// BenchmarkMembershipChange1000Users applies one event that nests a group of
// 1,000 users into another group and one that takes it out again: every one
// of those users' group sets is recomputed.
func BenchmarkMembershipChange1000Users(b *testing.B) {
	s, _ := mssp(b)
	x := engine.New(gh.DefaultCatalogue)
	x.Load(s)
	org := s.Orgs[0].ID
	big := &gh.Group{ID: "grp_big", Home: gh.Home{Org: org}, Name: "Big"}
	ev := func(rev gh.Revision, c gh.Change) *gh.Event {
		return &gh.Event{Revision: rev, Changes: []gh.Change{c}}
	}
	rev := s.Revision
	next := func() gh.Revision { rev++; return rev }
	if err := x.Apply(ev(next(), gh.Change{Kind: gh.KindGroup, ID: "grp_big", After: gh.MustJSON(big)})); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, u := range s.Users {
		if u.IsOrg() && n < 1000 {
			m := &gh.Membership{Org: org, Group: "grp_big", Member: gh.UserPrincipal(u.ID)}
			if err := x.Apply(ev(next(), gh.Change{Kind: gh.KindMembership, ID: m.Key(), After: gh.MustJSON(m)})); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	var top gh.GroupID
	for _, g := range s.Groups {
		if g.IsOrg() {
			top = g.ID
			break
		}
	}
	link := &gh.Membership{Org: org, Group: top, Member: gh.GroupPrincipal("grp_big")}
	add := gh.Change{Kind: gh.KindMembership, ID: link.Key(), After: gh.MustJSON(link)}
	remove := gh.Change{Kind: gh.KindMembership, ID: link.Key(), Before: gh.MustJSON(link)}
	b.ResetTimer()
	for b.Loop() {
		if err := x.Apply(ev(next(), add)); err != nil {
			b.Fatal(err)
		}
		if err := x.Apply(ev(next(), remove)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/change")
}

// BenchmarkCheckExcluded is BenchmarkCheck with 1 % of the users excluded
// somewhere: most from one workspace by name, some by email from every
// workspace, and as many groups from one workspace.
func BenchmarkCheckExcluded(b *testing.B) {
	s, _ := mssp(b)
	ex := *s
	ex.Exclusions = exclusionsFor(s)
	x := engine.New(gh.DefaultCatalogue)
	x.Load(&ex)
	askAll(b, x, questions(s, 1<<16))
	b.ReportMetric(float64(len(ex.Exclusions)), "exclusions")
}

// rulesSnapshot is mssp-large with a department for every user (one of
// 1,000), 10 % of the groups holding the users of one department by rule,
// 1 % of the users excluded somewhere (exclusionsFor), and one department
// of 5,000 organization users for the rule-move benchmark.
func rulesSnapshot(b *testing.B) *gh.Snapshot {
	s, _ := mssp(b)
	rs := *s
	rs.Users = make([]*gh.User, len(s.Users))
	big := 0
	for i, u := range s.Users {
		c := *u
		c.Department = "D" + strconv.Itoa(i%1000)
		if c.IsOrg() && big < 5000 {
			c.Department = "BIG"
			big++
		}
		rs.Users[i] = &c
	}
	rs.Exclusions = exclusionsFor(s)
	rs.Groups = make([]*gh.Group, len(s.Groups))
	for i, g := range s.Groups {
		c := *g
		if i%10 == 0 {
			c.Rule = `department == "D` + strconv.Itoa(i%1000) + `"`
		}
		rs.Groups[i] = &c
	}
	return &rs
}

// BenchmarkCheckRules is BenchmarkCheck on rulesSnapshot.
func BenchmarkCheckRules(b *testing.B) {
	rs := rulesSnapshot(b)
	x := engine.New(gh.DefaultCatalogue)
	start := time.Now()
	x.Load(rs)
	b.Logf("loaded with %d rule groups in %v", len(rs.Groups)/10, time.Since(start))
	askAll(b, x, questions(rs, 1<<16))
}

// BenchmarkRuleMove applies one change of a group's rule that moves 5,000
// users into it, or out of it.
func BenchmarkRuleMove(b *testing.B) {
	rs := rulesSnapshot(b)
	x := engine.New(gh.DefaultCatalogue)
	x.Load(rs)
	g := *rs.Groups[1] // an organization group without a rule yet
	rev := rs.Revision
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		before := g
		g.Rule = []string{`department == "BIG"`, `department == "NONE"`}[i%2]
		rev++
		ev := &gh.Event{Revision: rev, Org: g.Org, Action: "group.update",
			Changes: []gh.Change{{Kind: gh.KindGroup, ID: string(g.ID), Before: gh.MustJSON(&before), After: gh.MustJSON(&g)}}}
		if err := x.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
	if n, want := len(x.RuleMembers(g.ID)), 5000*(b.N%2); n != want {
		b.Fatalf("the rule holds %d users, want %d", n, want)
	}
}

// exclusionsFor excludes 1 % of the snapshot's users somewhere: most from
// one workspace by name (one capability), a quarter by email from every
// workspace, and as many groups from one workspace.
func exclusionsFor(s *gh.Snapshot) []*gh.Exclusion {
	var out []*gh.Exclusion
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < len(s.Users)/100; i++ {
		u := s.Users[rng.IntN(len(s.Users))]
		w := u.Workspace
		if w == "" {
			w = s.Workspaces[rng.IntN(len(s.Workspaces))].ID
		}
		e := &gh.Exclusion{ID: gh.ExclusionID(gh.NewID("exc")), Org: u.Org, Workspace: w, SetBy: gh.SetByOrganization}
		switch i % 4 {
		case 0:
			e.Email, e.Workspace = u.Email, ""
		case 1:
			g := s.Groups[rng.IntN(len(s.Groups))]
			e.Principal, e.Org, e.Workspace = &gh.Principal{Type: gh.PrincipalGroup, ID: string(g.ID)}, g.Org, g.Workspace
			if e.Workspace == "" {
				e.Workspace = s.Workspaces[rng.IntN(len(s.Workspaces))].ID
			}
		default:
			e.Principal = &gh.Principal{Type: gh.PrincipalUser, ID: string(u.ID)}
			e.Capabilities = []gh.Capability{"incidents.close"}
		}
		out = append(out, e)
	}
	return out
}
