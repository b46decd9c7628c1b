package directory

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/sqlite"
)

// A write refused after it wrote a vault row leaves that row in the group's
// transaction, which only the transaction's end can undo: the group is then
// committed again one write at a time, and the others still go through.
func TestGroupRetriesAloneAfterAWriteLeftAVaultRow(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "retry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d := New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	sys := SystemActor("test")
	o, _, _, err := d.CreateOrg(ctx, sys, OrgInput{Name: "Retry", Slug: "retry", Admin: UserInput{Email: "a@retry.example", GivenName: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	create := func(email string) *request {
		return &request{a: sys, done: make(chan result, 1), fn: func(w *writer) error {
			return d.createUser(w, UserInput{Email: email, GivenName: "U"}.user(gh.Home{Org: o.ID}))
		}}
	}
	refused := errors.New("refused after writing a vault row")
	bad := &request{a: sys, done: make(chan result, 1), fn: func(w *writer) error {
		if err := w.vault.PutWebhookSecret(o.ID, "left behind"); err != nil {
			return err
		}
		return refused
	}}
	reqs := []*request{create("one@retry.example"), bad, create("two@retry.example")}
	d.writeMu.Lock()
	d.queue = append(d.queue, reqs...)
	groups := 0
	for !reqs[0].taken.Load() || !bad.taken.Load() || !reqs[2].taken.Load() {
		d.commitGroup(d.takeGroup())
		groups++
	}
	d.writeMu.Unlock()
	if groups < 2 {
		t.Errorf("the group was committed in %d go, want it retried write by write", groups)
	}
	for i, r := range reqs {
		res := <-r.done
		if want := r != bad; (res.err == nil) != want {
			t.Errorf("write %d = %v, want success %v", i, res.err, want)
		}
	}
	if _, err := store.WebhookSecret(ctx, o.ID); gh.KindOf(err) != gh.KindNotFound {
		t.Errorf("the refused write's vault row = %v, want none", err)
	}
	for _, email := range []string{"one@retry.example", "two@retry.example"} {
		if d.idx.UserByEmail(gh.Home{Org: o.ID}, email) == nil {
			t.Errorf("%s is missing", email)
		}
	}
	fresh := New(store, engine.New(gh.DefaultCatalogue), nil, nil)
	if err := fresh.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if fresh.idx.Digest() != d.idx.Digest() {
		t.Errorf("the index differs from the store after the retry")
	}
}
