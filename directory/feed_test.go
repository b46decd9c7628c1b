package directory_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
)

// node is one Gatehouse node in a test: its own store connections, index and follower.
type node struct {
	d       *directory.Directory
	mu      sync.Mutex
	applied []gh.Revision
	times   map[gh.Revision]time.Time
}

func startNode(t testing.TB, ctx context.Context, dsn string) *node {
	t.Helper()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n := &node{times: map[gh.Revision]time.Time{}}
	idx := engine.New(gh.DefaultCatalogue)
	idx.OnApply = func(ev *gh.Event) {
		n.mu.Lock()
		n.applied = append(n.applied, ev.Revision)
		n.times[ev.Revision] = time.Now()
		n.mu.Unlock()
	}
	n.d = directory.New(store, idx, nil, nil)
	if err := n.d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	wake, err := store.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go n.d.Follow(ctx, time.Second, wake)
	return n
}

// seenAt returns when the node applied revision r, waiting up to a few seconds.
func (n *node) seenAt(r gh.Revision) (time.Time, bool) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
		n.mu.Lock()
		at, ok := n.times[r]
		n.mu.Unlock()
		if ok {
			return at, true
		}
	}
	return time.Time{}, false
}

// TestFeedIsGapFreeAcrossNodes runs concurrent writers on two nodes over one
// PostgreSQL database and checks that each node applied every committed event
// exactly once and in order, and that both, and a node started afterwards
// from a snapshot (a restart), hold exactly the same directory.
func TestFeedIsGapFreeAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b, dsn, sys, o := twoNodes(t, ctx, "feed")
	start := a.d.Index().Revision()

	const writers, writes = 16, 10 // 32 writers in all, on two nodes
	var wg sync.WaitGroup
	for i := range 2 * writers {
		n := []*node{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := directory.Scope{Org: o}
			for j := range writes {
				if _, _, err := n.d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: fmt.Sprintf("g-%d-%d", i, j)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	head, err := a.d.Store().Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := start + 2*writers*writes; head != want {
		t.Fatalf("head = %d, want %d: every write is one revision", head, want)
	}
	for name, n := range map[string]*node{"A": a, "B": b} {
		if _, ok := n.seenAt(head); !ok {
			t.Fatalf("node %s never reached head %d", name, head)
		}
		n.mu.Lock()
		got := slices.Clone(n.applied)
		n.mu.Unlock()
		for i, r := range got {
			if r != gh.Revision(i+1) {
				t.Fatalf("node %s applied %v…: event %d was revision %d, want %d (exactly once, in order)", name, got[max(0, i-3):i+1], i, r, i+1)
			}
		}
		if gh.Revision(len(got)) != head {
			t.Errorf("node %s applied %d events, want %d", name, len(got), head)
		}
	}
	if da, db := a.d.Index().Digest(), b.d.Index().Digest(); da != db {
		t.Errorf("nodes at the same revision differ: %s vs %s", da, db)
	}
	restarted := startNode(t, ctx, dsn)
	if dr := restarted.d.Index().Digest(); dr != a.d.Index().Digest() {
		t.Errorf("a node rebuilt from the store differs from one that never stopped")
	}
}

// twoNodes starts two nodes over one fresh PostgreSQL database and makes an
// organization on the first.
func twoNodes(tb testing.TB, ctx context.Context, slug string) (a, b *node, dsn string, sys *directory.Actor, o *gh.Org) {
	tb.Helper()
	dsn = postgrestest.DSN(tb)
	a, b = startNode(tb, ctx, dsn), startNode(tb, ctx, dsn)
	sys = directory.SystemActor("test")
	o, _, _, err := a.d.CreateOrg(ctx, sys, directory.OrgInput{Name: slug, Slug: slug,
		Admin: directory.UserInput{Email: "admin@" + slug + ".example", GivenName: "A"}})
	if err != nil {
		tb.Fatal(err)
	}
	return a, b, dsn, sys, o
}

// BenchmarkPropagation measures how long a write on one node takes to be
// applied on another over PostgreSQL (LISTEN/NOTIFY to wake, then read by revision).
func BenchmarkPropagation(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	na, nb, _, sys, o := twoNodes(b, ctx, "prop")
	var lags []time.Duration
	i := 0
	for b.Loop() {
		i++
		_, rev, err := na.d.CreateGroup(ctx, sys, directory.Scope{Org: o}, directory.GroupInput{Name: fmt.Sprint("g", i)})
		if err != nil {
			b.Fatal(err)
		}
		na.mu.Lock()
		wrote := na.times[rev]
		na.mu.Unlock()
		at, ok := nb.seenAt(rev)
		if !ok {
			b.Fatalf("revision %d never reached node B", rev)
		}
		lags = append(lags, at.Sub(wrote))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkBatchPropagation measures a batch of 1,000 group memberships over
// PostgreSQL from the call on one node until another node has applied it.
func BenchmarkBatchPropagation(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	na, nb, _, sys, o := twoNodes(b, ctx, "batch")
	sc := directory.Scope{Org: o}
	users := make([]gh.UserID, 1000)
	for i := range users {
		u, _, err := na.d.CreateUser(ctx, sys, sc, directory.UserInput{Email: fmt.Sprintf("u%d@batch.example", i), GivenName: "U"})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}
	var lags []time.Duration
	i := 0
	for b.Loop() {
		i++
		g, _, err := na.d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: fmt.Sprint("batch group ", i)})
		if err != nil {
			b.Fatal(err)
		}
		ops := make([]directory.BatchOp, len(users))
		for j, u := range users {
			ops[j] = directory.BatchOp{Op: "create", Type: "membership", ID: string(g.ID),
				Body: []byte(`{"member":{"type":"user","id":"` + string(u) + `"}}`)}
		}
		start := time.Now()
		_, rev, err := na.d.ApplyBatch(ctx, sys, o, "bat_bench", ops, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		at, ok := nb.seenAt(rev)
		if !ok {
			b.Fatalf("revision %d never reached node B", rev)
		}
		lags = append(lags, at.Sub(start))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
}
