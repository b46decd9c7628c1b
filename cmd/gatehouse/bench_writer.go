package main

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	ghttp "gatehouse.dev/gatehouse/http"
)

// writer is one closed-loop worker of `bench write`. It writes only its own
// users, and keeps what it was told: the state each acknowledged write left
// them in, and the revision of every acknowledged write.
type writer struct {
	id                int
	host, key, prefix string
	org               string
	space             benchSpace
	mix               writeMix
	rng               *mrand.Rand
	conn              rawConn

	users     []*benchUser
	acks      []writeAck
	latencies []time.Duration
	errors    int64
	firstErr  string
}

// benchUser is a user a writer created, as its acknowledged writes left it.
type benchUser struct {
	id         string
	member     bool   // in the writer's group
	assignment string // its assignment in the workspace, "" when none
	unknown    bool   // a write on it failed, so its state is not known
}

// writeAck is an acknowledged write: the revision the server answered.
type writeAck struct {
	rev          gh.Revision
	kind, object string
}

// step makes one write drawn from the mix; the first write creates a user.
func (w *writer) step() {
	kind := w.mix.pick(w.rng)
	if kind == "user" || len(w.users) == 0 {
		w.createUser()
		return
	}
	u := w.users[w.rng.IntN(len(w.users))]
	if kind == "member" {
		w.toggleMember(u)
	} else {
		w.toggleRole(u)
	}
}

func (w *writer) base() string { return "/v1/orgs/" + w.org + "/workspaces/" + w.space.ws }

func (w *writer) createUser() {
	email := fmt.Sprintf("%s-u%d@bench.example", w.prefix, len(w.users))
	body := map[string]string{"email": email, "given_name": "Bench", "family_name": "User"}
	if id, ok := w.send("user.create", "POST", w.base()+"/users", body, http.StatusCreated, nil); ok {
		w.users = append(w.users, &benchUser{id: id})
	}
}

func (w *writer) toggleMember(u *benchUser) {
	path := w.base() + "/groups/" + w.space.group + "/members"
	if u.member {
		if _, ok := w.send("member.remove", "DELETE", path+"/user/"+u.id, nil, http.StatusOK, u); ok {
			u.member = false
		}
		return
	}
	body := map[string]any{"member": gh.UserPrincipal(gh.UserID(u.id))}
	if _, ok := w.send("member.add", "POST", path, body, http.StatusCreated, u); ok {
		u.member = true
	}
}

func (w *writer) toggleRole(u *benchUser) {
	if u.assignment != "" {
		if _, ok := w.send("unassign", "DELETE", w.base()+"/assignments/"+u.assignment, nil, http.StatusOK, u); ok {
			u.assignment = ""
		}
		return
	}
	body := map[string]any{"principal": gh.UserPrincipal(gh.UserID(u.id)), "role": gh.RoleIncidentAnalyst}
	if id, ok := w.send("assign", "POST", w.base()+"/assignments", body, http.StatusCreated, u); ok {
		u.assignment = id
	}
}

// send makes one write and records its latency. It is acknowledged when the
// answer has the expected status and a revision; it returns the answer's id.
// A failed write on u leaves u's state unknown.
func (w *writer) send(kind, method, path string, body any, want int, u *benchUser) (string, bool) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	t0 := time.Now()
	status, raw, err := w.conn.exchange(rawRequest(method, w.host, path, w.key, b))
	w.latencies = append(w.latencies, time.Since(t0))
	var a struct {
		ID       string      `json:"id"`
		Revision gh.Revision `json:"revision"`
	}
	switch {
	case err != nil:
	case status != want:
		err = fmt.Errorf("status %d, want %d: %.300s", status, want, raw)
	case json.Unmarshal(raw, &a) != nil || a.Revision <= 0:
		err = fmt.Errorf("answer without a revision: %.300s", raw)
	}
	if err != nil {
		if w.errors == 0 {
			w.firstErr = fmt.Sprintf("writer %d: first error, %s %s: %v", w.id, method, path, err)
		}
		w.errors++
		if u != nil {
			u.unknown = true
		}
		return "", false
	}
	object := a.ID
	if u != nil {
		object = u.id
	}
	w.acks = append(w.acks, writeAck{a.Revision, kind, object})
	return a.ID, true
}

