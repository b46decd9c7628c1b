package directory

import (
	"fmt"
	"sync"

	gh "gatehouse.dev/gatehouse"
)

// Durability apart from the commit. On a store that commits without waiting
// for the disk (gh.SyncLater: SQLite's WAL), a group's writers are answered
// only once a sync has put their commit on disk, but the committer does not
// wait for that sync: it goes on to the next group while the syncer syncs,
// and one sync answers every group committed before it. What is answered is
// on disk, as before; what changes is that the fsync of one group overlaps
// the work of the next instead of adding to it.
//
// The index, and so every reader, sees a group once it is committed, up to
// one sync (about a millisecond) before it is on disk. Should the machine
// lose power in that moment, the group is lost unanswered, as a write in
// flight always could be.
type durable struct {
	mu      sync.Mutex
	pending [][]*request // committed groups awaiting a sync, oldest first
	running bool         // a syncer is at work
}

// answerWhenDurable answers reqs, committed, once a sync has put them on disk.
func (d *Directory) answerWhenDurable(reqs []*request) {
	d.durable.mu.Lock()
	defer d.durable.mu.Unlock()
	d.durable.pending = append(d.durable.pending, reqs)
	if !d.durable.running {
		d.durable.running = true
		go d.syncPending()
	}
}

// syncPending syncs and answers the committed groups until none is left.
func (d *Directory) syncPending() {
	for {
		d.durable.mu.Lock()
		groups := d.durable.pending
		d.durable.pending = nil
		if len(groups) == 0 {
			d.durable.running = false
			d.durable.mu.Unlock()
			return
		}
		d.durable.mu.Unlock()
		err := d.syncLater.Sync()
		if err != nil {
			// Committed, but not known to be on disk: not acknowledged.
			d.log.Error("sync committed writes", "err", err)
			err = gh.Internal(fmt.Errorf("commit not confirmed on disk: %w", err))
		}
		for _, g := range groups {
			d.answer(g, err)
		}
	}
}
