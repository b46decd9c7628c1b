package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// The notices the writes of one group commit ask for are delivered together,
// once, in its transaction; a write refused after asking for one delivers
// nothing, and the others of its group are not held back by it.
func TestNoticesAreDeliveredOncePerGroupForItsWritesThatPass(t *testing.T) {
	for _, sk := range commitStores {
		t.Run(sk.name, func(t *testing.T) {
			ctx := context.Background()
			store, d, sys, o := openPausing(t, sk.open, "notices")
			sc := directory.Scope{Org: o}
			var mu sync.Mutex
			var deliveries [][]string
			d.BeforeCommit = func(c *directory.Change, evs []*gh.Event) error {
				for _, ev := range evs {
					var g gh.Group
					if ev.Action != "group.create" || json.Unmarshal(ev.Changes[0].After, &g) != nil {
						continue
					}
					c.Notice(gh.Notice{Org: o.ID, Title: g.Name})
					if strings.HasPrefix(g.Name, "refused") {
						return errors.New("refused after asking for a notice")
					}
				}
				return nil
			}
			d.DeliverNotices = func(_ gh.VaultTx, ns []gh.Notice) error {
				var titles []string
				for _, n := range ns {
					titles = append(titles, n.Title)
				}
				slices.Sort(titles)
				mu.Lock()
				deliveries = append(deliveries, titles)
				mu.Unlock()
				return nil
			}

			store.pause.Store(true)
			first := make(chan error, 1)
			go func() { _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: "first"}); first <- err }()
			<-store.ran
			names := []string{"alpha", "refused bravo", "charlie"}
			results := make(chan error, len(names))
			for _, n := range names {
				go func() { _, _, err := d.CreateGroup(ctx, sys, sc, directory.GroupInput{Name: n}); results <- err }()
			}
			waitQueued(t, d, len(names)) // they queue behind the paused commit, and commit as one group
			store.go_ <- struct{}{}
			if err := <-first; err != nil {
				t.Fatal(err)
			}
			var refused int
			for range names {
				if err := <-results; err != nil {
					refused++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if refused != 1 || len(deliveries) != 2 || strings.Join(deliveries[0], ",") != "first" ||
				strings.Join(deliveries[1], ",") != "alpha,charlie" {
				t.Errorf("%d refused, deliveries %q; want 1 refused, then [first] and one [alpha charlie]", refused, deliveries)
			}
		})
	}
}
