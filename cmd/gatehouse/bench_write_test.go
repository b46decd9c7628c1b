package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	ghttp "gatehouse.dev/gatehouse/http"
)

const benchOperatorKey = "bench-operator-key-for-the-tests-0123456789"

// startBenchServer runs a node on store, empty but for the operator key.
func startBenchServer(t *testing.T, store string) string {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Store, cfg.Addr, cfg.OperatorKey = store, "127.0.0.1:0", benchOperatorKey
	m := &Main{Config: cfg, Out: &bytes.Buffer{}, Log: slog.New(slog.DiscardHandler)}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Main.Run: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return "http://" + m.Addr()
}

// TestBenchWrite runs the write load tool briefly on both stores, as a
// person would: it must make every kind of write and find each of them.
func TestBenchWrite(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			url := startBenchServer(t, store(t))
			var out, errOut bytes.Buffer
			args := []string{"bench", "write", "--url", url, "--setup", "--key", benchOperatorKey,
				"--concurrency", "1,4", "--duration", "700ms", "--json"}
			if code := execute(args, &out, &errOut); code != 0 {
				t.Fatalf("gatehouse bench write: exit %d, want 0\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
			}
			var res writeResult
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("bench write -json: %v\n%s", err, out.String())
			}
			if len(res.Levels) != 2 || res.ScalingOf != "c4/c1" || res.Scaling <= 0 {
				t.Fatalf("levels %+v, scaling %s %v: want c=1 and c=4 and their ratio", res.Levels, res.ScalingOf, res.Scaling)
			}
			kinds := map[string]int64{}
			for _, l := range res.Levels {
				if l.Writes == 0 || l.Missing != 0 || l.RevisionFaults != 0 || l.Errors != 0 || l.Unverified != 0 {
					t.Errorf("c=%d: %d writes, %d missing, %d revision faults, %d errors, %d unverified: want writes and nothing else (%v)",
						l.Concurrency, l.Writes, l.Missing, l.RevisionFaults, l.Errors, l.Unverified, l.Problems)
				}
				for k, n := range l.ByKind {
					kinds[k] += n
				}
				checkGroups(t, l)
			}
			for _, k := range []string{"user.create", "member.add", "member.remove", "assign", "unassign"} {
				if kinds[k] == 0 {
					t.Errorf("no %s among the writes %v", k, kinds)
				}
			}
		})
	}
}

// checkGroups checks what a level read of the server's group commits: one
// writer's writes each commit alone, more writers may share, and the
// committer cannot be busy for longer than the level ran (but for the one
// group that may have begun before it).
func checkGroups(t *testing.T, l writeLevel) {
	t.Helper()
	g := l.Groups
	switch {
	case g == nil:
		t.Errorf("c=%d: no group-commit figures from the server's /metrics", l.Concurrency)
	case l.Concurrency == 1 && g.WritesPerGroup != 1:
		t.Errorf("c=1: %.2f writes a group, want 1: one writer waits for each answer", g.WritesPerGroup)
	case g.WritesPerGroup < 1 || g.WritesPerGroup > float64(l.Concurrency):
		t.Errorf("c=%d: %.2f writes a group, want 1 to %d", l.Concurrency, g.WritesPerGroup, l.Concurrency)
	case g.CommitterBusy <= 0 || g.CommitterBusy > 1.1:
		t.Errorf("c=%d: committer busy %.2f of the level, want more than none and no more than all of it", l.Concurrency, g.CommitterBusy)
	}
}

// TestBenchWriteVerifierFindsLosses runs one writer for a moment, then
// tells the verifier of writes the server never acknowledged, or answered
// otherwise: each must be counted, so a clean verification means something.
func TestBenchWriteVerifierFindsLosses(t *testing.T) {
	url := startBenchServer(t, filepath.Join(t.TempDir(), "g.db"))
	ctx := context.Background()
	admin := ghttp.NewClient(url, benchOperatorKey, nil)
	org, key, err := benchOrg(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	admin.Key = key
	spaces, err := benchWorkspaces(ctx, admin, org, "verify", 1, false)
	if err != nil {
		t.Fatal(err)
	}
	mix, _ := parseWriteMix(defaultWriteMix)
	w := &writer{host: url[len("http://"):], key: key, org: org, space: spaces[0], prefix: "verify", mix: mix}
	if l := driveWriters(ctx, []*writer{w}, 300*time.Millisecond); l.Writes < 10 || l.Errors != 0 {
		t.Fatalf("%d writes, %d errors (%v): want a few writes and no error", l.Writes, l.Errors, l.Problems)
	}
	tests := []struct {
		name            string
		tamper          func(w *writer)
		missing, faults int
	}{
		{"as acknowledged", func(w *writer) {}, 0, 0},
		{"a user never created", func(w *writer) { w.users = append(w.users, &benchUser{id: "usr_neverissued"}) }, 1, 0},
		{"a membership lost", func(w *writer) { w.users[0].member = !w.users[0].member }, 1, 0},
		{"an assignment lost", func(w *writer) { w.users[0].assignment = "asg_neverissued" }, 1, 0},
		{"a revision not in the audit log", func(w *writer) {
			w.acks = append(w.acks, writeAck{w.acks[len(w.acks)-1].rev + 1000, "member.add", "usr_x"})
		}, 1, 0},
		{"a revision answered twice", func(w *writer) { w.acks = append(w.acks, w.acks[len(w.acks)-1]) }, 0, 2},
		{"a revision going back", func(w *writer) {
			n := len(w.acks)
			w.acks[n-2], w.acks[n-1] = w.acks[n-1], w.acks[n-2]
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *w
			c.acks = append([]writeAck(nil), w.acks...)
			c.users = nil
			for _, u := range w.users {
				v := *u
				c.users = append(c.users, &v)
			}
			tt.tamper(&c)
			var v verification
			if err := verifyWrites(ctx, admin, org, spaces, []*writer{&c}, &v); err != nil {
				t.Fatal(err)
			}
			if v.Missing != tt.missing || v.RevisionFaults != tt.faults {
				t.Errorf("verification: %d missing, %d revision faults, want %d and %d (%v)", v.Missing, v.RevisionFaults, tt.missing, tt.faults, v.Problems)
			}
			res := writeResult{Levels: []writeLevel{{verification: v}}}
			if failed := res.failure() != nil; failed != (tt.missing+tt.faults > 0) {
				t.Errorf("the command fails: %v, want %v", failed, tt.missing+tt.faults > 0)
			}
		})
	}
}
