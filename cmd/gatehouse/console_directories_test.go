package main

import (
	"context"
	"strings"
	"testing"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
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
