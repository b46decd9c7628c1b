package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"gatehouse.dev/gatehouse"
)

// Sync puts every transaction committed so far on disk (gatehouse.SyncLater).
//
// The writer commits with synchronous=NORMAL: a commit writes its pages to
// the WAL and returns, and the directory answers its writers only after
// Sync. An fsync of the WAL, through any descriptor of the file, puts on disk
// every frame written before it: one sync makes all the commits before it
// durable, while the writer goes on with the next. A WAL that is gone was
// copied into the database file and synced by SQLite before it was removed.
//
// The other writes on the writer's connection are synced here too when they
// are acknowledged (VaultUpdate, migrations); the bookkeeping written beside
// them (a session's last use, a key's, rate buckets, the outbox's progress)
// is on disk at the next sync, and on power loss may be a moment behind.
func (db *DB) Sync() error {
	f, err := os.OpenFile(db.wal, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// VaultUpdate runs fn in a transaction of its own and syncs it: a sign-out,
// say, is on disk before it is answered.
func (db *DB) VaultUpdate(ctx context.Context, fn func(gatehouse.VaultTx) error) error {
	if err := db.DB.VaultUpdate(ctx, fn); err != nil {
		return err
	}
	if err := db.Sync(); err != nil {
		return gatehouse.Internal(fmt.Errorf("sync: %w", err))
	}
	return nil
}
