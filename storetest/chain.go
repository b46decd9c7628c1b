package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gatehouse.dev/gatehouse"
)

// hashOf is an event's hash as the store must compute it: the SHA-256 of its
// JSON with Hash empty and PrevHash filled in.
func hashOf(t *testing.T, ev *gatehouse.Event) (data, hash string) {
	t.Helper()
	e := *ev
	e.Hash = ""
	b, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:])
}

// chainLog commits org a's events at revisions 1, 2, 4, 5, 7, org b's at 3
// and 6 and the operator's at 8, over three Updates.
func chainLog(t *testing.T, s gatehouse.Store) []*gatehouse.Event {
	var evs []*gatehouse.Event
	for i, org := range []gatehouse.OrgID{"org_a", "org_a", "org_b", "org_a", "org_a", "org_b", "org_a", ""} {
		evs = append(evs, event(org, fmt.Sprintf("test.e%d", i+1), nil))
	}
	mustCommit(t, s, evs[:2]...)
	mustCommit(t, s, evs[2:5]...)
	mustCommit(t, s, evs[5:]...)
	return evs
}

// testChain checks how Append chains events: per organization, over the
// exact JSON of each event.
func testChain(t *testing.T, h Harness) {
	s := h.Open(t)
	chainLog(t, s)
	checkChain(t, s)
}

// testChainAcrossHandles writes one log through two handles on the same
// database, as two nodes do, in turns and through both Append and AppendAll:
// neither may chain an event to a hash it kept from before the other wrote.
func testChainAcrossHandles(t *testing.T, h Harness) {
	if h.Another == nil {
		t.Skip("the harness opens no second handle")
	}
	s1 := h.Open(t)
	s2 := h.Another(t, s1)
	for i, step := range []struct {
		s    gatehouse.Store
		all  bool
		orgs []gatehouse.OrgID
	}{
		{s1, true, []gatehouse.OrgID{"org_a", "org_b"}},
		{s1, false, []gatehouse.OrgID{"org_a"}},
		{s2, true, []gatehouse.OrgID{"org_a", "org_a"}},
		{s1, true, []gatehouse.OrgID{"org_a", "org_b"}},
		{s1, false, []gatehouse.OrgID{"org_b"}},
		{s2, false, []gatehouse.OrgID{"org_b", "org_a"}},
		{s2, true, []gatehouse.OrgID{"org_a"}},
		{s1, true, []gatehouse.OrgID{"org_a", "org_b"}},
	} {
		var evs []*gatehouse.Event
		for j, org := range step.orgs {
			evs = append(evs, event(org, fmt.Sprintf("test.s%d.e%d", i, j), nil))
		}
		commitIt := commit
		if step.all {
			commitIt = commitAll
		}
		if err := commitIt(step.s, evs...); err != nil {
			t.Fatalf("step %d: Update: %v", i, err)
		}
	}
	checkChain(t, s1)
}

// checkChain checks that every event of s's log carries the hash of its JSON
// and of its organization's previous event, and that VerifyChain agrees.
func checkChain(t *testing.T, s gatehouse.Store) {
	t.Helper()
	last := map[gatehouse.OrgID]string{}
	count := map[gatehouse.OrgID]int{}
	for _, ev := range eventsAfter(t, s, 0, 0) {
		if ev.PrevHash != last[ev.Org] {
			t.Errorf("event %d of %q: PrevHash = %q, want %q (the hash of its org's previous event)",
				ev.Revision, ev.Org, ev.PrevHash, last[ev.Org])
		}
		if _, hash := hashOf(t, ev); ev.Hash != hash {
			t.Errorf("event %d: Hash = %q, want sha256 of its JSON %q", ev.Revision, ev.Hash, hash)
		}
		last[ev.Org] = ev.Hash
		count[ev.Org]++
	}
	for org, n := range count {
		rep, err := s.VerifyChain(context.Background(), org)
		if err != nil {
			t.Fatalf("VerifyChain(%q): %v", org, err)
		}
		want := &gatehouse.ChainReport{Org: org, Checked: n, OK: true}
		if d := cmp.Diff(want, rep); d != "" {
			t.Errorf("VerifyChain(%q) mismatch (-want +got):\n%s", org, d)
		}
	}
}

