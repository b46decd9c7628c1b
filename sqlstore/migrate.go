package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Migrate applies the migrations in fsys that the database has not recorded
// yet, in order. Files are named NNNN_name.sql; each runs in its own
// transaction together with its row in schema_migrations, so a failed
// migration leaves no trace and is tried again on the next Migrate.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.sql") // sorted, so 0002 runs after 0001
	if err != nil {
		return err
	}
	seen := map[int]string{}
	for _, name := range names {
		num, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		if other, ok := seen[version]; ok {
			return fmt.Errorf("migrations %s and %s share number %d", other, name, version)
		}
		seen[version] = name
		script, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if err := db.migrate(ctx, version, strings.TrimSuffix(name, ".sql"), string(script)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrate(ctx context.Context, version int, name, script string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.d.LockMigrations != "" {
		if _, err := tx.ExecContext(ctx, db.d.LockMigrations); err != nil {
			return err
		}
	}
	// Created under the lock, so two first migrators do not race on it.
	_, err = tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	if err != nil {
		return err
	}
	var n int
	err = tx.QueryRowContext(ctx, db.d.rebind("SELECT count(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		version, name, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return err
	}
	return tx.Commit()
}
