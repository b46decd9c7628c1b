package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestPasskeysWorkWithTheDefaultPublicURL: on a loopback address the
// default public URL is http://localhost:PORT, a host name browsers accept
// for passkeys; where passkeys cannot work, the start-up log says why.
func TestPasskeysWorkWithTheDefaultPublicURL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Store, cfg.Addr = filepath.Join(t.TempDir(), "g.db"), "127.0.0.1:0"
	cfg.OperatorKey = "operator-key-for-the-passkey-test-0123456789"
	m := &Main{Config: cfg, Out: io.Discard, Log: slog.New(slog.DiscardHandler)}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	resp, err := http.Post("http://"+m.Addr()+"/v1/login/passkey/begin", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"rpId":"localhost"`) {
		t.Fatalf("POST /v1/login/passkey/begin = %d %s, want 200 with rpId localhost", resp.StatusCode, body)
	}

	cfg.Store, cfg.Addr, cfg.PublicURL = filepath.Join(t.TempDir(), "g.db"), "127.0.0.1:0", "http://10.1.2.3:8080"
	var logs bytes.Buffer
	ip := &Main{Config: cfg, Out: io.Discard, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	if err := ip.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ip.Close() })
	if !strings.Contains(logs.String(), "passkeys are off") || !strings.Contains(logs.String(), "names an IP address") {
		t.Errorf("start-up log with an IP public URL says nothing of passkeys:\n%s", logs.String())
	}
}
