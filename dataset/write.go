package dataset

import (
	"context"
	"fmt"

	gh "gatehouse.dev/gatehouse"
)

// changesPerEvent and eventsPerTx bound the size of what Write sends at once.
const (
	changesPerEvent = 1000
	eventsPerTx     = 20
)

// Write stores a generated directory as audited events ("bench.generate"),
// parents before children, in transactions of bounded size. The objects are
// valid by construction, so the directory's per-change rules are not replayed;
// the store's constraints still refuse a clash (such as generating twice).
func Write(ctx context.Context, s gh.Store, snap *gh.Snapshot) (gh.Revision, error) {
	var changes []gh.Change
	add := func(kind gh.ObjectKind, id string, v any) {
		changes = append(changes, gh.Change{Kind: kind, ID: id, After: gh.MustJSON(v)})
	}
	if len(snap.Orgs) == 0 {
		return 0, fmt.Errorf("write dataset: no organization")
	}
	// Generated data is filed in the first organization's audit chain, even
	// when a chunk holds objects of a second one.
	org := snap.Orgs[0].ID
	for _, o := range snap.Orgs {
		add(gh.KindOrg, string(o.ID), o)
	}
	for _, r := range snap.Roles {
		add(gh.KindRole, string(r.ID), r)
	}
	for _, w := range snap.Workspaces {
		add(gh.KindWorkspace, string(w.ID), w)
	}
	for _, u := range snap.Users {
		add(gh.KindUser, string(u.ID), u)
	}
	for _, g := range snap.Groups {
		add(gh.KindGroup, string(g.ID), g)
	}
	for _, m := range snap.Memberships {
		add(gh.KindMembership, m.Key(), m)
	}
	for _, a := range snap.Assignments {
		add(gh.KindAssignment, string(a.ID), a)
	}
	var last gh.Revision
	for len(changes) > 0 {
		err := s.Update(ctx, func(tx gh.Tx) error {
			for range eventsPerTx {
				if len(changes) == 0 {
					return nil
				}
				n := min(changesPerEvent, len(changes))
				ev := &gh.Event{Revision: tx.Next(), Org: org, Time: snap.Orgs[0].CreatedAt,
					Actor: gh.Actor{Type: gh.ActorSystem}, Source: gh.Source{Via: "bench"}, Action: "bench.generate",
					Target: gh.Target{Type: changes[0].Kind, ID: changes[0].ID}, Changes: changes[:n]}
				if err := tx.Append(ev); err != nil {
					return err
				}
				changes, last = changes[n:], ev.Revision
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("write dataset: %w", err)
		}
	}
	return last, nil
}