// quote renders s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// testVerifyChain tampers with the log behind the store's back and checks
// that VerifyChain names the first broken event.
func testVerifyChain(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, evs []*gatehouse.Event) string // SQL; "" for none
		org    gatehouse.OrgID
		want   gatehouse.ChainReport
		reason string // a word the reason must contain
	}{
		{"intact", nil, "org_a", gatehouse.ChainReport{Checked: 5, OK: true}, ""},
		{"data edited", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET data = replace(data, '"action":"test.e2"', '"action":"test.eX"') WHERE revision = 2`
		}, "org_a", gatehouse.ChainReport{Checked: 2, BrokenAt: 2}, "hash"},
		{"action column edited", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET action = 'test.eX' WHERE revision = 4`
		}, "org_a", gatehouse.ChainReport{Checked: 3, BrokenAt: 4}, "action"},
		{"time column edited", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET time = time + 1 WHERE revision = 5`
		}, "org_a", gatehouse.ChainReport{Checked: 4, BrokenAt: 5}, "time"},
		{"row deleted in the middle", func(*testing.T, []*gatehouse.Event) string {
			return `DELETE FROM events WHERE revision = 4`
		}, "org_a", gatehouse.ChainReport{Checked: 3, BrokenAt: 5}, "prev_hash"},
		{"first row deleted", func(*testing.T, []*gatehouse.Event) string {
			return `DELETE FROM events WHERE revision = 1`
		}, "org_a", gatehouse.ChainReport{Checked: 1, BrokenAt: 2}, "prev_hash"},
		{"edited and hashed again", func(t *testing.T, evs []*gatehouse.Event) string {
			e := *evs[1]
			e.Action = "test.eX"
			data, hash := hashOf(t, &e)
			return fmt.Sprintf("UPDATE events SET data = %s, action = 'test.eX', hash = %s WHERE revision = 2",
				quote(data), quote(hash))
		}, "org_a", gatehouse.ChainReport{Checked: 3, BrokenAt: 4}, "prev_hash"},
		{"another org's event edited", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET data = replace(data, 'test', 'TEST') WHERE revision = 3`
		}, "org_a", gatehouse.ChainReport{Checked: 5, OK: true}, ""},
		{"that org's chain is broken", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET data = replace(data, 'test', 'TEST') WHERE revision = 3`
		}, "org_b", gatehouse.ChainReport{Checked: 1, BrokenAt: 3}, "hash"},
		{"operator's chain", func(*testing.T, []*gatehouse.Event) string {
			return `UPDATE events SET actor_id = 'usr_x' WHERE revision = 8`
		}, "", gatehouse.ChainReport{Checked: 1, BrokenAt: 8}, "actor_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := h.Open(t)
			evs := chainLog(t, s)
			if tc.tamper != nil {
				h.Exec(t, s, tc.tamper(t, evs))
			}
			rep, err := s.VerifyChain(context.Background(), tc.org)
			if err != nil {
				t.Fatalf("VerifyChain(%q): %v", tc.org, err)
			}
			want := tc.want
			want.Org = tc.org
			if d := cmp.Diff(&want, rep, cmpopts.IgnoreFields(gatehouse.ChainReport{}, "Reason")); d != "" {
				t.Errorf("VerifyChain(%q) mismatch (-want +got):\n%s", tc.org, d)
			}
			if !strings.Contains(rep.Reason, tc.reason) || (tc.reason == "") != (rep.Reason == "") {
				t.Errorf("VerifyChain(%q).Reason = %q, want one that mentions %q", tc.org, rep.Reason, tc.reason)
			}
		})
	}
}
