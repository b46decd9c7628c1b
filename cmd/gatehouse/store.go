package main

import (
	"context"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/postgres"
	"gatehouse.dev/gatehouse/sqlite"
)

// isPostgres reports whether a store reference is a PostgreSQL URL.
func isPostgres(ref string) bool {
	return strings.HasPrefix(ref, "postgres://") || strings.HasPrefix(ref, "postgresql://")
}

// openStore opens (and migrates) the store a reference names.
func openStore(ctx context.Context, ref string) (gh.Store, error) {
	if isPostgres(ref) {
		return postgres.Open(ctx, ref)
	}
	return sqlite.Open(ctx, strings.TrimPrefix(ref, "sqlite://"))
}
