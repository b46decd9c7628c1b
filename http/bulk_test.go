package http_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// bulk POSTs a bulk action to path (an org or workspace prefix) and returns the answer.
func (p *partner) bulk(key, path string, sel, action obj, preview bool, want int) obj {
	p.t.Helper()
	return p.must(key, "POST", path+"/users/bulk", obj{"select": sel, "action": action, "preview": preview}, want)
}

// batchEvents counts the audit events (of the query) that carry batch id.
func (p *partner) batchEvents(id, query string) int {
	p.t.Helper()
	n := 0
	for _, it := range p.must(p.admin, "GET", org+"/events?"+query, nil, 200).list("items") {
		if id != "" && obj(it.(map[string]any)).str("source.batch_id") == id {
			n++
		}
	}
	return n
}

// outcomes maps each item of a bulk answer ("email" or "email@workspace") to its outcome, with its code when refused.
func outcomes(out obj) map[string]string {
	got := map[string]string{}
	for _, it := range out.list("items") {
		it := obj(it.(map[string]any))
		k, v := it.str("email"), it.str("outcome")
		if ws := it.str("workspace"); ws != "" {
			k += " in " + ws
		}
		if c := it.str("code"); c != "" {
			v += " " + c
		}
		got[k] = v
	}
	return got
}

func wantOutcomes(t *testing.T, what string, out obj, want map[string]string) {
	t.Helper()
	got := outcomes(out)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: outcomes = %v, want %v", what, got, want)
	}
}

// A preview answers who would change and who not, and why, changing nothing;
// applying then does exactly that, as one batch whose events carry its id.
func TestBulkPreviewNamesTheAffectedAndChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.user(p.admin, org, "ana@acme.example")
		bo := p.user(p.admin, org, "bo@acme.example")
		p.user(p.admin, org, "cy@acme.example") // not in the group
		for _, id := range []string{ana, bo} {
			p.addMember(p.admin, org+"/groups/"+p.t1, "user", id)
		}
		p.assign(p.admin, "acme", "alpha", "user", bo, "incident_analyst")
		sel := obj{"group": "SOC Tier 1", "status": "active"}
		act := obj{"type": "assign_role", "role": "incident_analyst", "workspaces": []string{"alpha", "beta"}}
		want := map[string]string{
			"ana@acme.example in alpha": "would_change", "ana@acme.example in beta": "would_change",
			"bo@acme.example in alpha": "unchanged", "bo@acme.example in beta": "would_change",
		}

		before, digest := p.head(), e.dir.Index().Digest()
		out := p.bulk(p.admin, org, sel, act, true, 200)
		wantOutcomes(t, "preview", out, want)
		if out.num("matched") != 2 || out.get("preview") != true {
			t.Errorf("preview answer = %v, want 2 matched, preview true", out)
		}
		if p.head() != before || e.dir.Index().Digest() != digest || p.allowed(ana, "alpha", "incidents.view") {
			t.Fatalf("a preview changed the directory")
		}

		out = p.bulk(p.admin, org, sel, act, false, 200)
		for k, v := range want {
			want[k] = strings.Replace(v, "would_change", "done", 1)
		}
		wantOutcomes(t, "apply", out, want)
		for _, ws := range []string{"alpha", "beta"} {
			if !p.allowed(ana, ws, "incidents.view") || !p.allowed(bo, ws, "incidents.view") {
				t.Errorf("after the bulk assignment, ana or bo denied in %s", ws)
			}
		}
		if n := p.batchEvents(out.str("batch_id"), "limit=100"); n != 3 {
			t.Errorf("%d events carry the call's batch id, want 3", n)
		}

		// And back: the same selection loses its assignments in alpha.
		out = p.bulk(p.admin, org, obj{"users": []string{"ana@acme.example", bo}}, obj{"type": "remove_assignments", "workspaces": []string{"alpha"}}, false, 200)
		wantOutcomes(t, "remove", out, map[string]string{"ana@acme.example in alpha": "done", "bo@acme.example in alpha": "done"})
		if p.allowed(ana, "alpha", "incidents.view") || !p.allowed(ana, "beta", "incidents.view") {
			t.Errorf("after removing alpha's assignments: ana's access is wrong")
		}
	})
}

