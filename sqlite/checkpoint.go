package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// Checkpoints. Left to itself, SQLite copies the WAL back into the database
// file inside the commit that finds it past 1,000 pages: the one writer,
// whom every write of the process is waiting for, then also reads, writes
// and syncs the pages of the checkpoint. Instead a checkpointer with a
// connection of its own copies them beside the writer, on the other core.
//
// Copying beside a writer that never pauses, it never quite catches up, and
// the WAL starts over only when a transaction begins with all of it copied.
// So when the WAL has grown past ckptFinish pages, the checkpointer copies
// the last few on the writer's own connection, between two transactions,
// and the next transaction starts the WAL over. SQLite's own checkpoint
// stays as a net at ckptNet pages, should this one stall.
//
// The finish holds the writer for two syncs, the WAL's and the file's, about
// 8 ms under load whatever it copies; at 2,000 pages it came ten times a
// second. A longer WAL makes fewer finishes but costs the checkpointer and
// the writer more CPU a page: of 2,000, 4,000, 6,000 and 8,000 pages, 4,000
// wrote fastest at the least CPU (BENCHMARKS.md).
const (
	ckptEvery  = 25 * time.Millisecond
	ckptFinish = 4000
	ckptNet    = 20000
)

type checkpointer struct {
	side, write *sql.DB
	stop, done  chan struct{}
	closing     sync.Once
}

func startCheckpointer(side, write *sql.DB) *checkpointer {
	c := &checkpointer{side: side, write: write, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(ckptEvery)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		wal, err := checkpoint(c.side)
		if err == nil && wal >= ckptFinish {
			_, err = checkpoint(c.write)
		}
		if err != nil && !failing { // once per spell, not every tick
			slog.Error("sqlite checkpoint", "err", err)
		}
		failing = err != nil
	}
}

// checkpoint copies what it can of the WAL into the database file without
// waiting for anyone, and returns the WAL's length in pages.
func checkpoint(db *sql.DB) (wal int, err error) {
	var busy, copied int
	err = db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &wal, &copied)
	return wal, err
}

func (c *checkpointer) close() {
	c.closing.Do(func() { close(c.stop) })
	<-c.done
}
