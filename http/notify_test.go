package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// subjects lists the subjects of the mail delivered to addr.
func (m *mailbox) subjects(addr string) string {
	var out []string
	for _, msg := range m.to(addr) {
		out = append(out, msg.Subject)
	}
	return strings.Join(out, "\n")
}

// titles lists the titles of a person's notifications in the console's list.
func titles(e *env, key string) string {
	var out []string
	for _, n := range e.must(key, "GET", "/v1/me/notifications", nil, 200).list("items") {
		out = append(out, obj(n.(map[string]any)).str("title"))
	}
	return strings.Join(out, "\n")
}

// TestAccountChangesReachTheirPersonByPreference: a password set by an
// admin, a role given and a group joined reach the person concerned, by
// email and in the list; a category turned off by email still reaches the
// list; nobody else hears of them; marking read empties the unread count.
func TestAccountChangesReachTheirPersonByPreference(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		ana := p.member("ana@acme.example", pwOne)
		bob := p.member("bob@acme.example", pwTwo)
		anaKey, bobKey := p.key("acme", ana), p.key("acme", bob)
		// Roles and groups reach the console by default, and the mailbox when asked.
		e.must(anaKey, "PUT", "/v1/me/notification-preferences", obj{"items": []obj{{"category": "access", "email": true, "console": true}}}, 200)
		p.assign(p.admin, "acme", "alpha", "user", ana, "incident_analyst")
		mb.deliver(t)
		got := mb.subjects("ana@acme.example")
		for _, want := range []string{"Your password was set by an administrator", "You were given a role in Alpha"} {
			if !strings.Contains(got, want) {
				t.Errorf("ana's mail does not say %q:\n%s", want, got)
			}
		}
		if strings.Contains(mb.subjects("bob@acme.example"), "Alpha") {
			t.Errorf("bob was told of ana's role:\n%s", mb.subjects("bob@acme.example"))
		}
		if list := titles(e, anaKey); !strings.Contains(list, "You were given a role in Alpha") {
			t.Errorf("ana's list = %q, want the role", list)
		}

		// Ana turns access mail off: the list still gets it, the mailbox does not.
		out := e.must(anaKey, "PUT", "/v1/me/notification-preferences", obj{"items": []obj{{"category": "access", "email": false, "console": true}}}, 200)
		if out.get("items.1.email") != false || out.str("items.1.category") != "access" || out.get("items.0.email") != true {
			t.Fatalf("preferences after the change = %v", out)
		}
		p.addMember(p.admin, org+"/groups/"+p.t1, "user", ana)
		mb.deliver(t)
		if strings.Contains(mb.subjects("ana@acme.example"), "SOC Tier 1") {
			t.Errorf("ana chose no access mail but was mailed:\n%s", mb.subjects("ana@acme.example"))
		}
		if list := titles(e, anaKey); !strings.Contains(list, "You joined the group SOC Tier 1") {
			t.Errorf("ana's list = %q, want the group", list)
		}
		// A role given to her group reaches her too.
		p.assign(p.admin, "acme", "beta", "group", p.t1, "incident_analyst")
		if got := e.must(anaKey, "GET", "/v1/me/notifications", nil, 200); got.str("items.0.title") != "You were given a role in Beta" ||
			!strings.Contains(got.str("items.0.body"), "Your group SOC Tier 1 now has the role Incident Analyst in workspace Beta") {
			t.Errorf("after her group's role, ana's newest notification = %v", got.get("items.0"))
		}

		// Read: bob's ids change nothing of ana's; ana's all read leaves 0.
		first := e.must(anaKey, "GET", "/v1/me/notifications", nil, 200)
		id := first.str("items.0.id")
		if e.must(bobKey, "POST", "/v1/me/notifications/read", obj{"ids": []string{id}}, 200).num("marked") != 0 {
			t.Errorf("bob marked ana's notification read")
		}
		if out := e.must(anaKey, "POST", "/v1/me/notifications/read", obj{}, 200); out.num("unread") != 0 || out.num("marked") != first.num("unread") {
			t.Errorf("read all = %v, want all %d marked and none unread", out, first.num("unread"))
		}

		// Bad input changes nothing.
		got2, bad, _ := e.call(anaKey, "PUT", "/v1/me/notification-preferences", obj{"items": []obj{{"category": "gossip", "email": true}}})
		if fields, _ := bad.get("fields").(map[string]any); got2 != 400 || fields["preferences[0].category"] == nil {
			t.Errorf("unknown category = %d %v, want 400 naming the field", got2, bad)
		}
	})
}

