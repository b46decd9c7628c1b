package main

import (
	"testing"
)

// TestConsoleOperatorAnnouncements: the platform operator publishes an
// announcement to everyone from its console; an organization's admin sees
// it among the announcements shown now; the operator withdraws it.
func TestConsoleOperatorAnnouncements(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			op := newBrowser(t, s.url, 1280)
			op.visit("/operator/signin")
			op.fill(`input[name=key]`, s.operator)
			op.press(`#operator-signin button[type=submit]`)
			op.visit("/operator/announcements")
			op.want("the operator's announcements", "No announcements yet.", "Publish an announcement")
			op.fill(`#publish input[name=title]`, "Maintenance window")
			op.fill(`#publish textarea[name=body]`, "The platform restarts on Sunday at 02:00 UTC.")
			op.press(`#publish button[type=submit]`)
			op.want("published", "Announcement Maintenance window published.", "Everyone of every organization", "showing now")

			a := newBrowser(t, s.url, 1280)
			a.signIn("admin@northwind.example", s.adminPassword)
			a.visit("/notifications")
			a.want("the admin's notifications", "Maintenance window", "The platform restarts on Sunday")

			op.press(`#announcement-list form.inline button[type=submit]`)
			op.want("withdrawn", "Announcement withdrawn.", "No announcements yet.")
			a.visit("/notifications")
			a.wantNot("the admin's notifications after withdrawal", "Maintenance window")
		})
	}
}