// The last active Organization Admin is refused and reported, while the
// others of the selection are disabled.
func TestBulkRefusesTheLastOrgAdminAndSaysSo(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.user(p.admin, org, "ana@acme.example")
		p.user(p.admin, org, "bo@acme.example")
		sel, act := obj{"home": "org", "status": "active"}, obj{"type": "disable"}
		want := map[string]string{"admin@acme.example": "refused last_org_admin", "ana@acme.example": "would_change", "bo@acme.example": "would_change"}
		wantOutcomes(t, "preview", p.bulk(p.admin, org, sel, act, true, 200), want)
		out := p.bulk(p.admin, org, sel, act, false, 200)
		want["ana@acme.example"], want["bo@acme.example"] = "done", "done"
		wantOutcomes(t, "apply", out, want)
		if out.num("counts.refused") != 1 || out.num("counts.done") != 2 {
			t.Errorf("counts = %v, want 2 done and 1 refused", out.get("counts"))
		}
		if p.status(p.adminID) != "active" {
			t.Errorf("the last Org Admin was disabled")
		}
		// Disabled already: unchanged, with the reason.
		out = p.bulk(p.admin, org, obj{"users": []string{"ana@acme.example"}}, act, false, 200)
		wantOutcomes(t, "again", out, map[string]string{"ana@acme.example": "unchanged"})
		if r := out.str("items.0.reason"); !strings.Contains(r, "disabled already") {
			t.Errorf("reason = %q, want it to say the user is disabled already", r)
		}
	})
}

// Each user's step keeps the rules of its single endpoint: a customer admin
// reaches only its own workspace's users, and never grants more than it
// holds; an org member selects only whom it sees and changes none of them.
func TestBulkKeepsTheRulesForEachUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		alpha := org + "/workspaces/alpha"
		mgr := p.user(p.admin, alpha, "mgr@alpha.example")
		role := p.create(p.admin, alpha+"/roles", obj{"name": "People desk", "grants": obj{
			"workspace.users.add": "full", "workspace.users.remove": "full", "workspace.roles.assign": "full", "incidents.view": "full"}})
		p.assign(p.admin, "acme", "alpha", "user", mgr, role)
		mgrKey := p.key("acme", mgr)
		ida := p.user(p.admin, alpha, "ida@alpha.example")
		beta := p.user(p.admin, org+"/workspaces/beta", "bea@beta.example")
		staff := p.user(p.admin, org, "sam@acme.example")

		// Others' users are never selected, and answer as if they did not exist.
		out := p.bulk(mgrKey, alpha, obj{"users": []string{ida, beta, staff, "usr_00000000000000000000000000", "bea@beta.example"}}, obj{"type": "disable"}, true, 200)
		wantOutcomes(t, "list", out, map[string]string{"ida@alpha.example": "would_change"})
		if nf := fmt.Sprint(out.get("not_found")); nf != fmt.Sprint([]any{beta, staff, "usr_00000000000000000000000000", "bea@beta.example"}) {
			t.Errorf("not_found = %s, want the hidden and the unknown alike", nf)
		}
		out = p.bulk(mgrKey, alpha, obj{"status": "active"}, obj{"type": "disable"}, true, 200)
		wantOutcomes(t, "filter", out, map[string]string{"ida@alpha.example": "would_change", "mgr@alpha.example": "would_change"})
		p.refused(mgrKey, "POST", alpha+"/users/bulk", obj{"select": obj{"home": "beta"}, "action": obj{"type": "disable"}}, 404, "workspace_not_found")
		p.refused(mgrKey, "POST", org+"/users/bulk", obj{"select": obj{"status": "active"}, "action": obj{"type": "disable"}}, 403, "forbidden")

		// Admin grants more than the desk holds: refused for everyone, nothing changes.
		before := p.head()
		out = p.bulk(mgrKey, alpha, obj{"users": []string{ida}}, obj{"type": "assign_role", "role": "admin"}, false, 200)
		wantOutcomes(t, "escalation", out, map[string]string{"ida@alpha.example in alpha": "refused escalation"})
		if p.head() != before || p.allowed(ida, "alpha", "incidents.delete") {
			t.Errorf("a refused bulk assignment changed something")
		}

		// An org member sees the organization's people and alpha's, not beta's, and may change none.
		p.assign(p.admin, "acme", "alpha", "user", staff, "incident_analyst")
		staffKey := p.key("acme", staff)
		before = p.head()
		out = p.bulk(staffKey, org, obj{"status": "active"}, obj{"type": "disable"}, false, 200)
		got := outcomes(out)
		if _, leaked := got["bea@beta.example"]; leaked || len(got) != 4 {
			t.Errorf("org member's selection = %v, want the 2 org users and 2 alpha users, never beta's", got)
		}
		for who, o := range got {
			if !strings.HasPrefix(o, "refused forbidden") {
				t.Errorf("org member disabling %s: %s, want refused forbidden", who, o)
			}
		}
		if p.head() != before {
			t.Errorf("an org member's bulk action changed something")
		}
	})
}

