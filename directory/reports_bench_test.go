package directory_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/sqlite"
)

// BenchmarkReports measures the reports on mssp-large in SQLite, with two
// sign-ins a user on average (and one failure in ten) spread over 90 days:
//
//	go test ./directory -run XXX -bench Reports -benchtime 5x
//
// LogScan30d is what the inactive filter would cost reading the log (the
// successful sign-ins of the last 30 days) instead of the summary.
func BenchmarkReports(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "reports.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	snap := dataset.Build(dataset.Profiles["mssp-large"], 1)
	if _, err := dataset.Write(ctx, store, snap); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	n := writeSignIns(b, store, snap, now)
	d := directory.New(store, engine.New(gh.DefaultCatalogue), slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err := d.Load(ctx); err != nil {
		b.Fatal(err)
	}
	a, o := directory.SystemActor("bench"), snap.Orgs[0]
	org := directory.Scope{Org: o}
	ws := directory.Scope{Org: o, Workspace: snap.Workspaces[0]}
	var local *gh.User
	for _, u := range snap.Users {
		if u.Workspace == ws.Workspace.ID {
			local = u
			break
		}
	}
	b.Logf("%d users, %d sign-in events", len(snap.Users), n)
	b.Run("InactiveOrg30d", func(b *testing.B) {
		for b.Loop() {
			list, err := d.InactiveReport(ctx, a, org, 30)
			if err != nil || len(list) == 0 {
				b.Fatalf("inactive: %d, %v", len(list), err)
			}
		}
	})
	b.Run("InactiveWorkspace30d", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.InactiveReport(ctx, a, ws, 30); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Workspace30dOrgReader", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.WorkspaceReport(ctx, a, ws, directory.Period{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("User90d", func(b *testing.B) {
		for b.Loop() {
			rep, err := d.UserReport(ctx, a, ws, string(local.ID), directory.Period{Since: now.AddDate(0, 0, -90)})
			if err != nil || rep.SignIns+rep.Failures == 0 && len(rep.Changes) == 0 {
				b.Fatalf("user report: %+v, %v", rep, err)
			}
		}
	})
	b.Run("LogScan30d", func(b *testing.B) {
		for b.Loop() {
			f := gh.EventFilter{Org: o.ID, Action: "login.success", Since: now.AddDate(0, 0, -30), Limit: 1000}
			seen := map[gh.UserID]bool{}
			for {
				evs, err := store.ListEvents(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				for _, ev := range evs {
					seen[gh.UserID(ev.Target.ID)] = true
				}
				if len(evs) < f.Limit {
					break
				}
				f.Before = evs[len(evs)-1].Revision
			}
		}
	})
}

// writeSignIns appends, in time order, 0 to 4 successful sign-ins a user
// over the 90 days before now, or a failure for one user in ten.
func writeSignIns(b *testing.B, store gh.Store, snap *gh.Snapshot, now time.Time) int {
	rng := rand.New(rand.NewPCG(7, 8))
	var evs []*gh.Event
	for _, u := range snap.Users {
		count, action := rng.IntN(5), "login.success"
		if rng.IntN(10) == 0 {
			count, action = 1, "login.failure"
		}
		for range count {
			evs = append(evs, &gh.Event{Org: u.Org, Workspace: u.Workspace, Actor: gh.Actor{Type: gh.ActorUser, User: u.ID},
				Action: action, Target: gh.Target{Type: gh.KindUser, ID: string(u.ID)},
				Time: now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))})
		}
	}
	slices.SortFunc(evs, func(x, y *gh.Event) int { return x.Time.Compare(y.Time) })
	for i := 0; i < len(evs); i += 5000 {
		chunk := evs[i:min(i+5000, len(evs))]
		err := store.Update(context.Background(), func(tx gh.Tx) error {
			for j, ev := range chunk {
				ev.Revision = tx.Next() + gh.Revision(j)
			}
			return tx.AppendAll(chunk)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return len(evs)
}
