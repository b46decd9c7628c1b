package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/sqlite"
)

// benchServer is a server over the small profile, for measuring what one
// request costs in the handler (no network).
func benchServer(b *testing.B) (http.Handler, *gh.Snapshot) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	snap := dataset.Build(dataset.Profiles["small"], 1)
	if _, err := dataset.Write(ctx, store, snap); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), log, nil)
	if err := dir.Load(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := dir.EnsureOperatorKey(ctx, operatorKey); err != nil {
		b.Fatal(err)
	}
	return ghttp.New(dir, log).Handler(), snap
}

func benchBodies(snap *gh.Snapshot, n int) [][]byte {
	var out [][]byte
	for i := range n {
		u := snap.Users[i%len(snap.Users)]
		w := snap.Workspaces[(i*7)%len(snap.Workspaces)]
		b, _ := json.Marshal(map[string]any{"user": u.ID, "workspace": w.ID, "capability": "incidents.view"})
		out = append(out, b)
	}
	return out
}

func BenchmarkHTTPCheckHandler(b *testing.B) {
	h, snap := benchServer(b)
	bodies := benchBodies(snap, 256)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+operatorKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		i++
	}
}

func BenchmarkHTTPCheckBatch100Handler(b *testing.B) {
	h, snap := benchServer(b)
	var checks []json.RawMessage
	for _, body := range benchBodies(snap, 100) {
		checks = append(checks, body)
	}
	body, _ := json.Marshal(map[string]any{"checks": checks})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/check/batch", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+operatorKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
