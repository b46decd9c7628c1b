package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse/postgres/postgrestest"
)

// testStores makes a fresh, empty store of each kind for a test.
var testStores = map[string]func(t *testing.T) string{
	"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "g.db") },
	"postgres": func(t *testing.T) string { return postgrestest.DSN(t) },
}

// TestDemoRestart: a second serve --demo on the same store says how to get
// new keys or start over; and a port already taken does not eat the
// operator key, which is printed once the listener is up.
func TestDemoRestart(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			ref := store(t)
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			start := func(addr string) (string, error) {
				cfg := DefaultConfig()
				cfg.Store, cfg.Addr, cfg.Demo = ref, addr, true
				var out bytes.Buffer
				m := &Main{Config: cfg, Out: &out, Log: slog.New(slog.DiscardHandler)}
				err := m.Run(context.Background())
				_ = m.Close()
				return out.String(), err
			}
			out, err := start(busy.Addr().String())
			if err == nil || !strings.Contains(err.Error(), "--addr") {
				t.Fatalf("serve on a taken port: err %v, want a listen error suggesting --addr", err)
			}
			if strings.Contains(out, "ghk_") {
				t.Fatalf("serve on a taken port printed a key that nobody will see:\n%s", out)
			}
			out, err = start("127.0.0.1:0")
			if err != nil || !strings.Contains(out, "Operator API key") || !strings.Contains(out, "is ready") {
				t.Fatalf("first start: err %v, want the operator key and the demo:\n%s", err, out)
			}
			out, err = start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			wantAll(t, "second start", out, "already there", "gatehouse keys create", "GATEHOUSE_OPERATOR_KEY", "Start over")
			if strings.Contains(out, "Operator API key") {
				t.Errorf("second start printed a new operator key:\n%s", out)
			}
		})
	}
}
