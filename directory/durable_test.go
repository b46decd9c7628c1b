package directory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// syncStore is a real store whose commits are made durable apart, by a Sync
// the test holds and lets go.
type syncStore struct {
	gh.Store
	syncing chan struct{} // receives when Sync is called
	outcome chan error    // what the held Sync returns
}

func (s *syncStore) Sync() error {
	s.syncing <- struct{}{}
	return <-s.outcome
}

// On a store that syncs apart, a write is answered only once a sync put it
// on disk, and the next write commits without waiting for that sync; a
// failed sync answers its writes with an error.
func TestWritesAreAnsweredOnceSynced(t *testing.T) {
	ctx := context.Background()
	inner := commitStores[0].open(t) // SQLite
	t.Cleanup(func() { inner.Close() })
	store := &syncStore{Store: inner, syncing: make(chan struct{}), outcome: make(chan error)}
	d := directory.New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sys := directory.SystemActor("test")
	create := func(slug string) chan error {
		out := make(chan error, 1)
		go func() {
			_, _, _, err := d.CreateOrg(ctx, sys, directory.OrgInput{Name: slug, Slug: slug,
				Admin: directory.UserInput{Email: "admin@" + slug + ".example", GivenName: "A"}})
			out <- err
		}()
		return out
	}
	answered := func(c chan error) bool {
		select {
		case err := <-c:
			c <- err
			return true
		default:
			return false
		}
	}

	a := create("alpha")
	<-store.syncing // alpha is committed, its sync held
	head, _ := inner.Head(ctx)
	b := create("bravo")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if h, _ := inner.Head(ctx); h > head {
			break // bravo committed while alpha's sync is held
		}
		if time.Now().After(deadline) {
			t.Fatal("bravo did not commit while alpha's sync was held")
		}
	}
	if answered(a) || answered(b) {
		t.Fatal("a write was answered before a sync put it on disk")
	}
	store.outcome <- nil
	if err := <-a; err != nil {
		t.Fatalf("alpha, synced: %v", err)
	}
	<-store.syncing // bravo's sync
	if answered(b) {
		t.Fatal("bravo was answered before its sync")
	}
	store.outcome <- nil
	if err := <-b; err != nil {
		t.Fatalf("bravo, synced: %v", err)
	}

	c := create("charlie")
	<-store.syncing
	store.outcome <- errors.New("injected: the disk refused")
	if err := <-c; gh.KindOf(err) != gh.KindInternal {
		t.Errorf("charlie, whose sync failed: %v, want an internal error", err)
	}
}