// Disabling in bulk ends every session and key of each user at once; ending
// sessions in bulk ends them and leaves the accounts.
func TestBulkDisableEndsSessionsAndKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.member("ana@acme.example", pwOne)
		bo := p.member("bo@acme.example", pwTwo)
		anaKey := p.key("acme", ana)
		anaB, boB := e.browser("ana"), e.browser("bo")
		anaB.mustLogin("acme", "ana@acme.example", pwOne)
		boB.mustLogin("acme", "bo@acme.example", pwTwo)

		out := p.bulk(p.admin, org, obj{"users": []string{bo}}, obj{"type": "end_sessions"}, false, 200)
		wantOutcomes(t, "end sessions", out, map[string]string{"bo@acme.example": "done"})
		if got, _, _ := boB.call("GET", "/v1/me", nil); got != 401 {
			t.Errorf("bo's session after ending it in bulk = %d, want 401", got)
		}
		wantOutcomes(t, "end again", p.bulk(p.admin, org, obj{"users": []string{bo}}, obj{"type": "end_sessions"}, false, 200),
			map[string]string{"bo@acme.example": "unchanged"})

		p.bulk(p.admin, org, obj{"users": []string{ana}}, obj{"type": "disable"}, false, 200)
		if got, _, _ := anaB.call("GET", "/v1/me", nil); got != 401 {
			t.Errorf("disabled ana's session = %d, want 401", got)
		}
		if got, _, _ := p.call(anaKey, "GET", "/v1/me", nil); got != 401 {
			t.Errorf("disabled ana's key = %d, want 401", got)
		}
		p.bulk(p.admin, org, obj{"users": []string{ana}}, obj{"type": "enable"}, false, 200)
		if p.status(ana) != "active" {
			t.Errorf("enabled in bulk: ana is %s, want active", p.status(ana))
		}
	})
}

