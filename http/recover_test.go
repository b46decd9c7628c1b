package http_test

import (
	"context"
	"strings"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// The test client calls from 127.0.0.1.
var outsideRanges = []string{"10.0.0.0/8"}

// lockOut sets acme's address ranges to outsideRanges behind the API's back:
// as ranges set before they were checked did, or a proxy seeing another address.
func (p *partner) lockOut() {
	p.t.Helper()
	o := p.dir.Index().OrgBySlug("acme")
	patch := directory.OrgPatch{Policy: directory.PolicyPatch{"allowed_cidrs": gh.MustJSON(outsideRanges)}}
	if _, _, err := p.dir.UpdateOrg(context.Background(), directory.SystemActor("test"), o, patch, 0); err != nil {
		p.t.Fatal(err)
	}
}

// Nobody can set address ranges that shut out the address they call from.
func TestAddressRangesNeverShutOutTheirAuthor(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		before := p.head()
		p.refused(p.admin, "PATCH", org+"/users/"+p.adminID, obj{"allowed_cidrs": outsideRanges}, 400, "would_lock_out")
		out := p.refused(p.admin, "PATCH", org, obj{"policy": obj{"allowed_cidrs": outsideRanges}}, 400, "would_lock_out")
		if !strings.Contains(out.str("detail"), "127.0.0.1") {
			t.Errorf("refusal = %v, want it to name the caller's address", out)
		}
		if p.head() != before {
			t.Errorf("refused range changes moved the revision from %d to %d", before, p.head())
		}
		p.must(p.admin, "GET", org+"/workspaces", nil, 200)

		// Ranges that keep the caller in are fine, and so are another user's.
		p.must(p.admin, "PATCH", org+"/users/"+p.adminID, obj{"allowed_cidrs": []string{"10.0.0.0/8", "127.0.0.0/8"}}, 200)
		p.must(p.admin, "PATCH", org, obj{"policy": obj{"allowed_cidrs": []string{"127.0.0.1/32"}}}, 200)
		ana := p.user(p.admin, org, "ana@acme.example")
		p.must(p.admin, "PATCH", org+"/users/"+ana, obj{"allowed_cidrs": outsideRanges}, 200)
	})
}

// A locked-out organization is opened by the operator's recovery key: for
// an hour, from any address, audited in the organization and announced.
func TestOperatorRecoversALockedOutOrganization(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := newPartner(t, e)
		p.must(p.admin, "POST", org+"/users/"+p.adminID+"/password", obj{"password": pwOne}, 200)
		p.policy(obj{"security_contacts": []string{"soc@acme.example"}, "webhook_url": "https://hooks.acme.example/gatehouse"})
		p.lockOut()
		p.refused(p.admin, "GET", org+"/workspaces", nil, 403, "address_not_allowed")

		// The operator is not the organization's: it can neither change the
		// policy nor make itself a key once the admins sign in on their own.
		p.refused(p.operator, "PATCH", org, obj{"policy": obj{"allowed_cidrs": nil}}, 403, "forbidden")
		p.refused(p.operator, "POST", org+"/users/"+p.adminID+"/keys", obj{"name": "x"}, 403, "bootstrap_over")
		p.refused(p.admin, "POST", org+"/recover", obj{}, 403, "address_not_allowed")

		rec := p.must(p.operator, "POST", org+"/recover", obj{"user": "admin@acme.example"}, 201)
		key := rec.str("key")
		exp, _ := time.Parse(time.RFC3339Nano, rec.str("expires_at"))
		if rec.str("origin") != "operator_recovery" || rec.str("user_id") != p.adminID || exp.Sub(e.clock.Now()) > time.Hour || exp.Sub(e.clock.Now()) < 59*time.Minute {
			t.Errorf("recovery = %v, want an hour's operator_recovery key for the admin", rec)
		}

		// The recovery key works whatever the ranges, so the admin can fix them.
		p.must(key, "GET", org+"/workspaces", nil, 200)
		p.must(key, "PATCH", org, obj{"policy": obj{"allowed_cidrs": nil}}, 200)
		p.must(p.admin, "GET", org+"/workspaces", nil, 200)

		events := p.must(p.admin, "GET", org+"/events?action=org.recover", nil, 200).list("items")
		if len(events) != 1 || obj(events[0].(map[string]any)).str("actor.type") != "operator" {
			t.Errorf("org.recover in the organization's audit log = %v, want one event by the operator", events)
		}
		if m := p.mailTo("soc@acme.example", "security_notice"); m == nil || !strings.Contains(m.str("subject"), "RECOVERY KEY") {
			t.Errorf("the security contact's mail = %v, want a recovery notice", m)
		}
		if m := p.mailTo("https://hooks.acme.example/gatehouse", "webhook"); m == nil || m.str("subject") != "operator_recovery" {
			t.Errorf("the webhook's notice = %v, want operator_recovery", m)
		}

		e.clock.Advance(time.Hour)
		p.refused(key, "GET", org+"/workspaces", nil, 401, "invalid_credentials")
		p.refused(p.admin, "POST", org+"/recover", obj{}, 403, "forbidden")
		p.refused(p.operator, "POST", "/v1/orgs/nowhere/recover", obj{}, 404, "organization_not_found")
	})
}

// The operator hands an organization its first keys, and only while no
// Organization Admin signs in on their own; each is announced.
func TestOperatorKeysOnlyBootstrap(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		for _, own := range []string{"password", "own key"} {
			slug := strings.ReplaceAll(own, " ", "")
			adminID, first := e.org(slug)
			path := "/v1/orgs/" + slug
			if k := e.must(e.operator, "GET", path+"/users/"+adminID+"/keys", nil, 200).list("items"); len(k) != 1 ||
				obj(k[0].(map[string]any)).str("origin") != "operator_bootstrap" {
				t.Errorf("%s: keys after bootstrap = %v, want one operator_bootstrap key", own, k)
			}
			e.must(first, "PATCH", path, obj{"policy": obj{"security_contacts": []string{"soc@" + slug + ".example"}}}, 200)
			second := e.key(slug, adminID) // still bootstrapping: a second key is fine
			var mails []any
			for _, m := range e.must(second, "GET", path+"/mail", nil, 200).list("items") {
				if strings.Contains(obj(m.(map[string]any)).str("subject"), "Platform operator action: apikey.create") {
					mails = append(mails, m)
				}
			}
			if len(mails) != 1 {
				t.Errorf("%s: notices of the operator's second key = %v, want one", own, mails)
			}

			if own == "password" {
				e.must(first, "POST", path+"/users/"+adminID+"/password", obj{"password": pwOne}, 200)
			} else {
				e.must(first, "POST", path+"/users/"+adminID+"/keys", obj{"name": "mine"}, 201)
			}
			before := e.head()
			e.refused(e.operator, "POST", path+"/users/"+adminID+"/keys", obj{"name": "x"}, 403, "bootstrap_over")
			member := e.user(first, path, "member@"+slug+".example")
			e.refused(e.operator, "POST", path+"/users/"+member+"/keys", obj{"name": "x"}, 403, "bootstrap_over")
			if e.head() != before+1 {
				t.Errorf("%s: refused operator keys changed the directory", own)
			}
		}
	})
}
