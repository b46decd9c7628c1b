package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// TestConsoleNotifications: an Org Admin publishes an announcement to a
// workspace from its page; that workspace's user sees it and the notice of
// a role change, with the unread count in the header, marks them read and
// turns announcement mail on; a user of another workspace sees none of it.
func TestConsoleNotifications(t *testing.T) {
	for name, store := range testStores {
		t.Run(name, func(t *testing.T) {
			s := startConsole(t, store(t))
			d := s.m.Directory()
			x := d.Index()
			org := x.OrgBySlug(demoSlug)
			contoso := x.WorkspaceBySlug(org.ID, "contoso")
			var customer, other *gh.User
			for _, u := range x.Users(org.ID, func(u *gh.User) bool { return u.Workspace != "" && u.Status == gh.StatusActive }) {
				switch {
				case u.Workspace == contoso.ID && customer == nil:
					customer = u
				case u.Workspace != contoso.ID && other == nil:
					other = u
				}
			}
			if customer == nil || other == nil {
				t.Fatal("the demo has no active users in two workspaces")
			}
			pw := s.givePassword(t, customer.Email, "contoso")
			otherWS := x.Workspace(other.Workspace)
			otherPW := s.givePassword(t, other.Email, otherWS.Slug)

			b := newBrowser(t, s.url, 1280)
			b.signIn("admin@northwind.example", s.adminPassword)
			b.visit("/workspaces/" + string(contoso.ID) + "/iam")
			b.press(`main a[href$="/announcements"]`)
			b.want("the announcements page", "No announcements yet.", "Publish an announcement")
			b.fill(`#publish input[name=title]`, "Maintenance <Friday>")
			b.fill(`#publish textarea[name=body]`, "Consoles are read-only\nfrom 18:00 to 20:00.")
			b.fill(`#publish input[name=ends]`, time.Now().UTC().Add(48*time.Hour).Format("2006-01-02T15:04"))
			b.press(`#publish button[type=submit]`)
			b.want("the published announcement", "Announcement Maintenance <Friday> published.", "showing now", "Everyone of Contoso")
			b.fill(`#publish input[name=title]`, "Backwards")
			b.fill(`#publish textarea[name=body]`, "x")
			b.fill(`#publish input[name=ends]`, "2001-01-01T00:00")
			b.press(`#publish button[type=submit]`)
			b.want("the refused form", "Ends at must be after the start")

			// A role change for the customer: a notification of its account.
			if _, _, _, err := d.Assign(context.Background(), directory.SystemActor("test"), directory.Scope{Org: org, Workspace: contoso},
				gh.UserPrincipal(customer.ID), "Content Admin"); err != nil {
				t.Fatal(err)
			}

			c := newBrowser(t, s.url, 1280)
			c.signIn(customer.Email, pw)
			c.visit("/notifications")
			c.want("the customer's notifications", "unread", "Maintenance <Friday>", "Consoles are read-only", "Your role in Contoso", "Waiting for you")
			if got := c.text("#unread"); !regexp.MustCompile(`^[1-9][0-9]* unread$`).MatchString(got) {
				t.Errorf("the header's count = %q, want some unread (the password set, the role)", got)
			}
			c.press(`#read-all button[type=submit]`)
			c.want("all read", "marked read.", "0 unread")
			c.wantNot("the header after reading", "1 unread")
			c.run(chromedp.Click(`#prefs input[name="announcement.email"]`, chromedp.ByQuery))
			c.press(`#prefs button[type=submit]`)
			c.want("saved choices", "Your notification choices are saved.")
			if p, _ := s.m.signin.Notes().Prefs(context.Background(), customer); !p[3].Email || p[3].Category != gh.NoteAnnouncement {
				t.Errorf("announcement preference after the form = %+v, want email on", p[3])
			}

			o := newBrowser(t, s.url, 1280)
			o.signIn(other.Email, otherPW)
			o.visit("/notifications")
			o.wantNot("another workspace's notifications", "Maintenance")
			o.visit("/workspaces/" + string(contoso.ID) + "/announcements")
			o.want("another workspace's announcements page", "Not found")
		})
	}
}