// Requiring a password reset in bulk mails each user a link that works, and
// ends their sessions; an invited user is refused, with the reason.
func TestBulkPasswordResetMailsEachALink(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		ana := p.member("ana@acme.example", pwOne)
		p.member("bo@acme.example", pwTwo)
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy"}, 201)
		b := e.browser("ana")
		b.mustLogin("acme", "ana@acme.example", pwOne)

		sel := obj{"users": []string{"ana@acme.example", "bo@acme.example", "ivy@acme.example"}}
		act := obj{"type": "require_password_reset"}
		want := map[string]string{"ana@acme.example": "would_change", "bo@acme.example": "would_change", "ivy@acme.example": "refused not_active"}
		wantOutcomes(t, "preview", p.bulk(p.admin, org, sel, act, true, 200), want)
		if p.mailTo("ana@acme.example", "reset") != nil {
			t.Fatalf("a preview queued a reset mail")
		}
		want["ana@acme.example"], want["bo@acme.example"] = "done", "done"
		out := p.bulk(p.admin, org, sel, act, false, 200)
		wantOutcomes(t, "apply", out, want)
		if n := p.batchEvents(out.str("batch_id"), "action=password.reset_required"); n != 2 {
			t.Errorf("%d password.reset_required events carry the call's batch id, want 2", n)
		}

		mb.deliver(t)
		if got, _, _ := b.call("GET", "/v1/me", nil); got != 401 {
			t.Errorf("ana's session after a required reset = %d, want 401", got)
		}
		mb.link(t, "bo@acme.example", "/password/reset")
		if out := e.browser("bo").mustLogin("acme", "bo@acme.example", pwTwo); out.get("password_change_required") != true {
			t.Errorf("bo signing in with the old password: %v, want password_change_required", out)
		}
		tok := mb.link(t, "ana@acme.example", "/password/reset")
		p.must("", "POST", "/v1/password/reset/confirm", obj{"token": tok, "password": pwFive}, 200)
		if len(mb.to("ivy@acme.example")) != 1 {
			t.Errorf("ivy got %d messages, want only her invitation", len(mb.to("ivy@acme.example")))
		}
		e.browser("ana").mustLogin("acme", "ana@acme.example", pwFive)
		if got := p.must(p.admin, "GET", org+"/users/"+ana, nil, 200).str("status"); got != "active" {
			t.Errorf("ana after the reset: %s, want active", got)
		}
	})
}

// A selection is bounded: more than 1,000 users is refused with how many
// matched; an empty one is refused; and bulk calls spend the actor's budget
// for sensitive actions.
func TestBulkLimits(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		var csv strings.Builder
		csv.WriteString("email,first_name,last_name\n")
		for i := range 1001 {
			fmt.Fprintf(&csv, "u%04d@acme.example,U%d,Many\n", i, i)
		}
		if got, out := e.postCSV(p.admin, org+"/users/import", csv.String()); got != 200 {
			t.Fatalf("import = %d %v", got, out)
		}
		out := p.refused(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"status": "active"}, "action": obj{"type": "disable"}}, 400, "selection_too_large")
		if !strings.Contains(out.str("detail"), "1002 users match") {
			t.Errorf("detail = %q, want it to say 1002 users match", out.str("detail"))
		}
		p.bulk(p.admin, org, obj{"status": "active", "department": "none"}, obj{"type": "disable"}, true, 200)
		p.refused(p.admin, "POST", org+"/users/bulk", obj{"select": obj{}, "action": obj{"type": "disable"}}, 400, "selection_required")
		p.refused(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"status": "active"}, "action": obj{"type": "explode"}}, 400, "invalid_input")
		codes := []int{}
		for range 20 {
			got, _, _ := p.call(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"users": []string{"nobody@acme.example"}}, "action": obj{"type": "disable"}, "preview": true})
			codes = append(codes, got)
		}
		if !slices.Contains(codes, 429) {
			t.Errorf("24 bulk calls at once: statuses %v, want 429 once the budget is spent", codes)
		}
	})
}