// driveWriters runs the writers in a closed loop for d and gathers their figures.
func driveWriters(ctx context.Context, workers []*writer, d time.Duration) writeLevel {
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, w := range workers {
		w.rng = mrand.New(mrand.NewPCG(uint64(w.id), 17))
		w.conn = rawConn{addr: w.host}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.conn.close()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				w.step()
			}
		}()
	}
	wg.Wait()
	l := writeLevel{Concurrency: len(workers), Duration: time.Since(start), ByKind: map[string]int64{}}
	var latencies []time.Duration
	for _, w := range workers {
		l.Writes += int64(len(w.acks))
		l.Errors += w.errors
		for _, a := range w.acks {
			l.ByKind[a.kind]++
		}
		latencies = append(latencies, w.latencies...)
		if w.firstErr != "" {
			l.problem("%s", w.firstErr)
		}
	}
	l.WritesPerSecond = float64(l.Writes) / l.Duration.Seconds()
	pct := percentiles(latencies)
	l.P50ms, l.P90ms, l.P99ms = pct(0.50), pct(0.90), pct(0.99)
	return l
}

// verifyWrites reads back what the writers were told: every user they
// created exists, each is in the group and holds an assignment exactly as
// their last acknowledged write left it, and every acknowledged revision is
// in the workspace's audit log. It also checks that no two writes were
// answered the same revision and that each writer's revisions increase.
func verifyWrites(ctx context.Context, admin *ghttp.Client, org string, spaces []benchSpace, workers []*writer, v *verification) error {
	checkRevisions(workers, v)
	seen := map[benchSpace]*spaceState{}
	for _, sp := range spaces {
		st, err := readSpace(ctx, &cli{client: admin}, "/v1/orgs/"+org+"/workspaces/"+sp.ws, sp.group)
		if err != nil {
			return err
		}
		seen[sp] = st
	}
	for _, w := range workers {
		st := seen[w.space]
		for _, a := range w.acks {
			if !st.logged[a.rev] {
				v.Missing++
				v.problem("writer %d: %s of %s answered revision %d, which is not in the audit log", w.id, a.kind, a.object, a.rev)
			}
		}
		for _, u := range w.users {
			switch {
			case u.unknown:
				v.Unverified++
			case !st.users[u.id]:
				v.Missing++
				v.problem("writer %d: user %s was created but is not there", w.id, u.id)
			case st.members[u.id] != u.member:
				v.Missing++
				v.problem("writer %d: user %s should be a member: %v, is: %v", w.id, u.id, u.member, st.members[u.id])
			case st.assigned[u.id] != u.assignment:
				v.Missing++
				v.problem("writer %d: user %s should hold assignment %q, holds %q", w.id, u.id, u.assignment, st.assigned[u.id])
			}
		}
	}
	return nil
}

// spaceState is a workspace as the API shows it after a level.
type spaceState struct {
	users, members map[string]bool
	assigned       map[string]string // principal → assignment
	logged         map[gh.Revision]bool
}

// readSpace reads a workspace's users, the members of group, its
// assignments and its audit log.
func readSpace(ctx context.Context, read *cli, base, group string) (*spaceState, error) {
	st := &spaceState{map[string]bool{}, map[string]bool{}, map[string]string{}, map[gh.Revision]bool{}}
	users, err := listInto[gh.User](ctx, read, base+"/users", nil)
	if err != nil {
		return nil, fmt.Errorf("read back users: %w", err)
	}
	for _, u := range users {
		st.users[string(u.ID)] = true
	}
	members, err := listInto[gh.Principal](ctx, read, base+"/groups/"+group+"/members", nil)
	if err != nil {
		return nil, fmt.Errorf("read back members: %w", err)
	}
	for _, m := range members {
		st.members[m.ID] = m.Type == gh.PrincipalUser
	}
	assigned, err := listInto[gh.Assignment](ctx, read, base+"/assignments", nil)
	if err != nil {
		return nil, fmt.Errorf("read back assignments: %w", err)
	}
	for _, a := range assigned {
		st.assigned[a.Principal.ID] = string(a.ID)
	}
	events, err := listInto[gh.Event](ctx, read, base+"/events", nil)
	if err != nil {
		return nil, fmt.Errorf("read back the audit log: %w", err)
	}
	for _, e := range events {
		st.logged[e.Revision] = true
	}
	return st, nil
}

// checkRevisions counts revisions answered to two writes and revisions that
// do not increase along one writer's writes, each made after the last was answered.
func checkRevisions(workers []*writer, v *verification) {
	owner := map[gh.Revision]string{}
	for _, w := range workers {
		var last gh.Revision
		for _, a := range w.acks {
			if a.rev <= last {
				v.RevisionFaults++
				v.problem("writer %d: %s of %s answered revision %d after %d", w.id, a.kind, a.object, a.rev, last)
			}
			last = a.rev
			this := fmt.Sprintf("writer %d's %s of %s", w.id, a.kind, a.object)
			if other, dup := owner[a.rev]; dup {
				v.RevisionFaults++
				v.problem("revision %d answered to both %s and %s", a.rev, other, this)
			}
			owner[a.rev] = this
		}
	}
}
