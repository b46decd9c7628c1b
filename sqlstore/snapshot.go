package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"gatehouse.dev/gatehouse"
)

// Snapshot reads every object and the head revision in one read transaction
// (Dialect.ReadTx), so they reflect exactly one revision. Each list is in
// primary-key order. Errors are KindInternal.
func (db *DB) Snapshot(ctx context.Context) (*gatehouse.Snapshot, error) {
	rtx, err := db.read.BeginTx(ctx, db.d.ReadTx)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("snapshot: begin: %w", err))
	}
	defer rtx.Rollback() // read-only: nothing to commit
	s := new(gatehouse.Snapshot)
	// The head is read first: in SQLite the first read fixes what the
	// transaction sees, and the objects must be those of this revision.
	if err := rtx.QueryRowContext(ctx, "SELECT revision FROM head WHERE id = 1").Scan(&s.Revision); err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("snapshot: head: %w", err))
	}
	in := make(interner, 1<<16)
	for _, load := range []func() error{
		loadAll(ctx, rtx, in, gatehouse.KindOrg, &s.Orgs),
		loadAll(ctx, rtx, in, gatehouse.KindWorkspace, &s.Workspaces),
		loadAll(ctx, rtx, in, gatehouse.KindUser, &s.Users),
		loadAll(ctx, rtx, in, gatehouse.KindGroup, &s.Groups),
		loadAll(ctx, rtx, in, gatehouse.KindMembership, &s.Memberships),
		loadAll(ctx, rtx, in, gatehouse.KindRole, &s.Roles),
		loadAll(ctx, rtx, in, gatehouse.KindAssignment, &s.Assignments),
		loadAll(ctx, rtx, in, gatehouse.KindTemplate, &s.Templates),
		loadAll(ctx, rtx, in, gatehouse.KindProvider, &s.Providers),
		loadAll(ctx, rtx, in, gatehouse.KindDomain, &s.Domains),
		loadAll(ctx, rtx, in, gatehouse.KindExternalDirectory, &s.Directories),
		loadAll(ctx, rtx, in, gatehouse.KindAPIKey, &s.Keys),
		loadAll(ctx, rtx, in, gatehouse.KindCapability, &s.Capabilities),
		loadAll(ctx, rtx, in, gatehouse.KindExclusion, &s.Exclusions),
	} {
		if err := load(); err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("snapshot: %w", err))
		}
	}
	return s, nil
}

// loadAll returns a step that decodes every row of kind's table into dst,
// sharing repeated strings through in.
func loadAll[T any](ctx context.Context, q querier, in interner, kind gatehouse.ObjectKind, dst *[]*T) func() error {
	return func() error {
		tbl := tables[kind]
		rows, err := q.QueryContext(ctx, "SELECT data FROM "+tbl.name+" ORDER BY "+tbl.orderBy())
		if err != nil {
			return fmt.Errorf("read %s: %w", tbl.name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				return fmt.Errorf("read %s: %w", tbl.name, err)
			}
			v := new(T)
			if err := json.Unmarshal(data, v); err != nil {
				return fmt.Errorf("decode %s: %w", tbl.name, err)
			}
			in.walk(reflect.ValueOf(v))
			*dst = append(*dst, v)
		}
		return rows.Err()
	}
}