// TestEscalationsAndBurstsTellTheAdmins: a custom role that manages people
// granted, a user joining a group holding one, a role edited to manage
// people, and ten disables in a row each tell the security contacts (and
// the Org Admins' lists); a role that manages no one tells nobody.
func TestEscalationsAndBurstsTellTheAdmins(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		helpdesk := p.create(p.admin, org+"/roles", obj{"name": "Helpdesk", "grants": obj{"incidents.view": "full", "workspace.users.add": "full"}})
		viewer := p.create(p.admin, org+"/roles", obj{"name": "Viewer", "grants": obj{"incidents.view": "full"}})
		ana := p.user(p.admin, org, "ana@acme.example")
		bob := p.user(p.admin, org, "bob@acme.example")
		cy := p.user(p.admin, org, "cy@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", ana, helpdesk)
		p.assign(p.admin, "acme", "alpha", "user", cy, viewer)
		p.assign(p.admin, "acme", "beta", "group", p.t2, helpdesk)
		p.addMember(p.admin, org+"/groups/"+p.t2, "user", bob)
		p.must(p.admin, "PATCH", org+"/roles/"+viewer, obj{"grants": obj{"incidents.view": "full", "workspace.roles.assign": "full"}}, 200)
		mb.deliver(t)
		got := mb.subjects("soc@acme.example")
		for _, want := range []string{"Escalation: Helpdesk granted in Alpha", "Escalation: Helpdesk granted in Beta", "Escalation: user bob@acme.example joined SOC Tier 2",
			"Escalation: role Viewer now manages people"} {
			if !strings.Contains(got, want) {
				t.Errorf("the security contact was not told %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "cy@acme.example") {
			t.Errorf("a role managing no one counted as an escalation:\n%s", got)
		}
		if list := titles(e, p.admin); !strings.Contains(list, "Escalation: Helpdesk granted in Alpha") {
			t.Errorf("the Org Admin's list = %q, want the escalation", list)
		}

		var ids []string
		for i := range 11 {
			ids = append(ids, p.user(p.admin, org, "temp"+string(rune('a'+i))+"@acme.example"))
		}
		for _, id := range ids {
			p.must(p.admin, "PATCH", org+"/users/"+id, obj{"status": "disabled"}, 200)
		}
		mb.deliver(t)
		if n := strings.Count(mb.subjects("soc@acme.example"), "disabled or deleted 10 users"); n != 1 {
			t.Errorf("eleven disables told the contacts %d times, want once:\n%s", n, mb.subjects("soc@acme.example"))
		}
	})
}

