package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/postgres/postgrestest"
)

const clusterOperatorKey = "cluster-operator-key-0123456789abcdef"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gatehouseBinary builds the command once per test run.
func gatehouseBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a `gatehouse serve` process.
type proc struct {
	url string
	cmd *exec.Cmd
}

// startProc starts a node on the store and waits until it is ready.
func startProc(t *testing.T, store string, extra ...string) *proc {
	t.Helper()
	return startProcEnv(t, nil, store, extra...)
}

// startProcEnv is startProc with more environment variables.
func startProcEnv(t *testing.T, env []string, store string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--store", store, "--addr", "127.0.0.1:0", "--log-level", "info"}, extra...)
	cmd := exec.Command(gatehouseBinary(t), args...)
	cmd.Env = append(append(os.Environ(), "GATEHOUSE_OPERATOR_KEY="+clusterOperatorKey), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return &proc{url: "http://" + a, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("gatehouse %s did not start", strings.Join(args, " "))
	}
	return nil
}

// call sends JSON and decodes the answer.
func (p *proc) call(t *testing.T, key, method, path string, in any) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, p.url+path, body)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (p *proc) must(t *testing.T, key, method, path string, in any, want int) map[string]any {
	t.Helper()
	got, out := p.call(t, key, method, path, in)
	if got != want {
		t.Fatalf("%s %s = %d %v, want %d", method, path, got, out, want)
	}
	return out
}

// TestNoNewEnemyAcrossProcesses runs two real processes over one PostgreSQL
// database. Node A grants and revokes; node B is asked right after each
// change with the change's revision: B must never answer from before it.
// A third node that never wakes (no LISTEN, follows once an hour) shows why
// the token matters: asked without it, it keeps allowing a revoked user.
// Then B is killed and restarted, and must hold exactly what A holds.
func TestNoNewEnemyAcrossProcesses(t *testing.T) {
	dsn := postgrestest.DSN(t)
	a := startProc(t, dsn)
	b := startProc(t, dsn)
	lagging := startProc(t, dsn, "--no-listen", "--follow", "1h")

	op := clusterOperatorKey
	org := a.must(t, op, "POST", "/v1/orgs", map[string]any{"name": "Enemy", "slug": "enemy",
		"admin": map[string]any{"email": "admin@enemy.example", "given_name": "A"}}, 201)
	adminID := org["admin"].(map[string]any)["id"].(string)
	admin := a.must(t, op, "POST", "/v1/orgs/enemy/users/"+adminID+"/keys", map[string]any{}, 201)["key"].(string)
	a.must(t, admin, "POST", "/v1/orgs/enemy/workspaces", map[string]any{"name": "Target"}, 201)
	user := a.must(t, admin, "POST", "/v1/orgs/enemy/users", map[string]any{"email": "x@enemy.example", "given_name": "X"}, 201)["id"].(string)

	iterations := 500
	if testing.Short() {
		iterations = 50
	}
	check := func(p *proc, rev any) bool {
		q := map[string]any{"org": "enemy", "user": user, "workspace": "target", "capability": "incidents.view"}
		if rev != nil {
			q["consistency"] = map[string]any{"at_least_revision": rev}
		}
		return p.must(t, op, "POST", "/v1/check", q, 200)["allowed"] == true
	}
	stale := 0
	for i := range iterations {
		grant := a.must(t, admin, "POST", "/v1/orgs/enemy/workspaces/target/assignments",
			map[string]any{"principal": map[string]any{"type": "user", "id": user}, "role": "incident_analyst"}, 201)
		if !check(b, grant["revision"]) {
			t.Fatalf("iteration %d: B denied right after the grant at revision %v", i, grant["revision"])
		}
		if i%50 == 0 && !check(lagging, grant["revision"]) { // bring the lagging node up to the grant
			t.Fatalf("iteration %d: the lagging node denied with the grant's token", i)
		}
		revoke := a.must(t, admin, "DELETE", "/v1/orgs/enemy/workspaces/target/assignments/"+grant["id"].(string), nil, 200)
		if check(b, revoke["revision"]) {
			t.Fatalf("iteration %d: B allowed a revoked user when asked at the revoke's revision %v", i, revoke["revision"])
		}
		if i%50 == 0 {
			if check(lagging, nil) {
				stale++ // the new-enemy problem: an answer from before the revoke
			}
			if check(lagging, revoke["revision"]) {
				t.Fatalf("iteration %d: the lagging node allowed a revoked user even with the revoke's token", i)
			}
		}
	}
	if stale == 0 {
		t.Errorf("the lagging node never answered from a stale state without a token; the test would not notice a token being ignored")
	}

	// Restart: kill B outright, change more on A, start B again; it rebuilds
	// exactly the directory of A, which never stopped.
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = b.cmd.Wait()
	for i := range 5 {
		a.must(t, admin, "POST", "/v1/orgs/enemy/groups", map[string]any{"name": fmt.Sprint("after the kill ", i)}, 201)
	}
	restarted := startProc(t, dsn)
	da := a.must(t, op, "GET", "/v1/index/digest?fully_consistent=true", nil, 200)
	db := restarted.must(t, op, "GET", "/v1/index/digest?fully_consistent=true", nil, 200)
	if da["revision"] != db["revision"] || da["digest"] != db["digest"] || da["digest"] == "" {
		t.Errorf("after a kill and a restart: A %v, B %v; want the same revision and digest", da, db)
	}
	t.Logf("%d grant/revoke rounds: B never stale with the token; the lagging node without a token was stale %d times", iterations, stale)
}

// A node raises its Go processors to 8 and its collector target to 200 when
// the environment says nothing (and no CPU quota applies); GOMAXPROCS and GOGC
// in the environment win. The node's own /metrics tell.
func TestServeRuntimeSettings(t *testing.T) {
	gauge := func(p *proc, name string) float64 {
		t.Helper()
		resp, err := http.Get(p.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
		t.Fatalf("no %s in /metrics", name)
		return 0
	}
	clean := []string{"GOMAXPROCS=", "GOGC="} // the test's own environment must not decide
	p := startProcEnv(t, clean, filepath.Join(t.TempDir(), "a.db"))
	wantProcs := float64(runtime.NumCPU())
	if runtime.NumCPU() < 8 && quotaFree() {
		wantProcs = 8
	}
	if got := gauge(p, "go_sched_gomaxprocs_threads"); got != wantProcs && quotaFree() {
		t.Errorf("processors by default = %v, want %v", got, wantProcs)
	}
	if got := gauge(p, "go_gc_gogc_percent"); got != 200 {
		t.Errorf("GOGC by default = %v, want 200", got)
	}
	q := startProcEnv(t, []string{"GOMAXPROCS=3", "GOGC=150"}, filepath.Join(t.TempDir(), "b.db"))
	if got := gauge(q, "go_sched_gomaxprocs_threads"); got != 3 {
		t.Errorf("processors with GOMAXPROCS=3 = %v, want 3", got)
	}
	if got := gauge(q, "go_gc_gogc_percent"); got != 150 {
		t.Errorf("GOGC=150 in the environment gave %v", got)
	}
}

// quotaFree reports whether Go's own choice of processors here is every CPU,
// as it is where no container quota applies.
func quotaFree() bool {
	if os.Getenv("GOMAXPROCS") != "" {
		return true // the test process's setting hides Go's choice; the child ignores it
	}
	return runtime.GOMAXPROCS(0) == runtime.NumCPU()
}
