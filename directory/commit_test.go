package directory_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/postgres/postgrestest"
	"gatehouse.dev/gatehouse/sqlite"
)

// pausingStore injects what a real store does only rarely: it can hold a
// transaction after its writes ran and before it commits, and make that
// commit fail. Everything else is the real store.
type pausingStore struct {
	gh.Store
	pause atomic.Bool   // the next Update waits at ran/resume
	fail  atomic.Bool   // the next Update fails after its writes ran
	ran   chan struct{} // receives when a paused Update's writes ran
	go_   chan struct{} // lets the paused Update go on
}

func (s *pausingStore) Update(ctx context.Context, fn func(gh.Tx) error) error {
	return s.Store.Update(ctx, func(tx gh.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.pause.Swap(false) {
			s.ran <- struct{}{}
			<-s.go_
		}
		if s.fail.Swap(false) {
			return errors.New("injected: the commit did not happen")
		}
		return nil
	})
}

var commitStores = []struct {
	name string
	open func(t *testing.T) gh.Store
}{
	{"sqlite", func(t *testing.T) gh.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "commit.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"postgres", func(t *testing.T) gh.Store {
		s, err := postgres.Open(context.Background(), postgrestest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// openWithOrg loads a directory over store and creates one organization in
// it; it returns the directory, the system actor, the organization and the
// revision that created it.
func openWithOrg(t *testing.T, store gh.Store, slug string) (*directory.Directory, *directory.Actor, *gh.Org, gh.Revision) {
	t.Helper()
	d := directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	sys := directory.SystemActor("test")
	o, _, rev, err := d.CreateOrg(context.Background(), sys, directory.OrgInput{Name: slug, Slug: slug,
		Admin: directory.UserInput{Email: "admin@" + slug + ".example", GivenName: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	return d, sys, o, rev
}

// openPausing opens a directory with one organization over a pausingStore.
func openPausing(t *testing.T, open func(t *testing.T) gh.Store, slug string) (*pausingStore, *directory.Directory, *directory.Actor, *gh.Org) {
	inner := open(t)
	t.Cleanup(func() { inner.Close() })
	store := &pausingStore{Store: inner, ran: make(chan struct{}), go_: make(chan struct{})}
	d, sys, o, _ := openWithOrg(t, store, slug)
	return store, d, sys, o
}

// TestGroupCommit drives a group of writes that commit together: one that
// breaks a rule (a taken name) fails alone; readers never see the group's
// writes before its commit; a commit that fails fails every write of the
// group and leaves the index exactly as the store is.
func TestGroupCommit(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			ctx := context.Background()
			store, d, sys, o := openPausing(t, sk.open, "group")
			sc := directory.Scope{Org: o}

			// round runs one paused write, queues names behind it, lets it
			// commit, and pauses the group the queued writes then form.
			round := func(names []string) (results chan error) {
				store.pause.Store(true)
				first := make(chan error, 1)
				go func() {
					_, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: "first " + names[0]})
					first <- err
				}()
				<-store.ran
				results = make(chan error, len(names))
				for _, n := range names {
					go func() { _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: n}); results <- err }()
				}
				waitQueued(t, d, len(names)) // they queue behind the paused commit
				store.pause.Store(true)
				store.go_ <- struct{}{}
				if err := <-first; err != nil {
					t.Fatalf("the first write: %v", err)
				}
				<-store.ran // the group's writes ran and some are in the index, uncommitted
				return results
			}
			has := func(name string) bool {
				for _, g := range d.Index().Groups(o.ID, func(*gh.Group) bool { return true }) {
					if g.Name == name {
						return true
					}
				}
				return false
			}
			// readIn reads as an interface would, through the gate.
			readIn := func(name string) chan bool {
				out := make(chan bool, 1)
				go func() { defer d.Read(o.ID)(); out <- has(name) }()
				return out
			}

			names := []string{"alpha", "bravo", "alpha", "charlie"} // the second alpha breaks a rule
			results := round(names)
			seen := readIn("alpha")
			select {
			case got := <-seen:
				t.Fatalf("a reader got past the gate while the group was uncommitted (saw alpha: %v)", got)
			case <-time.After(100 * time.Millisecond):
			}
			store.go_ <- struct{}{}
			if !<-seen {
				t.Errorf("after the commit a reader does not see alpha")
			}
			var failed []error
			for range names {
				if err := <-results; err != nil {
					failed = append(failed, err)
				}
			}
			if len(failed) != 1 || gh.KindOf(failed[0]) != gh.KindConflict {
				t.Fatalf("group of %v: failures %v, want exactly one conflict", names, failed)
			}
			for _, n := range []string{"alpha", "bravo", "charlie"} {
				if !has(n) {
					t.Errorf("group %q is missing after its group committed", n)
				}
			}

			// A group whose commit fails: every write fails, nothing stays.
			names = []string{"delta", "echo", "foxtrot"}
			results = round(names)
			store.fail.Store(true)
			store.go_ <- struct{}{}
			for range names {
				if err := <-results; err == nil {
					t.Errorf("a write of a group whose commit failed succeeded")
				}
			}
			for _, n := range names {
				if has(n) {
					t.Errorf("group %q is in the index although its commit failed", n)
				}
			}
			fresh := directory.New(store.Store, engine.New(gh.DefaultCatalogue), nil, nil)
			if err := fresh.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if fresh.Index().Digest() != d.Index().Digest() {
				t.Errorf("after a failed commit the index differs from the store")
			}
			if _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: "delta"}); err != nil {
				t.Errorf("writing again after a failed commit: %v", err)
			}
		})
	}
}

