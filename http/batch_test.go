package http_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// A new customer onboarded in one call: a workspace, its people, its group,
// the group's role and the partner's groups, named by refs across operations.
func TestBatchOnboardsACustomerInOneCall(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		before := p.head()
		out := p.must(p.admin, "POST", org+"/batch", obj{"operations": []obj{
			{"op": "create", "type": "workspace", "ref": "w", "body": obj{"name": "Wingtip Toys"}},
			{"op": "create", "type": "user", "workspace": "$w", "ref": "ida", "body": obj{"email": "ida@wingtip.example", "given_name": "Ida"}},
			{"op": "create", "type": "user", "workspace": "$w", "ref": "bo", "body": obj{"email": "bo@wingtip.example", "given_name": "Bo"}},
			{"op": "create", "type": "group", "workspace": "$w", "ref": "it", "body": obj{"name": "Wingtip IT"}},
			{"op": "create", "type": "membership", "workspace": "$w", "id": "$it", "body": obj{"member": obj{"type": "user", "id": "$bo"}}},
			{"op": "create", "type": "assignment", "workspace": "$w", "body": obj{"principal": obj{"type": "user", "id": "$ida"}, "role": "admin"}},
			{"op": "create", "type": "assignment", "workspace": "$w", "body": obj{"principal": obj{"type": "group", "id": "$it"}, "role": "incident_analyst"}},
			{"op": "create", "type": "assignment", "workspace": "$w", "body": obj{"principal": obj{"type": "group", "id": p.t1}, "role": "incident_responder"}},
		}}, 200)
		results := out.list("results")
		if len(results) != 8 || out.num("revision") <= int64(before) {
			t.Fatalf("batch answer = %v, want 8 results at a new revision", out)
		}
		ids := map[string]string{}
		for _, r := range results {
			r := obj(r.(map[string]any))
			if ref := r.str("ref"); ref != "" {
				ids[ref] = r.str("id")
			}
		}
		for who, ws := range map[string]string{ids["ida"]: "wingtip-toys", ids["bo"]: "wingtip-toys"} {
			if !p.allowed(who, ws, "incidents.view") {
				t.Errorf("user %s in the new workspace: incidents.view denied, want allowed", who)
			}
		}
		if p.allowed(ids["bo"], "wingtip-toys", "incidents.close") {
			t.Errorf("bo, an analyst through the group, may close incidents")
		}
		// Each operation is its own event, all tied by the batch's id.
		batchID, seen := out.str("batch_id"), 0
		for _, it := range p.must(p.admin, "GET", org+"/events?limit=100", nil, 200).list("items") {
			if obj(it.(map[string]any)).str("source.batch_id") == batchID {
				seen++
			}
		}
		if seen != 8 {
			t.Errorf("%d events carry batch id %s, want 8", seen, batchID)
		}
	})
}

// A refused batch names every failing operation by index and changes nothing.
func TestBatchIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.user(p.admin, org, "taken@acme.example")
		before, digest := p.head(), e.dir.Index().Digest()
		ops := []obj{
			{"op": "create", "type": "workspace", "ref": "w", "body": obj{"name": "Northwind Traders"}},
			{"op": "create", "type": "group", "ref": "g", "body": obj{"name": "Night shift"}},
			{"op": "create", "type": "user", "body": obj{"email": "taken@acme.example", "given_name": "Again"}},
			{"op": "create", "type": "membership", "id": "$g", "body": obj{"member": obj{"type": "user", "id": "$nobody"}}},
			{"op": "create", "type": "assignment", "workspace": "$w", "body": obj{"principal": obj{"type": "group", "id": "$g"}, "role": "no such role"}},
			{"op": "create", "type": "assignment", "workspace": "$w", "body": obj{"principal": obj{"type": "group", "id": "$g"}, "role": "incident_analyst"}},
		}
		out := p.refused(p.admin, "POST", org+"/batch", obj{"operations": ops}, 400, "batch_refused")
		want := map[int64]string{2: "email_taken", 3: "unknown_reference", 4: "role_not_found"}
		failed := out.list("operations")
		if len(failed) != len(want) {
			t.Fatalf("failed operations = %v, want indexes 2, 3 and 4", failed)
		}
		for _, f := range failed {
			f := obj(f.(map[string]any))
			if want[f.num("index")] != f.str("code") {
				t.Errorf("operation %d failed with %s (%v), want %s", f.num("index"), f.str("code"), f, want[f.num("index")])
			}
		}
		if p.head() != before || e.dir.Index().Digest() != digest {
			t.Errorf("a refused batch changed the directory")
		}
		p.refused(p.admin, "GET", org+"/workspaces/northwind-traders", nil, 404, "workspace_not_found")

		// The same batch without its faults, as a dry run: answered, not kept.
		dry := p.must(p.admin, "POST", org+"/batch", obj{"dry_run": true, "operations": []obj{ops[0], ops[1], ops[5]}}, 200)
		if len(dry.list("results")) != 3 || dry.get("dry_run") != true {
			t.Errorf("dry run = %v, want the three results", dry)
		}
		if p.head() != before || e.dir.Index().Digest() != digest {
			t.Errorf("a dry run changed the directory")
		}
		p.must(p.admin, "POST", org+"/batch", obj{"operations": []obj{ops[0], ops[1], ops[5]}}, 200)
		p.must(p.admin, "GET", org+"/workspaces/northwind-traders", nil, 200)
	})
}

