package http_test

import (
	"context"
	"net/http"
	"testing"

	"gatehouse.dev/gatehouse/ssotest"
)

// TestSSOSAMLSignInAndReplay: a person signs in through samlidp from our
// start URL (SP-initiated, encrypted assertions) and joins the mapped
// group; the same response posted again signs nobody in; an IdP-initiated
// response is refused until the provider allows them.
func TestSSOSAMLSignInAndReplay(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		idp := ssotest.NewIdP(t)
		idp.AddUser("sam", "sam-pw", "sam@partner.example", []string{"soc-analysts", "staff"})
		p := e.addSAML(admin, org, "Partner ADFS", idp, false, nil)
		pid := p.str("id")
		soc := e.create(admin, org+"/groups", obj{"name": "SOC Analysts"})
		e.must(admin, "PATCH", org+"/groups/"+soc, obj{"external": []obj{{"provider_id": pid, "value": "soc-analysts"}}}, 200)

		sb, b := e.ssoBrowser()
		post, err := sb.CaptureSAML(p.str("start_url"), "sam", "sam-pw")
		if err != nil {
			t.Fatalf("sign in at samlidp: %v", err)
		}
		if post.ACS != p.str("acs_url") || post.RelayState == "" {
			t.Fatalf("samlidp posts to %s with RelayState %q, want %s and our state", post.ACS, post.RelayState, p.str("acs_url"))
		}
		resp, err := sb.PostSAML(post.ACS, post.SAMLResponse, post.RelayState)
		if err != nil {
			t.Fatal(err)
		}
		wantSession(t, "the ACS", resp)
		me := b.must("GET", "/v1/me", nil, 200)
		if me.str("user.email") != "sam@partner.example" || me.str("user.identities.0.provider_id") != pid {
			t.Fatalf("/v1/me = %v, want sam linked to %s", me, pid)
		}
		if adds := e.events(admin, org, "group.member.add"); len(adds) != 1 || adds[0].str("target.id") != soc ||
			adds[0].str("actor.type") != "identity_provider" {
			t.Fatalf("group.member.add events = %v, want one into %s by the provider", adds, soc)
		}

		// The same response again, from another browser: refused.
		for _, relay := range []string{post.RelayState, ""} {
			replay := ssotest.NewBrowser(t)
			resp, err = replay.PostSAML(post.ACS, post.SAMLResponse, relay)
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, "the replayed response (RelayState "+relay+")", resp)
		}
		// The round trip was used up by the first post, so the response
		// answers a request we no longer expect.
		e.attempt(admin, org, pid, "login.sso_failure.in_response_to")

		// IdP-initiated: refused, then admitted once the provider allows it.
		in := obj{"type": "saml", "name": "Partner ADFS", "metadata_xml": string(idp.MetadataXML()),
			"attributes": obj{"groups": ssotest.GroupsAttribute}, "jit": true}
		for _, allow := range []bool{false, true} {
			in["allow_idp_initiated"] = allow
			e.must(admin, "PUT", org+"/identity-providers/"+pid, in, 200)
			ib, ibb := e.ssoBrowser()
			post, err := idp.IdPInitiated(ib, p.str("sp_entity_id"), "", "sam", "sam-pw")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ib.PostSAML(post.ACS, post.SAMLResponse, post.RelayState)
			if err != nil {
				t.Fatal(err)
			}
			if !allow {
				wantRefused(t, "an IdP-initiated response", resp)
				if ev := e.attempts(admin, org, pid)[0]; ev.str("action") != "login.sso_failure.in_response_to" {
					t.Errorf("the IdP-initiated refusal = %v, want login.sso_failure.in_response_to", ev)
				}
				continue
			}
			wantSession(t, "an allowed IdP-initiated response", resp)
			if ibb.must("GET", "/v1/me", nil, 200).str("user.email") != "sam@partner.example" {
				t.Errorf("the IdP-initiated session is not sam's")
			}
			// And replayed: refused by the assertion id.
			resp, _ = ssotest.NewBrowser(t).PostSAML(post.ACS, post.SAMLResponse, "")
			wantRefused(t, "a replayed IdP-initiated response", resp)
			e.attempt(admin, org, pid, "login.sso_failure.replay")
		}
	})
}

// TestSSOSAMLMetadataRefresh: a provider set up from the IdP's metadata URL
// follows the IdP's new signing certificate. Right after the IdP rotates
// its key, its answers are refused (the signature is by a key Gatehouse
// does not know); once the metadata is read again, sign-ins work, and the
// change is the system's event.
func TestSSOSAMLMetadataRefresh(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		_, admin := e.org("acme")
		idp := ssotest.NewIdP(t)
		idp.AddUser("sam", "sam-pw", "sam@partner.example", nil)
		p := e.addSAML(admin, org, "Partner ADFS", idp, false, obj{"metadata_xml": "", "metadata_url": idp.MetadataURL()})
		pid := p.str("id")
		signIn := func() *http.Response {
			t.Helper()
			sb, _ := e.ssoBrowser()
			resp, err := sb.SignInSAML(p.str("start_url"), "sam", "sam-pw")
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		wantSession(t, "before the rotation", signIn())
		if n := e.sso.RefreshMetadata(context.Background()); n != 0 {
			t.Fatalf("refresh with nothing new changed %d providers", n)
		}

		idp.RotateKey()
		wantRefused(t, "right after the IdP's new key", signIn())
		e.attempt(admin, org, pid, "login.sso_failure.signature")

		if n := e.sso.RefreshMetadata(context.Background()); n != 1 {
			t.Fatalf("refresh changed %d providers, want 1", n)
		}
		wantSession(t, "after the refresh", signIn())
		ups := e.events(admin, org, "idp.update")
		if len(ups) == 0 || ups[0].str("actor.type") != "system" || ups[0].str("source.via") != "metadata refresh" {
			t.Fatalf("idp.update events = %v, want the refresh's, by the system", ups)
		}
	})
}