// TestConcurrentWritersEachGetTheirRevision has 32 writers create groups at
// once, every fourth name taken twice: each name is created exactly once,
// every success answers its own revision, and the log is gap-free.
func TestConcurrentWritersEachGetTheirRevision(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			ctx := context.Background()
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			d, sys, o, start := openWithOrg(t, store, "many")
			const writers, writes = 32, 12
			var mu sync.Mutex
			revs := map[gh.Revision]string{}
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range writes {
						name := fmt.Sprintf("g-%d-%d", i, j)
						if j%4 == 0 {
							name = fmt.Sprintf("shared-%d", j) // every writer tries it
						}
						_, rev, err := d.CreateGroup(ctx, sys, directory.Scope{Org: o}, directory.GroupInput{Name: name})
						mu.Lock()
						switch {
						case err == nil && revs[rev] != "":
							t.Errorf("revision %d answered twice (%s, %s)", rev, revs[rev], name)
						case err == nil:
							revs[rev] = name
						case gh.KindOf(err) != gh.KindConflict:
							t.Errorf("create %s: %v", name, err)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			want := writers*writes - (writers-1)*((writes+3)/4)
			if len(revs) != want {
				t.Errorf("%d writes succeeded, want %d (each shared name once)", len(revs), want)
			}
			head, err := store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if head != start+gh.Revision(want) {
				t.Errorf("head = %d, want %d: one revision per successful write, no gap", head, start+gh.Revision(want))
			}
			for r := start + 1; r <= head; r++ {
				if revs[r] == "" {
					t.Errorf("revision %d was answered to no writer", r)
				}
			}
			evs, err := store.EventsAfter(ctx, start, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for i, ev := range evs {
				if ev.Revision != start+gh.Revision(i+1) || ev.Target.ID == "" {
					t.Fatalf("event %d has revision %d, want %d", i, ev.Revision, start+gh.Revision(i+1))
				}
			}
		})
	}
}

// A reader inside the gate that asks to be fully consistent must not wait for
// the writer's lock while a group commit, holding that lock, waits for the
// reader to leave the gate: Await steps out of the gate while it catches up.
func TestAwaitInsideTheGateDoesNotHoldOffAGroup(t *testing.T) {
	ctx := context.Background()
	inner := commitStores[0].open(t)
	t.Cleanup(func() { inner.Close() })
	store := &pausingStore{Store: inner, ran: make(chan struct{}), go_: make(chan struct{})}
	d, sys, o, _ := openWithOrg(t, store, "gate")
	sc := directory.Scope{Org: o}
	rctx, leave := d.ReadIn(ctx, o.ID) // a reader is in

	// A paused write holds the writer's lock; two more queue behind it and
	// then commit as one group, which must close the gate the reader is in.
	store.pause.Store(true)
	errs := make(chan error, 3)
	go func() { _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: "one"}); errs <- err }()
	<-store.ran
	for _, n := range []string{"two", "three"} {
		go func() { _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: n}); errs <- err }()
	}
	waitQueued(t, d, 2)
	store.go_ <- struct{}{}

	awaited := make(chan error, 1)
	go func() { awaited <- d.Await(rctx, directory.Consistency{FullyConsistent: true}) }()
	select {
	case err := <-awaited:
		if err != nil {
			t.Errorf("Await = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a fully consistent read inside the gate and a group commit wait for each other")
	}
	leave()
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("a write of the group: %v", err)
		}
	}
}

// waitQueued waits until n writes wait for the next group commit.
func waitQueued(t *testing.T, d *directory.Directory, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); d.Queued() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", d.Queued(), n)
		}
	}
}