// A batch can do nothing its operations could not do one by one: a customer
// admin's batch meets escalation and isolation exactly as single calls do.
func TestBatchKeepsTheRulesOfEachOperation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ca := p.user(p.admin, org+"/workspaces/alpha", "it@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", ca, "incident_responder")
		p.must(p.admin, "POST", org+"/roles", obj{"name": "Assigner", "grants": obj{"workspace.users.add": "full", "workspace.roles.assign": "full", "workspace.groups.add": "full"}}, 201)
		p.assign(p.admin, "acme", "alpha", "user", ca, "incident_responder")
		// A second role for the same user would replace the first: give the
		// management rights through a group instead.
		mgmt := p.create(p.admin, org+"/workspaces/alpha/groups", obj{"name": "Alpha managers"})
		p.addMember(p.admin, org+"/workspaces/alpha/groups/"+mgmt, "user", ca)
		p.assign(p.admin, "acme", "alpha", "group", mgmt, "Assigner")
		caKey := p.key("acme", ca)
		beta := p.user(p.admin, org+"/workspaces/beta", "bo@beta.example")
		before := p.head()
		cases := []struct {
			name string
			op   obj
			code string
		}{
			{"grant more than it holds", obj{"op": "create", "type": "assignment", "workspace": "alpha",
				"body": obj{"principal": obj{"type": "user", "id": "$u"}, "role": "admin"}}, "escalation"},
			{"another workspace's user", obj{"op": "update", "type": "user", "workspace": "alpha", "id": beta,
				"body": obj{"given_name": "Mine"}}, "user_not_found"},
			{"another workspace", obj{"op": "create", "type": "user", "workspace": "beta",
				"body": obj{"email": "x@beta.example", "given_name": "X"}}, "workspace_not_found"},
			{"an organization user", obj{"op": "create", "type": "user",
				"body": obj{"email": "y@acme.example", "given_name": "Y"}}, "forbidden"},
		}
		for _, c := range cases {
			ops := []obj{{"op": "create", "type": "user", "workspace": "alpha", "ref": "u", "body": obj{"email": "new@alpha.example", "given_name": "New"}}, c.op}
			out := p.refused(caKey, "POST", org+"/batch", obj{"operations": ops}, 400, "batch_refused")
			failed := out.list("operations")
			if len(failed) != 1 || obj(failed[0].(map[string]any)).str("code") != c.code {
				t.Errorf("%s: failed = %v, want operation 1 with %s", c.name, failed, c.code)
			}
		}
		if p.head() != before {
			t.Errorf("refused batches changed the directory (revision %d → %d)", before, p.head())
		}
	})
}

// The limits of a batch are said plainly.
func TestBatchLimits(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.refused(p.admin, "POST", org+"/batch", obj{"operations": []obj{}}, 400, "invalid_input")
		many := make([]obj, 1001)
		for i := range many {
			many[i] = obj{"op": "create", "type": "group", "body": obj{"name": fmt.Sprint("g", i)}}
		}
		p.refused(p.admin, "POST", org+"/batch", obj{"operations": many}, 400, "too_many_operations")
		out := p.refused(p.admin, "POST", org+"/batch", obj{"operations": []obj{{"op": "rename", "type": "group", "id": p.t1}}}, 400, "batch_refused")
		if f := obj(out.list("operations")[0].(map[string]any)); f.str("code") != "invalid_input" || f.str("fields.op") == "" {
			t.Errorf("an unknown op = %v, want a field error on op", f)
		}
		ok := p.must(p.admin, "POST", org+"/batch", obj{"operations": many[:1000]}, 200)
		if len(ok.list("results")) != 1000 {
			t.Errorf("a batch of 1000 = %d results", len(ok.list("results")))
		}
	})
}