// The filter picks by role in a workspace (through groups too), department,
// nested group membership and last sign-in, each narrowing the others.
func TestBulkSelectsByFilter(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.member("ana@acme.example", pwOne)
		bo := p.create(p.admin, org+"/users", obj{"email": "bo@acme.example", "given_name": "Bo", "department": "Night Ops"})
		cy := p.create(p.admin, org+"/users", obj{"email": "cy@acme.example", "given_name": "Cy", "department": "night ops"})
		night := p.create(p.admin, org+"/groups", obj{"name": "Night shift"})
		p.addMember(p.admin, org+"/groups/"+p.t1, "group", night)
		p.addMember(p.admin, org+"/groups/"+night, "user", bo)
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		p.assign(p.admin, "acme", "alpha", "group", p.t1, "incident_analyst")
		p.assign(p.admin, "acme", "alpha", "user", cy, "incident_analyst")
		e.browser("ana").mustLogin("acme", "ana@acme.example", pwOne)

		pick := func(sel obj) []string {
			t.Helper()
			var got []string
			for _, it := range p.bulk(p.admin, org, sel, obj{"type": "disable"}, true, 200).list("items") {
				got = append(got, strings.Split(obj(it.(map[string]any)).str("email"), "@")[0])
			}
			slices.Sort(got)
			return got
		}
		since := e.clock.Now().Add(-time.Minute).Format(time.RFC3339)
		for _, c := range []struct {
			name string
			sel  obj
			want []string
		}{
			{"group, nested", obj{"group": "SOC Tier 1"}, []string{"ana", "bo"}},
			{"role in alpha", obj{"role": "Incident Analyst", "role_workspace": "alpha"}, []string{"ana", "bo", "cy"}},
			{"department, any case", obj{"department": "NIGHT OPS"}, []string{"bo", "cy"}},
			{"department and group", obj{"department": "night ops", "group": "SOC Tier 1"}, []string{"bo"}},
			{"no sign-in since", obj{"home": "org", "last_sign_in_before": since}, []string{"admin", "bo", "cy"}},
		} {
			if got := pick(c.sel); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: selected %v, want %v", c.name, got, c.want)
			}
		}
	})
}

// With all_or_nothing, one refused user leaves everyone as they were, and the
// refusal lists each user's outcome; without refusals it applies as usual.
func TestBulkAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		ana := p.member("ana@acme.example", pwOne)
		p.user(p.admin, org, "bo@acme.example")
		p.must(p.admin, "POST", org+"/invitations", obj{"email": "ivy@acme.example", "given_name": "Ivy"}, 201)
		before, digest := p.head(), e.dir.Index().Digest()
		out := p.refused(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"home": "org", "status": "active"},
			"action": obj{"type": "disable"}, "all_or_nothing": true}, 409, "bulk_refused")
		got := map[string]string{}
		for _, it := range out.list("users") {
			it := obj(it.(map[string]any))
			got[it.str("email")] = strings.TrimSpace(it.str("outcome") + " " + it.str("code"))
		}
		want := map[string]string{"admin@acme.example": "refused last_org_admin", "ana@acme.example": "would_change", "bo@acme.example": "would_change"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("refusal lists %v, want %v", got, want)
		}
		if p.head() != before || e.dir.Index().Digest() != digest || p.status(ana) != "active" {
			t.Fatalf("a refused all-or-nothing bulk action changed something")
		}
		// Sign-in actions are judged for everyone before anyone is touched.
		p.refused(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"users": []string{"ana@acme.example", "ivy@acme.example"}},
			"action": obj{"type": "require_password_reset"}, "all_or_nothing": true}, 409, "bulk_refused")
		if p.mailTo("ana@acme.example", "reset") != nil {
			t.Errorf("a refused all-or-nothing reset mailed ana a link")
		}
		out = p.must(p.admin, "POST", org+"/users/bulk", obj{"select": obj{"users": []string{"ana@acme.example"}},
			"action": obj{"type": "require_password_reset"}, "all_or_nothing": true}, 200)
		wantOutcomes(t, "all passing", out, map[string]string{"ana@acme.example": "done"})
		if p.mailTo("ana@acme.example", "reset") == nil {
			t.Errorf("no reset link mailed to ana")
		}
	})
}