// TestNewDeviceSignIn: the first device is news to nobody; another one
// tells the person (by email, or only in the list once email is off for
// sign-ins), and an admin's tells the security contacts too.
func TestNewDeviceSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}})
		rex := p.member("rex@acme.example", pwOne)
		e.browser(firefoxOnWindows).mustLogin("acme", "rex@acme.example", pwOne)
		e.browser(firefoxOnWindows).mustLogin("acme", "rex@acme.example", pwOne)
		mb.deliver(t)
		if got := mb.subjects("rex@acme.example"); strings.Contains(got, "New sign-in") {
			t.Fatalf("the first device was news:\n%s", got)
		}
		e.browser(curlUA).mustLogin("acme", "rex@acme.example", pwOne)
		mb.deliver(t)
		if got := mb.subjects("rex@acme.example"); !strings.Contains(got, "New sign-in from curl") {
			t.Errorf("rex was not told of the new device:\n%s", got)
		}
		if got := mb.subjects("soc@acme.example"); strings.Contains(got, "rex@acme.example") {
			t.Errorf("a member's new device told the contacts:\n%s", got)
		}

		rexKey := p.key("acme", rex)
		e.must(rexKey, "PUT", "/v1/me/notification-preferences", obj{"items": []obj{{"category": "sign_in", "email": false, "console": true}}}, 200)
		before := len(mb.to("rex@acme.example"))
		e.browser("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0").mustLogin("acme", "rex@acme.example", pwOne)
		mb.deliver(t)
		if len(mb.to("rex@acme.example")) != before {
			t.Errorf("rex chose no sign-in mail but was mailed:\n%s", mb.subjects("rex@acme.example"))
		}
		if list := titles(e, rexKey); strings.Count(list, "New sign-in") != 2 {
			t.Errorf("rex's list = %q, want both new devices", list)
		}

		p.must(p.admin, "POST", org+"/users/"+p.adminID+"/password", obj{"password": pwTwo}, 200)
		e.browser(firefoxOnWindows).mustLogin("acme", "admin@acme.example", pwTwo)
		e.browser(curlUA).mustLogin("acme", "admin@acme.example", pwTwo)
		mb.deliver(t)
		if got := mb.subjects("soc@acme.example"); !strings.Contains(got, "admin@acme.example signed in from a new device") {
			t.Errorf("an admin's new device did not tell the contacts:\n%s", got)
		}
	})
}

