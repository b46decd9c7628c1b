package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/ldap/ldaptest"
)

// TestConsoleDirectories: an Organization Admin connects a SCIM directory
// from Settings and copies its token, shown once; makes another and
// revokes the first; a person the directory provisions shows where they
// come from on their page, which offers no way to enable them here.
func TestConsoleDirectories(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.visit("/settings/directories")
			b.want("no directory yet", "No directory connected", "Connect a directory")
			b.fill(`#connect-directory input[name=name]`, "Entra provisioning")
			b.press(`#connect-directory button[type=submit]`)
			b.want("the new directory", "SCIM base URL", "/scim/v2", "New token, shown once", "ghs_")
			first := b.text(`#new-token`)
			b.press(`#new-token-form button[type=submit]`)
			b.want("another token", "New token, shown once")
			if second := b.text(`#new-token`); second == first || !strings.HasPrefix(second, "ghs_") {
				t.Fatalf("the second token is %q (the first %q)", second, first)
			}
			b.press(`form[action$="/revoke"] button[type=submit]`)
			b.want("after revoking", "Token revoked.", "directory.token.revoke")

			d := s.m.Directory()
			x, err := d.DirectoryForToken(context.Background(), first)
			if gh.KindOf(err) != gh.KindUnauthenticated {
				t.Fatalf("the revoked first token still finds %v (%v)", x, err)
			}
			o := d.Index().OrgBySlug(demoSlug)
			xd := d.Index().ExternalDirectories(o.ID, func(*gh.ExternalDirectory) bool { return true })[0]
			u, _, err := d.ProvisionUser(context.Background(), directory.DirectoryActor(xd, gh.Source{Via: "test"}), xd,
				directory.ProvisionInput{ExternalID: "e-7", Email: "paula@northwind.example", GivenName: "Paula", Active: false})
			if err != nil {
				t.Fatal(err)
			}
			b.visit("/settings/users/" + string(u.ID))
			b.want("a provisioned user", "Provisioned by", "Entra provisioning", "Enable the user in Entra provisioning")
			b.wantNot("a provisioned user", "Enable user")
		})
	}
}

// TestConsoleLDAPDirectory: a customer's admin connects the customer's
// LDAP server from its workspace's Directories page, previews a sync,
// syncs, and finds its people; when most of them vanish from the server,
// the next sync is held and says so, and the admin releases it.
func TestConsoleLDAPDirectory(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			srv := ldaptest.Start(t)
			var dns []string
			for i := range 12 {
				uid := fmt.Sprintf("c%02d", i)
				srv.AddPerson(t, uid, uid+"@contoso.example", "C", fmt.Sprint(i))
				dns = append(dns, ldaptest.PersonDN(uid))
			}
			srv.AddGroupOfNames(t, "soc", dns[:4]...)
			s := startConsole(t, store(t))
			d := s.m.Directory()
			o := d.Index().OrgBySlug(demoSlug)
			contoso := d.Index().WorkspaceBySlug(o.ID, "contoso")
			it := s.givePassword(t, "it-admin@contoso.example", "contoso")
			c := newBrowser(t, s.url, 1024)
			c.signIn("it-admin@contoso.example", it)
			c.visit("/workspaces/" + string(contoso.ID) + "/directories")
			c.run(chromedp.Click(`#connect-directory input[value=ldap]`, chromedp.ByQuery))
			c.fill(`#connect-directory input[name=name]`, "Contoso AD")
			c.fill(`#connect-directory input[name=url]`, srv.URL)
			c.fill(`#connect-directory input[name=bind_dn]`, ldaptest.AdminDN)
			c.fill(`#connect-directory input[name=bind_password]`, ldaptest.AdminPassword)
			c.fill(`#connect-directory input[name=base_dn]`, ldaptest.BaseDN)
			c.press(`#connect-directory button[type=submit]`)
			c.want("the new LDAP directory", "Directory Contoso AD connected.", "Preview a sync", "Sync now")
			c.press(`#dry-run button[type=submit]`)
			c.want("the preview", "A sync would do this (nothing changed)", "users: 12 created")
			if n := d.Index().UsersIn(o.ID, contoso.ID); n != 2 {
				t.Fatalf("after the preview Contoso has %d users, want its 2", n)
			}
			c.press(`#sync-now button[type=submit]`)
			c.want("the sync", "Synced:", "users: 12 created", "groups: 1 created")
			if n := d.Index().UsersIn(o.ID, contoso.ID); n != 14 {
				t.Fatalf("after the sync Contoso has %d users, want 14", n)
			}

			for _, dn := range dns[:8] {
				srv.Delete(t, dn)
			}
			c.press(`#sync-now button[type=submit]`)
			c.want("the held sync", "held", "Held — it would have done this:", "8 disabled")
			c.press(`#release button[type=submit]`)
			c.want("the released sync", "Synced:", "8 disabled", "directory.sync.release")
		})
	}
}