// A batch sent with an Idempotency-Key is applied once: a retry is answered
// what the first request was answered, refusals included, and changes nothing.
func TestBatchIdempotencyKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		onboard := obj{"operations": []obj{
			{"op": "create", "type": "workspace", "ref": "w", "body": obj{"name": "Wingtip Toys"}},
			{"op": "create", "type": "group", "workspace": "$w", "body": obj{"name": "Wingtip IT"}},
		}}
		send := func(key, idem string, body obj) (int, obj, string) {
			t.Helper()
			st, out, resp := p.call(key, "POST", org+"/batch", body, "Idempotency-Key", idem)
			return st, out, resp.Header.Get("Idempotent-Replayed")
		}
		st, first, replayed := send(p.admin, "onboard-wingtip-1", onboard)
		if st != 200 || replayed != "" {
			t.Fatalf("first request = %d %v (replayed %q), want 200", st, first, replayed)
		}
		head := p.head()
		st, again, replayed := send(p.admin, "onboard-wingtip-1", onboard)
		if st != 200 || replayed != "true" || !reflect.DeepEqual(again, first) {
			t.Errorf("retry = %d %v (replayed %q), want the first answer %v replayed", st, again, replayed, first)
		}
		if p.head() != head {
			t.Errorf("the retry changed the directory (revision %d → %d)", head, p.head())
		}
		// The key with another body, or from another caller, is refused.
		other := obj{"operations": []obj{{"op": "create", "type": "group", "body": obj{"name": "Night shift"}}}}
		if st, out, _ := send(p.admin, "onboard-wingtip-1", other); st != 409 || out.str("code") != "idempotency_key_reused" {
			t.Errorf("the key with another body = %d %v, want 409 idempotency_key_reused", st, out)
		}
		member := p.user(p.admin, org, "lee@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", member, "admin")
		if st, out, _ := send(p.key("acme", member), "onboard-wingtip-1", onboard); st != 409 || out.str("code") != "idempotency_key_reused" {
			t.Errorf("the key from another caller = %d %v, want 409 idempotency_key_reused", st, out)
		}
		// Keys belong to their organization.
		_, otherAdmin := p.org("globex")
		st, out, resp := p.call(otherAdmin, "POST", "/v1/orgs/globex/batch", onboard, "Idempotency-Key", "onboard-wingtip-1")
		if st != 200 || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("the key in another organization = %d %v, want applied", st, out)
		}

		// A refusal is kept: its retry is the same refusal, though the
		// directory has changed so that the batch would now pass.
		taken := p.user(p.admin, org, "taken@acme.example")
		hire := obj{"operations": []obj{{"op": "create", "type": "user", "body": obj{"email": "taken@acme.example", "given_name": "Again"}}}}
		st, refusal, _ := send(p.admin, "hire-1", hire)
		if st != 400 || refusal.str("code") != "batch_refused" {
			t.Fatalf("refused batch = %d %v, want 400 batch_refused", st, refusal)
		}
		p.must(p.admin, "DELETE", org+"/users/"+taken, nil, 200)
		head = p.head()
		st, again, replayed = send(p.admin, "hire-1", hire)
		if st != 400 || replayed != "true" || !reflect.DeepEqual(again, refusal) {
			t.Errorf("retry of a refusal = %d %v (replayed %q), want the refusal %v", st, again, replayed, refusal)
		}
		if p.head() != head {
			t.Errorf("the retry of a refusal changed the directory")
		}

		// A dry run keeps nothing: the real batch with its key applies.
		if st, out, _ := send(p.admin, "hire-2", obj{"dry_run": true, "operations": hire["operations"]}); st != 200 || out.get("dry_run") != true {
			t.Fatalf("dry run = %d %v", st, out)
		}
		if st, out, replayed := send(p.admin, "hire-2", hire); st != 200 || replayed != "" || p.head() == head {
			t.Errorf("the batch after a dry run with its key = %d %v (replayed %q), want applied", st, out, replayed)
		}

		// Keys are kept 24 hours.
		e.clock.Advance(25 * time.Hour)
		if st, out, replayed := send(p.admin, "onboard-wingtip-1", other); st != 200 || replayed != "" {
			t.Errorf("an expired key with another body = %d %v (replayed %q), want applied", st, out, replayed)
		}

		for _, bad := range []string{"", strings.Repeat("k", 201), "two words", "naïve"} {
			if st, out, _ := send(p.admin, bad, other); st != 400 || out.str("code") != "invalid_idempotency_key" {
				t.Errorf("Idempotency-Key %q = %d %v, want 400 invalid_idempotency_key", bad, st, out)
			}
		}
	})
}

// Retries racing each other with one key apply the batch once: each is
// answered the one batch's answer.
func TestBatchIdempotencyKeyUnderConcurrentRetries(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		body := obj{"operations": []obj{
			{"op": "create", "type": "group", "ref": "g", "body": obj{"name": "Night shift"}},
			{"op": "create", "type": "assignment", "workspace": "alpha", "body": obj{"principal": obj{"type": "group", "id": "$g"}, "role": "incident_analyst"}},
		}}
		head := p.head()
		const n = 8
		var wg sync.WaitGroup
		answers := make([]obj, n)
		replays := make([]string, n)
		for i := range n {
			wg.Go(func() {
				st, out, resp := p.call(p.admin, "POST", org+"/batch", body, "Idempotency-Key", "night-shift")
				if st != 200 {
					t.Errorf("request %d = %d %v, want 200", i, st, out)
				}
				answers[i], replays[i] = out, resp.Header.Get("Idempotent-Replayed")
			})
		}
		wg.Wait()
		applied := 0
		for i := range n {
			if replays[i] == "" {
				applied++
			}
			if answers[i].str("batch_id") != answers[0].str("batch_id") {
				t.Errorf("answers name batches %s and %s, want one", answers[0].str("batch_id"), answers[i].str("batch_id"))
			}
		}
		if applied != 1 || p.head() != head+2 {
			t.Errorf("%d of %d requests applied the batch, revision %d → %d; want one batch of two writes", applied, n, head, p.head())
		}
	})
}