// TestAnnouncementsReachOnlyTheirAudienceInTheirWindow: who may publish
// where, who sees what, and when.
func TestAnnouncementsReachOnlyTheirAudienceInTheirWindow(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		analyst := p.user(p.admin, org, "ana@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", analyst, "incident_analyst")
		outsider := p.user(p.admin, org, "otto@acme.example")
		cadmin := p.user(p.admin, org+"/workspaces/alpha", "cadmin@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", cadmin, "admin")
		cuser := p.user(p.admin, org+"/workspaces/alpha", "cuser@alpha.example")
		buser := p.user(p.admin, org+"/workspaces/beta", "buser@beta.example")
		keys := map[string]string{}
		for name, id := range map[string]string{"analyst": analyst, "outsider": outsider, "cadmin": cadmin, "cuser": cuser, "buser": buser} {
			keys[name] = p.key("acme", id)
		}
		now := e.clock.Now()
		in := func(title string) obj {
			return obj{"title": title, "body": "Body of " + title + " <b>plain</b>", "ends_at": now.Add(time.Hour)}
		}
		// A second between publications: the lists are newest first, and
		// two made in the same instant of the test's clock have no order.
		publish := func(key, path string, body obj) {
			p.must(key, "POST", path, body, 201)
			e.clock.Advance(time.Second)
		}
		publish(p.admin, org+"/announcements", in("Partner all-hands"))
		publish(keys["cadmin"], org+"/workspaces/alpha/announcements", in("Alpha maintenance"))
		later := in("Alpha later")
		later["starts_at"] = now.Add(30 * time.Minute)
		publish(p.admin, org+"/workspaces/alpha/announcements", later)
		publish(p.admin, org+"/announcements", obj{"title": "Tier 2 only", "body": "x", "group_id": p.t2, "ends_at": now.Add(time.Hour)})
		publish(e.operator, "/v1/announcements", in("Platform upgrade"))

		seen := func(who string) string {
			var out []string
			for _, a := range e.must(keys[who], "GET", "/v1/me/notifications", nil, 200).list("announcements") {
				out = append(out, obj(a.(map[string]any)).str("title"))
			}
			return strings.Join(out, ",")
		}
		want := map[string]string{
			"analyst":  "Platform upgrade,Alpha maintenance,Partner all-hands",
			"outsider": "Platform upgrade,Partner all-hands",
			"cadmin":   "Platform upgrade,Alpha maintenance",
			"cuser":    "Platform upgrade,Alpha maintenance",
			"buser":    "Platform upgrade",
		}
		for who, w := range want {
			if got := seen(who); got != w {
				t.Errorf("%s sees %q, want %q", who, got, w)
			}
		}
		e.clock.Advance(45 * time.Minute)
		if got := seen("cuser"); got != "Platform upgrade,Alpha later,Alpha maintenance" {
			t.Errorf("inside the later window cuser sees %q", got)
		}
		e.clock.Advance(time.Hour)
		if got := seen("cuser"); got != "" {
			t.Errorf("after every window cuser sees %q, want nothing", got)
		}

		// Who may publish where; anything of another scope is absent.
		for _, c := range []struct {
			name, key, path string
			body            obj
			status          int
		}{
			{"customer admin at the organization", keys["cadmin"], org + "/announcements", in("x"), 403},
			{"customer admin in a sibling workspace", keys["cadmin"], org + "/workspaces/beta/announcements", in("x"), 404},
			{"customer user in its own workspace", keys["cuser"], org + "/workspaces/alpha/announcements", in("x"), 403},
			{"org member who works in alpha", keys["analyst"], org + "/workspaces/alpha/announcements", in("x"), 403},
			{"customer admin to an org group", keys["cadmin"], org + "/workspaces/alpha/announcements", obj{"title": "x", "body": "x", "group_id": p.t1, "ends_at": now.Add(3 * time.Hour)}, 400},
			{"window ending before it starts", p.admin, org + "/announcements", obj{"title": "x", "body": "x", "ends_at": now.Add(-3 * time.Hour)}, 400},
			{"no title", p.admin, org + "/announcements", obj{"body": "x", "ends_at": now.Add(3 * time.Hour)}, 400},
			{"Org Admin to everyone", p.admin, "/v1/announcements", in("x"), 403},
		} {
			if got, out, _ := e.call(c.key, "POST", c.path, c.body); got != c.status {
				t.Errorf("%s: %d %v, want %d", c.name, got, out, c.status)
			}
		}
		if n := len(e.must(p.admin, "GET", org+"/announcements", nil, 200).list("items")); n != 2 {
			t.Errorf("the organization lists %d announcements, want 2 (refused ones wrote nothing)", n)
		}
		alpha := e.must(keys["cadmin"], "GET", org+"/workspaces/alpha/announcements", nil, 200).list("items")
		if len(alpha) != 2 {
			t.Fatalf("alpha lists %d announcements, want 2", len(alpha))
		}
		id := obj(alpha[0].(map[string]any)).str("id")
		if got, _, _ := e.call(p.admin, "DELETE", org+"/workspaces/beta/announcements/"+id, nil); got != 404 {
			t.Errorf("deleting alpha's announcement through beta = %d, want 404", got)
		}
		e.must(keys["cadmin"], "DELETE", org+"/workspaces/alpha/announcements/"+id, nil, 200)
		events := e.must(p.admin, "GET", org+"/events", nil, 200).list("items")
		var actions []string
		for _, ev := range events {
			actions = append(actions, obj(ev.(map[string]any)).str("action"))
		}
		if all := strings.Join(actions, " "); !strings.Contains(all, "announcement.publish") || !strings.Contains(all, "announcement.delete") {
			t.Errorf("the audit log does not show publishing and withdrawing: %s", all)
		}
		// Announcements go by email only to those who chose it.
		e.must(keys["cuser"], "PUT", "/v1/me/notification-preferences", obj{"items": []obj{{"category": "announcement", "email": true, "console": true}}}, 200)
		p.must(keys["cadmin"], "POST", org+"/workspaces/alpha/announcements", obj{"title": "Patch night", "body": "Tonight", "ends_at": e.clock.Now().Add(time.Hour)}, 201)
		mb.deliver(t)
		if !strings.Contains(mb.subjects("cuser@alpha.example"), "Patch night") || strings.Contains(mb.subjects("cadmin@alpha.example"), "Patch night") {
			t.Errorf("announcement mail: cuser %q, cadmin %q; want only cuser", mb.subjects("cuser@alpha.example"), mb.subjects("cadmin@alpha.example"))
		}
	})
}

// TestTasksListWhatAwaits: a password an admin asks to change and a
// required second factor are tasks, and unread notifications one.
func TestTasksListWhatAwaits(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.policy(obj{"mfa": "everyone"})
		ana := p.member("ana@acme.example", pwOne)
		p.must(p.admin, "POST", org+"/users/"+ana+"/password", obj{"password": pwTwo, "temporary": true}, 200)
		var kinds []string
		for _, t := range e.must(p.key("acme", ana), "GET", "/v1/me/tasks", nil, 200).list("items") {
			kinds = append(kinds, obj(t.(map[string]any)).str("kind"))
		}
		if got := strings.Join(kinds, ","); got != "change_password,enrol_mfa,read_notifications" {
			t.Errorf("ana's tasks = %s, want change_password,enrol_mfa,read_notifications", got)
		}
	})
}

