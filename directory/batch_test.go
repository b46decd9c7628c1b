package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// keeper is a directory.Keeper that keeps answers under key.
type keeper struct {
	key     string
	kept    error // what Kept answers
	keepErr error // what Keep answers instead of keeping
	calls   int
	refused *directory.BatchError
	rev     gh.Revision
}

func (k *keeper) Kept(gh.VaultTx) error { return k.kept }

func (k *keeper) Keep(v gh.VaultTx, results []directory.BatchResult, rev gh.Revision, refused *directory.BatchError) error {
	k.calls, k.refused, k.rev = k.calls+1, refused, rev
	if k.keepErr != nil {
		return k.keepErr
	}
	body, _ := json.Marshal(results)
	return v.KeepAnswer(&gh.KeptAnswer{Org: "org_k", Key: k.key, Request: "r", Status: 200, Body: body,
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}, time.Now())
}

// A batch's Keeper writes in the batch's transaction: with the batch when it
// applies, alone when it is refused, and not at all when it fails — in which
// case the batch's writes are undone too, in the store and in the index.
func TestBatchKeeper(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			ctx := context.Background()
			store := sk.open(t)
			t.Cleanup(func() { store.Close() })
			d, sys, o, _ := openWithOrg(t, store, "keep")
			group := func(name string) directory.BatchOp {
				return directory.BatchOp{Op: "create", Type: "group", Body: json.RawMessage(`{"name":"` + name + `"}`)}
			}
			kept := func(key string) bool {
				_, err := store.KeptAnswer(ctx, "org_k", key, time.Now())
				return err == nil
			}
			unchanged := func(what string, head gh.Revision, digest string) {
				t.Helper()
				if h, _ := store.Head(ctx); h != head || d.Index().Revision() != head || d.Index().Digest() != digest {
					t.Errorf("%s changed the directory", what)
				}
			}
			head, digest := d.Index().Revision(), d.Index().Digest()

			// Keep fails: nothing of the batch stays.
			k := &keeper{key: "failed", keepErr: errors.New("cannot keep")}
			if _, _, err := d.ApplyBatch(ctx, sys, o, "bat_1", []directory.BatchOp{group("a"), group("b")}, false, k); !errors.Is(err, k.keepErr) {
				t.Fatalf("ApplyBatch with a failing Keep = %v, want its error", err)
			}
			unchanged("a batch whose answer was not kept", head, digest)

			// Kept ends the batch before it applies anything.
			k = &keeper{kept: errors.New("kept already")}
			if _, _, err := d.ApplyBatch(ctx, sys, o, "bat_2", []directory.BatchOp{group("a")}, false, k); !errors.Is(err, k.kept) || k.calls != 0 {
				t.Fatalf("ApplyBatch with an answer kept = %v (Keep called %d times), want Kept's error and no Keep", err, k.calls)
			}
			unchanged("a batch answered as kept", head, digest)

			// Refused: the refusal is kept alone.
			k = &keeper{key: "refused"}
			_, _, err := d.ApplyBatch(ctx, sys, o, "bat_3", []directory.BatchOp{group("a"), group("a")}, false, k)
			var be *directory.BatchError
			if !errors.As(err, &be) || k.refused != be || !kept("refused") {
				t.Fatalf("refused batch = %v; Keep saw %v, kept %v; want the refusal kept", err, k.refused, kept("refused"))
			}
			unchanged("a refused batch", head, digest)

			// Applied: kept with the batch, at its revision.
			k = &keeper{key: "applied"}
			_, rev, err := d.ApplyBatch(ctx, sys, o, "bat_4", []directory.BatchOp{group("a"), group("b")}, false, k)
			if err != nil || k.rev != rev || rev != head+2 || !kept("applied") {
				t.Fatalf("batch = rev %d, %v; Keep saw rev %d, kept %v; want revision %d kept", rev, err, k.rev, kept("applied"), head+2)
			}
		})
	}
}
