// Package postgrestest gives each test its own PostgreSQL database.
package postgrestest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvDSN names the environment variable holding the server to test against.
const EnvDSN = "GATEHOUSE_TEST_POSTGRES"

// DefaultDSN is used when EnvDSN is unset: a local server with trust auth.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DSN creates a fresh, empty database named gatehouse_test_<random> on the
// server of $GATEHOUSE_TEST_POSTGRES (or DefaultDSN), drops it when the test
// ends, and returns its DSN. It fails the test, rather than skipping it, when
// the server cannot be reached: a store that is not tested is not known to work.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		base = DefaultDSN
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("postgrestest: $%s: %v", EnvDSN, err)
	}
	admin := stdlib.OpenDB(*cfg)
	admin.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		t.Fatalf("postgrestest: cannot reach PostgreSQL at %s:%d as %s (set $%s to a server that accepts connections): %v",
			cfg.Host, cfg.Port, cfg.User, EnvDSN, err)
	}
	name := "gatehouse_test_" + randomHex()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("postgrestest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, admin, name) })
	return withDatabase(base, name)
}

// drop removes the test's database; FORCE ends connections a failed test left open.
func drop(t testing.TB, admin *sql.DB, name string) {
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("postgrestest: drop database %s: %v", name, err)
	}
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withDatabase returns dsn with its database replaced by name, in either DSN form.
func withDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	return dsn + " dbname=" + name // a later keyword wins
}
