package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/postgres/postgrestest"
)

// TestKilledNodeKeepsEveryAcknowledgedWrite has 16 writers create groups
// through the API — one by one, and in batches of 20 — while the node
// commits them in groups, kills the node with SIGKILL in the middle, and
// starts it again on the same store: every acknowledged group is there, and
// no batch is there in part.
func TestKilledNodeKeepsEveryAcknowledgedWrite(t *testing.T) {
	stores := map[string]func() string{
		"sqlite":   func() string { return filepath.Join(t.TempDir(), "crash.db") },
		"postgres": func() string { return postgrestest.DSN(t) },
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			path := store()
			p := startProc(t, path)
			op := clusterOperatorKey
			adminID := p.must(t, op, "POST", "/v1/orgs", map[string]any{"name": "Crash", "slug": "crash",
				"admin": map[string]any{"email": "admin@crash.example", "given_name": "A"}}, 201)["admin"].(map[string]any)["id"].(string)
			key := p.must(t, op, "POST", "/v1/orgs/crash/users/"+adminID+"/keys", map[string]any{}, 201)["key"].(string)

			var mu sync.Mutex
			acked := map[string]bool{}
			var batches [][]string // every batch sent, answered or not
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 5 * time.Second}
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						name := fmt.Sprintf("w%d-%d", w, i)
						path, names := "/v1/orgs/crash/groups", []string{name}
						body, _ := json.Marshal(map[string]any{"name": name})
						if w%4 == 0 { // every fourth writer sends batches of 20
							path, names = "/v1/orgs/crash/batch", nil
							var ops []map[string]any
							for j := range 20 {
								names = append(names, fmt.Sprintf("%s-%d", name, j))
								ops = append(ops, map[string]any{"op": "create", "type": "group", "body": map[string]any{"name": names[j]}})
							}
							body, _ = json.Marshal(map[string]any{"operations": ops})
							mu.Lock()
							batches = append(batches, names)
							mu.Unlock()
						}
						req, _ := http.NewRequest("POST", p.url+path, bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+key)
						req.Header.Set("Content-Type", "application/json")
						resp, err := client.Do(req)
						if err != nil {
							return // the node is gone
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
							mu.Lock()
							for _, n := range names {
								acked[n] = true
							}
							mu.Unlock()
						}
					}
				}()
			}
			for {
				time.Sleep(50 * time.Millisecond)
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 200 {
					break
				}
			}
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			close(stop)
			wg.Wait()
			_ = p.cmd.Wait()

			again := startProc(t, path)
			found := map[string]bool{}
			for cursor := ""; ; {
				page := again.must(t, key, "GET", "/v1/orgs/crash/groups?limit=500&cursor="+cursor, nil, 200)
				for _, it := range page["items"].([]any) {
					found[it.(map[string]any)["name"].(string)] = true
				}
				next, _ := page["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			for name := range acked {
				if !found[name] {
					t.Errorf("group %s was acknowledged (201) but is gone after the restart", name)
				}
			}
			for _, b := range batches {
				n := 0
				for _, name := range b {
					if found[name] {
						n++
					}
				}
				if n != 0 && n != len(b) {
					t.Errorf("a batch is half there after the restart: %d of its %d groups", n, len(b))
				}
			}
			t.Logf("%d groups acknowledged before the kill (%d batches sent), %d groups after the restart", len(acked), len(batches), len(found))
			verify := again.must(t, key, "GET", "/v1/orgs/crash/events/verify", nil, 200)
			if verify["ok"] != true {
				t.Errorf("the audit chain after the restart: %v", verify)
			}
		})
	}
}
