package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/reference"
)

func newBench(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Generate benchmark data and load-test a running server"}
	cmd.AddCommand(newBenchGen(stdout), newBenchCheck(stdout), newBenchWrite(stdout), newBenchLookup(stdout), newBenchLoad(stdout),
		newBenchSCIM(stdout), newBenchSCIMPropagation(stdout))
	return cmd
}

func newBenchGen(stdout io.Writer) *cobra.Command {
	store := DefaultConfig().Store
	if v := os.Getenv("GATEHOUSE_STORE"); v != "" {
		store = v
	}
	var profile string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a generated directory into the store (GATEHOUSE_STORE)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, ok := dataset.Profiles[profile]
			if !ok {
				return fmt.Errorf("unknown profile %q: use small or mssp-large", profile)
			}
			start := time.Now()
			snap := dataset.Build(p, seed)
			s, err := openStore(cmd.Context(), store)
			if err != nil {
				return err
			}
			defer s.Close()
			rev, err := dataset.Write(cmd.Context(), s, snap)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "profile %s: %d organizations, %d workspaces, %d users, %d groups, %d memberships, %d roles, %d assignments written to %s up to revision %d in %v\n",
				profile, len(snap.Orgs), len(snap.Workspaces), len(snap.Users), len(snap.Groups), len(snap.Memberships),
				len(snap.Roles), len(snap.Assignments), storeKind(store), rev, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&store, "store", store, "SQLite file path or postgres:// URL (GATEHOUSE_STORE)")
	cmd.Flags().StringVar(&profile, "profile", "small", "small or mssp-large")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the same seed generates the same directory, ids included")
	return cmd
}

// loadFlags are what every load mode of `bench` takes.
type loadFlags struct {
	url, key, profile string
	seed              uint64
	concurrency       int
	duration          time.Duration
	json              bool
}

func newLoadFlags() loadFlags { return loadFlags{key: os.Getenv("GATEHOUSE_OPERATOR_KEY")} }

func (l *loadFlags) bind(f *pflag.FlagSet, concurrency int, duration time.Duration) {
	f.StringVar(&l.url, "url", "http://127.0.0.1:8080", "server to load")
	f.StringVar(&l.key, "key", l.key, "operator key (GATEHOUSE_OPERATOR_KEY)")
	f.StringVar(&l.profile, "profile", "mssp-large", "the profile 'bench gen' wrote")
	f.Uint64Var(&l.seed, "seed", 1, "the seed 'bench gen' used")
	f.IntVar(&l.concurrency, "concurrency", concurrency, "closed-loop workers")
	f.DurationVar(&l.duration, "duration", duration, "how long to run")
	f.BoolVar(&l.json, "json", false, "print the result as JSON")
}

// validate refuses a run without a key, workers or time.
func (l *loadFlags) validate() error {
	if l.key == "" {
		return fmt.Errorf("no key: set GATEHOUSE_OPERATOR_KEY to the operator key, or pass --key")
	}
	if l.concurrency < 1 || l.duration <= 0 {
		return fmt.Errorf("--concurrency and --duration must be positive")
	}
	return nil
}

