package directory

import (
	"context"
	"time"

	gh "gatehouse.dev/gatehouse"
)

// Consistency is what a reader asks of the index's freshness. The zero value
// answers from this node's latest state.
type Consistency struct {
	// AtLeastRevision waits until this node has applied that revision (a
	// revision a write returned), so a revoke is never missed by a caller who passes it.
	AtLeastRevision gh.Revision `json:"at_least_revision,omitempty"`
	// FullyConsistent catches up with the store's head first.
	FullyConsistent bool `json:"fully_consistent,omitempty"`
}

// MaxWait bounds how long a reader waits for the index to reach a revision.
const MaxWait = 2 * time.Second

// Await brings the index to what c asks, or fails with KindUnavailable
// (retryable) rather than answer from a state known to be behind.
func (d *Directory) Await(ctx context.Context, c Consistency) error {
	if c.FullyConsistent {
		if err := d.CatchUp(ctx); err != nil {
			return gh.Errorf(gh.KindUnavailable, "index_behind", "could not catch up with the store: retry")
		}
		return nil
	}
	if c.AtLeastRevision <= d.idx.Revision() {
		return nil
	}
	deadline := time.Now().Add(MaxWait)
	for {
		if err := d.CatchUp(ctx); err == nil && d.idx.Revision() >= c.AtLeastRevision {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return gh.Errorf(gh.KindUnavailable, "index_behind",
				"this node has not reached revision %d yet (it is at %d); retry", c.AtLeastRevision, d.idx.Revision())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
