// Package postgres is the gatehouse.Store for several nodes over one
// PostgreSQL database. The queries are sqlstore's, run through pgx's
// database/sql adapter; this package supplies the PostgreSQL dialect.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"gatehouse.dev/gatehouse/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a gatehouse.Store on a PostgreSQL database.
type DB struct {
	*sqlstore.DB
	cfg *pgx.ConnConfig // for the listening connection
}

// Open connects to the database named by dsn (a URL or key=value string) and
// applies pending migrations; nodes starting together may both call it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Two pools, each bounded because every node shares the server's
	// max_connections: a burst waits here rather than being refused there.
	// Writers queue on the head row anyway; a separate read pool means reads
	// never wait behind writers that hold connections while queueing.
	write, read := stdlib.OpenDB(*cfg), stdlib.OpenDB(*cfg)
	write.SetMaxOpenConns(8)
	read.SetMaxOpenConns(16)
	db := &DB{DB: sqlstore.New(write, read, dialect), cfg: cfg}
	if err := write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s/%s: %w", cfg.Host, cfg.Database, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = db.Migrate(ctx, sub)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

var dialect = sqlstore.Dialect{
	Numbered: true,
	// DESIGN §4: revisions must be gap-free in commit order. A sequence value
	// is taken at insert but becomes visible at commit, so two writers can
	// commit out of order and a follower reading "revisions above mine" would
	// skip one for ever. Locking the one head row first serialises writers: the
	// next writer reads the head only after the previous one has committed.
	LockHead: "SELECT revision, indexed FROM head WHERE id = 1 FOR UPDATE",
	// Held to the end of each migration's transaction; the number is arbitrary
	// but fixed, and names gatehouse's migrations among other advisory locks.
	LockMigrations: "SELECT pg_advisory_xact_lock(7015320741)",
	// One snapshot for every statement, and no chance of writing by mistake.
	ReadTx:    &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	Violation: violation,
	// Delivered to listeners only when the transaction commits, and not at all
	// if it rolls back: a wake-up always means there is something to read.
	Notify:   "SELECT pg_notify('" + channel + "', ?)",
	MultiRow: true,
	Pipeline: pipeline,
}

// channel is the LISTEN/NOTIFY channel of committed events.
const channel = "gatehouse_events"

// violation classifies PostgreSQL's SQLSTATE codes (Appendix A of its manual).
func violation(err error) sqlstore.Violation {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return sqlstore.NoViolation
	}
	switch e.Code {
	case "23505": // unique_violation
		return sqlstore.Unique
	case "23503": // foreign_key_violation
		return sqlstore.ForeignKey
	}
	return sqlstore.NoViolation
}

// pipeline sends stmts as one pgx batch on the transaction's connection:
// pgx writes them all, then reads their results, so a group commit's writes
// cost one round trip instead of one each.
func pipeline(ctx context.Context, conn *sql.Conn, stmts []sqlstore.Stmt) (failed int, err error) {
	failed = -1
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("connection is %T, not pgx's", dc)
		}
		b := &pgx.Batch{}
		for _, s := range stmts {
			b.Queue(s.Query, s.Args...)
		}
		res := c.Conn().SendBatch(ctx, b)
		for i := range stmts {
			if _, err := res.Exec(); err != nil {
				failed = i
				res.Close()
				return err
			}
		}
		return res.Close()
	})
	return failed, err
}