// TestAdminGrantOutsideWorkingHours: Admin granted on a weekend, or at
// night in the organization's zone, tells the security contacts; within
// working hours it does not; a zone or hours that do not parse are refused.
func TestAdminGrantOutsideWorkingHours(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		for _, bad := range []obj{{"time_zone": "Mars/Olympus"}, {"working_hours": "18:00-08:00"}, {"working_hours": "9-5"}} {
			if got, out, _ := e.call(p.admin, "PATCH", org, obj{"policy": bad}); got != 400 || out.get("fields") == nil {
				t.Errorf("policy %v = %d %v, want 400 with the field", bad, got, out)
			}
		}
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}, "time_zone": "Asia/Tokyo", "working_hours": "09:00-18:00"})
		// Move to the next Wednesday 12:00 in Tokyo (03:00 UTC): within the hours.
		now := e.clock.Now()
		tokyo, _ := time.LoadLocation("Asia/Tokyo")
		local := now.In(tokyo)
		days := (int(time.Wednesday) - int(local.Weekday()) + 7) % 7
		if days == 0 {
			days = 7
		}
		target := time.Date(local.Year(), local.Month(), local.Day()+days, 12, 0, 0, 0, tokyo)
		e.clock.Advance(target.Sub(now))
		ana := p.user(p.admin, org, "ana@acme.example")
		p.assign(p.admin, "acme", "alpha", "user", ana, "admin")
		// 22:00 the same day in Tokyo: outside.
		e.clock.Advance(10 * time.Hour)
		bob := p.user(p.admin, org, "bob@acme.example")
		p.assign(p.admin, "acme", "beta", "user", bob, "admin")
		mb.deliver(t)
		got := mb.subjects("soc@acme.example")
		if !strings.Contains(got, "Admin granted in Beta outside working hours") {
			t.Errorf("a grant at 22:00 in Tokyo did not tell the contacts:\n%s", got)
		}
		if strings.Contains(got, "Alpha outside working hours") {
			t.Errorf("a grant at noon in Tokyo counted as outside working hours:\n%s", got)
		}
	})
}

// TestCustomersReadPartnerStaffAsChosen: a customer's notices and
// announcements name partner staff only as the organization chose (§5).
func TestCustomersReadPartnerStaffAsChosen(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		mb := e.mailbox()
		p.must(p.admin, "PATCH", org, obj{"partner_staff_shown_as": "org"}, 200)
		cuser := p.user(p.admin, org+"/workspaces/alpha", "cuser@alpha.example")
		p.assign(p.admin, "acme", "alpha", "user", cuser, "incident_analyst")
		p.must(p.admin, "POST", org+"/workspaces/alpha/announcements", obj{"title": "Patch night", "body": "x", "ends_at": e.clock.Now().Add(time.Hour)}, 201)
		mb.deliver(t)
		var bodies []string
		for _, m := range mb.to("cuser@alpha.example") {
			bodies = append(bodies, m.Body)
		}
		inbox := e.must(p.key("acme", cuser), "GET", "/v1/me/notifications", nil, 200)
		all := strings.Join(bodies, "\n") + fmt.Sprint(inbox)
		if strings.Contains(all, "admin@acme.example") || strings.Contains(all, "Ada") {
			t.Errorf("a customer read the partner's admin by name or email:\n%s", all)
		}
		// The role's notice reaches the console (access mail is off by default).
		if !strings.Contains(fmt.Sprint(inbox.get("announcements.0.created_by")), "acme Security") || !strings.Contains(inbox.str("items.0.body"), "acme Security") {
			t.Errorf("the customer should read the organization's name: notice %q, announcement by %v", inbox.str("items.0.body"), inbox.get("announcements.0.created_by"))
		}
	})
}