// finish prints a run's result (as JSON with --json, else line) and fails
// it if any answer was wrong or any request failed.
func (l *loadFlags) finish(stdout io.Writer, res *benchResult, line string) error {
	if l.json {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintln(stdout, line)
	if res.Wrong > 0 || res.Errors > 0 {
		return fmt.Errorf("%d wrong answers and %d errors", res.Wrong, res.Errors)
	}
	return nil
}

// benchConfig is what `bench check` runs.
type benchConfig struct {
	loadFlags
	batch     int
	questions int
}

func newBenchCheck(stdout io.Writer) *cobra.Command {
	c := benchConfig{loadFlags: newLoadFlags()}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Drive a running server with checks whose answers are known, and report speed and correctness",
		Long: `Builds the same directory as 'bench gen' (same profile and seed), works out the expected
answer of a mix of questions with a literal reading of the access rules, then sends them
in a closed loop from --concurrency workers for --duration and counts wrong answers.
The key is the operator key, from GATEHOUSE_OPERATOR_KEY or --key.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			if c.batch < 1 || c.batch > 1000 {
				return fmt.Errorf("--batch must be from 1 to 1000")
			}
			res, err := runBench(cmd.Context(), c)
			if err != nil {
				return err
			}
			return c.finish(stdout, res, fmt.Sprintf("%d checks in %v over %d workers (batch %d): %.0f checks/s; per request p50 %.2f ms, p95 %.2f ms, p99 %.2f ms; mix %s; wrong answers %d, errors %d",
				res.Checks, res.Duration, c.concurrency, c.batch, res.ChecksPerSecond, res.P50ms, res.P95ms, res.P99ms, res.Mix, res.Wrong, res.Errors))
		},
	}
	f := cmd.Flags()
	c.bind(f, 32, 20*time.Second)
	f.IntVar(&c.batch, "batch", 1, "checks per request (1 uses /v1/check, more /v1/check/batch)")
	f.IntVar(&c.questions, "questions", 20000, "distinct questions in the mix")
	return cmd
}

// benchResult is what a run measured.
type benchResult struct {
	Checks          int64         `json:"checks"`
	Requests        int64         `json:"requests"`
	Duration        time.Duration `json:"duration_ns"`
	ChecksPerSecond float64       `json:"checks_per_second"`
	P50ms           float64       `json:"p50_ms"`
	P95ms           float64       `json:"p95_ms"`
	P99ms           float64       `json:"p99_ms"`
	Wrong           int64         `json:"wrong"`
	Errors          int64         `json:"errors"`
	Mix             string        `json:"mix,omitempty"`
}

// benchQuestion is one check and the answer a literal reading of the rules gives.
type benchQuestion struct {
	body  map[string]any
	allow bool
}

// questionMix draws n questions: about 55% allowed (a third of those only
// through nested groups), 35% denied to partner staff, 10% workspace users
// asking about another customer's workspace.
func questionMix(s *gh.Snapshot, n int, seed uint64) ([]benchQuestion, string) {
	ref := reference.New(s, gh.DefaultCatalogue)
	rng := rand.New(rand.NewPCG(seed, 99))
	caps := []gh.Capability{"incidents.view", "incidents.close", "endpoints.isolate", "connectors.manage", gh.CapSettingsView, "incidents.delete", "detection.rules.deploy"}
	var org, local []*gh.User
	for _, u := range s.Users {
		if u.IsOrg() {
			org = append(org, u)
		} else {
			local = append(local, u)
		}
	}
	counts := map[string]int{}
	out := make([]benchQuestion, 0, n)
	add := func(kind string, u *gh.User, w gh.WorkspaceID, c gh.Capability) {
		out = append(out, benchQuestion{body: map[string]any{"user": u.ID, "workspace": w, "capability": c},
			allow: ref.Level(u.ID, w, c) == gh.LevelFull})
		counts[kind]++
	}
	for tries := 0; len(out) < n && tries < 200*n; tries++ {
		w := s.Workspaces[rng.IntN(len(s.Workspaces))].ID
		c := caps[rng.IntN(len(caps))]
		switch slot := len(out) % 20; {
		case slot < 4: // allowed only through nested groups
			u := org[rng.IntN(len(org))]
			if ref.Level(u.ID, w, c) == gh.LevelFull && ref.Nested(u.ID, w) {
				add("nested", u, w, c)
			}
		case slot < 11: // allowed
			u := local[rng.IntN(len(local))]
			if rng.IntN(2) == 0 {
				u = org[rng.IntN(len(org))]
			} else {
				w = u.Workspace
			}
			if ref.Level(u.ID, w, c) == gh.LevelFull {
				add("allowed", u, w, c)
			}
		case slot < 18: // denied partner staff
			u := org[rng.IntN(len(org))]
			if ref.Level(u.ID, w, c) != gh.LevelFull {
				add("denied", u, w, c)
			}
		default: // a customer's user asking about another customer
			u := local[rng.IntN(len(local))]
			if u.Workspace != w {
				add("cross", u, w, c)
			}
		}
	}
	allowed := 0
	for _, q := range out {
		if q.allow {
			allowed++
		}
	}
	mix := fmt.Sprintf("%d%% allowed (%d%% via nested groups), %d%% denied, %d%% cross-customer",
		100*allowed/max(1, len(out)), 100*counts["nested"]/max(1, len(out)), 100*counts["denied"]/max(1, len(out)), 100*counts["cross"]/max(1, len(out)))
	return out, mix
}

func runBench(ctx context.Context, c benchConfig) (*benchResult, error) {
	p, ok := dataset.Profiles[c.profile]
	if !ok {
		return nil, fmt.Errorf("unknown profile %q", c.profile)
	}
	qs, mix := questionMix(dataset.Build(p, c.seed), c.questions, c.seed)
	if len(qs) == 0 {
		return nil, fmt.Errorf("could not draw questions from profile %s", c.profile)
	}
	bodies, expect := encodeQuestions(qs, c.batch)
	u, err := url.Parse(c.url)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want http://host:port", c.url)
	}
	path := "/v1/check"
	if c.batch > 1 {
		path += "/batch"
	}
	requests := make([][]byte, len(bodies))
	for i, b := range bodies {
		requests[i] = rawRequest("POST", u.Host, path, c.key, b)
	}
	res := closedLoop(ctx, u.Host, c.concurrency, c.duration, func(w, i int) ([]byte, readAnswer) {
		k := (w*7919 + i) % len(bodies)
		return requests[k], func(body []byte) (int64, int64, error) {
			got, err := parseAnswers(body, c.batch > 1)
			if err != nil {
				return 0, 0, err
			}
			var wrong int64
			for j, a := range got {
				if j < len(expect[k]) && a != expect[k][j] {
					wrong++
				}
			}
			return int64(len(got)), wrong, nil
		}
	})
	res.Mix = mix
	return res, nil
}

// readAnswer reads the body of one answer: how many questions it answered
// and how many of them wrongly.
type readAnswer func(body []byte) (answers, wrong int64, err error)

// closedLoop runs concurrency workers for d, each on its own keep-alive
// connection to addr, sending request after request: next gives worker w's
// i-th request and how to read its answer. Latencies time the exchange with
// the server alone, not the reading; the answers count as Checks.
func closedLoop(ctx context.Context, addr string, concurrency int, d time.Duration, next func(w, i int) ([]byte, readAnswer)) *benchResult {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       = &benchResult{}
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			var answers, wrong, errs, reqs int64
			conn := &rawConn{addr: addr}
			defer conn.close()
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				req, read := next(w, i)
				t0 := time.Now()
				body, err := conn.do(req)
				local = append(local, time.Since(t0))
				reqs++
				var n, bad int64
				if err == nil {
					n, bad, err = read(body)
				}
				if err != nil {
					if errs == 0 && w == 0 {
						fmt.Fprintln(os.Stderr, "bench: first error:", err) // the rest are counted
					}
					errs++
					continue
				}
				answers += n
				wrong += bad
			}
			mu.Lock()
			latencies = append(latencies, local...)
			res.Checks += answers
			res.Wrong += wrong
			res.Errors += errs
			res.Requests += reqs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	res.ChecksPerSecond = float64(res.Checks) / res.Duration.Seconds()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	res.P50ms, res.P95ms, res.P99ms = pct(0.50), pct(0.95), pct(0.99)
	return res
}

// encodeQuestions pre-encodes request bodies (one question, or batches of k)
// with their expected answers, so the load loop only sends and compares.
func encodeQuestions(qs []benchQuestion, k int) ([][]byte, [][]bool) {
	var bodies [][]byte
	var expect [][]bool
	for i := 0; i < len(qs); i += k {
		group := qs[i:min(i+k, len(qs))]
		var body any = group[0].body
		if k > 1 {
			checks := make([]map[string]any, len(group))
			for j, q := range group {
				checks[j] = q.body
			}
			body = map[string]any{"checks": checks}
		}
		b, _ := json.Marshal(body)
		bodies = append(bodies, b)
		want := make([]bool, len(group))
		for j, q := range group {
			want[j] = q.allow
		}
		expect = append(expect, want)
	}
	return bodies, expect
}

// rawRequest is a whole HTTP/1.1 request, built once and sent many times.
func rawRequest(method, host, path, key string, body []byte) []byte {
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n", method, path, host, key)
	if body != nil {
		head += fmt.Sprintf("Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	return append([]byte(head+"\r\n"), body...)
}

// rawConn is a keep-alive HTTP/1.1 connection that writes prepared requests
// and reads just the status, Content-Length and body of each answer. The load
// tool shares the machine with the server, so it must cost far less than
// net/http's client, which would measure the client instead of the server.
type rawConn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
	body []byte
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// do sends one prepared request and returns the body of a 200 answer, valid
// until the next request; any other status is an error.
func (rc *rawConn) do(req []byte) ([]byte, error) {
	status, body, err := rc.exchange(req)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d: %s", status, body)
	}
	return body, err
}

// exchange sends one prepared request and returns the answer's status and
// body, valid until the next request.
func (rc *rawConn) exchange(req []byte) (int, []byte, error) {
	if rc.c == nil {
		c, err := net.Dial("tcp", rc.addr)
		if err != nil {
			return 0, nil, err
		}
		rc.c, rc.r = c, bufio.NewReaderSize(c, 64<<10)
	}
	_ = rc.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := rc.c.Write(req); err != nil {
		rc.close()
		return 0, nil, err
	}
	status, n, keep, err := rc.readHead()
	switch {
	case err != nil:
	case n < 0: // chunked: answers of more than a few kilobytes
		rc.body, err = rc.readChunked(rc.body[:0])
	default:
		if cap(rc.body) < n {
			rc.body = make([]byte, n)
		}
		rc.body = rc.body[:n]
		_, err = io.ReadFull(rc.r, rc.body)
	}
	if err != nil || !keep {
		rc.close()
	}
	if err != nil {
		return 0, nil, err
	}
	return status, rc.body, nil
}

// benchHost checks a load tool's --url and returns its host:port.
func benchHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return "", fmt.Errorf("--url %q: want http://host:port", raw)
	}
	return u.Host, nil
}

// percentiles sorts latencies and returns a function giving the p-th
// quantile (0 < p < 1) in milliseconds.
func percentiles(latencies []time.Duration) func(p float64) float64 {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
}

// readHead reads the status line and headers of an answer.
func (rc *rawConn) readHead() (status, length int, keep bool, err error) {
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, _ = strconv.Atoi(string(line[9:12]))
	keep, length = true, -1
	chunked := false
	for {
		line, err = rc.r.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, err
		}
		h := bytes.TrimRight(line, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(value))
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, 0, false, fmt.Errorf("unexpected Transfer-Encoding %q", value)
			}
			chunked = true
		}
	}
	if chunked {
		return status, -1, keep, nil
	}
	if length < 0 {
		return 0, 0, false, fmt.Errorf("answer without Content-Length")
	}
	return status, length, keep, nil
}

// readChunked appends a chunked body to b, and reads past its (empty) trailer.
func (rc *rawConn) readChunked(b []byte) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(httputil.NewChunkedReader(rc.r)); err != nil {
		return nil, err
	}
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return buf.Bytes(), nil
		}
	}
}

// parseAnswers reads the "allowed" members of an answer in order with a scan
// instead of a full decode; an answer holding an error is decoded fully.
func parseAnswers(raw []byte, batch bool) ([]bool, error) {
	if !bytes.Contains(raw, []byte(`"error"`)) {
		var got []bool
		for rest := raw; ; {
			i := bytes.Index(rest, []byte(`"allowed":`))
			if i < 0 {
				break
			}
			rest = rest[i+len(`"allowed":`):]
			got = append(got, bytes.HasPrefix(rest, []byte("true")))
		}
		if len(got) > 0 {
			return got, nil
		}
	}
	if !batch {
		var d struct {
			Allowed bool `json:"allowed"`
		}
		err := json.Unmarshal(raw, &d)
		return []bool{d.Allowed}, err
	}
	var out struct {
		Results []struct {
			Allowed bool `json:"allowed"`
			Error   any  `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	got := make([]bool, len(out.Results))
	for i, r := range out.Results {
		if r.Error != nil {
			return nil, fmt.Errorf("check %d: %v", i, r.Error)
		}
		got[i] = r.Allowed
	}
	return got, nil
}
