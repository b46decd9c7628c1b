package console

import (
	"net/http"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/notify"
	"gatehouse.dev/gatehouse/signin"
)

// notifyRoutes registers the signed-in person's notifications and the
// announcement pages of the organization and of each workspace.
func (c *Console) notifyRoutes() {
	c.get("/notifications", c.notifications)
	c.post("/notifications/read", c.readNotifications)
	c.post("/notifications/preferences", c.savePrefs)
	c.get("/settings/announcements", c.announcements)
	c.post("/settings/announcements", c.publish)
	c.post("/settings/announcements/{id}/delete", c.withdraw)
	c.get("/workspaces/{ws}/announcements", c.announcements)
	c.post("/workspaces/{ws}/announcements", c.publish)
	c.post("/workspaces/{ws}/announcements/{id}/delete", c.withdraw)
}

// notificationsPage is the person's tasks, live announcements, notifications and choices.
type notificationsPage struct {
	Tasks    []signin.Task
	Inbox    *notify.Inbox
	Prefs    []gh.NotePref
	Announce string // where this person may publish announcements, if anywhere
}

func (c *Console) notifications(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	var p notificationsPage
	var err error
	if p.Tasks, err = c.signin.Tasks(ctx, v.Me); err != nil {
		return err
	}
	if p.Inbox, err = c.signin.Notes().Inbox(ctx, v.Me, 100); err != nil {
		return err
	}
	if p.Prefs, err = c.signin.Notes().Prefs(ctx, v.Me); err != nil {
		return err
	}
	switch {
	case v.Admin:
		p.Announce = "/settings/announcements"
	case v.Home != nil && c.dir.MayAnnounce(v.actor, v.scope()):
		p.Announce = "/workspaces/" + string(v.Home.ID) + "/announcements"
	}
	v.Section = "notifications"
	v.show("notifications.html", "Notifications", p)
	return nil
}

// readNotifications marks one notification read, or all of them.
func (c *Console) readNotifications(w http.ResponseWriter, r *http.Request, v *view) error {
	var ids []string
	if id := r.PostForm.Get("id"); id != "" {
		ids = []string{id}
	}
	n, err := c.signin.Notes().MarkRead(r.Context(), v.Me, ids)
	if err != nil {
		return err
	}
	return done(w, r, "/notifications", plural(n, "notification", "notifications")+" marked read.")
}

// savePrefs records the choices of the preferences form: a box per category and channel.
func (c *Console) savePrefs(w http.ResponseWriter, r *http.Request, v *view) error {
	prefs := make([]gh.NotePref, 0, len(gh.NoteCategories))
	for _, cat := range gh.NoteCategories {
		k := string(cat)
		prefs = append(prefs, gh.NotePref{Category: cat, Email: r.PostForm.Get(k+".email") == "on", Console: r.PostForm.Get(k+".console") == "on"})
	}
	if _, err := c.signin.Notes().SetPrefs(r.Context(), v.Me, prefs); err != nil {
		return err
	}
	return done(w, r, "/notifications", "Your notification choices are saved.")
}

// announcementsPage is a scope's announcements and the form to publish one.
type announcementsPage struct {
	Base   string // the page's path, which the forms post to
	Items  []announcementRow
	Groups []*gh.Group
	Form   announcementForm
}

type announcementRow struct {
	*gh.Announcement
	Audience string
	Live     bool
}

type announcementForm struct{ Title, Body, Group, Starts, Ends string }

// announceScope is the page's scope: the organization, or the workspace in
// the path; for the platform operator, no organization (everyone).
func (c *Console) announceScope(r *http.Request, v *view) (directory.Scope, string, error) {
	if v.actor.Operator {
		return directory.Scope{}, "/operator/announcements", nil
	}
	if r.PathValue("ws") == "" {
		s, err := orgScope(v)
		return s, "/settings/announcements", err
	}
	s, err := c.dir.Resolve(v.actor, string(v.Org.ID), r.PathValue("ws"))
	return s, "/workspaces/" + r.PathValue("ws") + "/announcements", err
}

func (c *Console) announcements(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showAnnouncements(r, v, announcementForm{Ends: time.Now().UTC().Add(7 * 24 * time.Hour).Format(formTime)})
}

const formTime = "2006-01-02T15:04"

func (c *Console) showAnnouncements(r *http.Request, v *view, form announcementForm) error {
	s, base, err := c.announceScope(r, v)
	if err != nil {
		return err
	}
	var list []*gh.Announcement
	var p announcementsPage
	if s.Org == nil {
		list, err = c.dir.ListEveryone(r.Context(), v.actor)
	} else {
		list, err = c.dir.ListAnnouncements(r.Context(), v.actor, s)
		p.Groups = c.dir.Index().GroupsIn(s.Home(), func(*gh.Group) bool { return true })
	}
	if err != nil {
		return err
	}
	p.Base, p.Form = base, form
	now := c.dir.Now()
	for _, a := range list {
		row := announcementRow{Announcement: a, Live: a.Live(now), Audience: "Everyone of " + scopeName(s)}
		if g := c.dir.Index().Group(a.Group); g != nil {
			row.Audience = "Group " + g.Name
		}
		p.Items = append(p.Items, row)
	}
	switch {
	case s.Org == nil:
		v.Section = "announcements"
	case s.Workspace != nil:
		v.Crumbs = []crumb{{"Workspaces", "/workspaces"}, {s.Workspace.Name, "/workspaces/" + string(s.Workspace.ID) + "/iam"}}
	default:
		v.settings()
	}
	v.show("announcements.html", "Announcements", p)
	return nil
}

func scopeName(s directory.Scope) string {
	switch {
	case s.Org == nil:
		return "every organization"
	case s.Workspace != nil:
		return s.Workspace.Name
	}
	return s.Org.Name
}

// publish publishes the form's announcement; times are UTC.
func (c *Console) publish(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	form := announcementForm{Title: f.Get("title"), Body: f.Get("body"), Group: f.Get("group"), Starts: f.Get("starts"), Ends: f.Get("ends")}
	s, base, err := c.announceScope(r, v)
	if err != nil {
		return err
	}
	in := gh.Announcement{Title: form.Title, Body: strings.ReplaceAll(form.Body, "\r\n", "\n"), Group: gh.GroupID(form.Group)}
	bad := gh.Fields{}
	for _, t := range []struct {
		field, v string
		to       *time.Time
	}{{"starts", form.Starts, &in.StartsAt}, {"ends", form.Ends, &in.EndsAt}} {
		if t.v == "" {
			continue
		}
		parsed, perr := time.Parse(formTime, t.v)
		if perr != nil {
			bad.Add(t.field, "is not a date and time")
		}
		*t.to = parsed
	}
	if err = bad.Err(); err == nil && s.Org == nil {
		_, _, err = c.dir.PublishToEveryone(r.Context(), v.actor, in)
	} else if err == nil {
		_, _, err = c.dir.PublishAnnouncement(r.Context(), v.actor, s, in)
	}
	if err != nil {
		formError(v, err)
		return c.showAnnouncements(r, v, form)
	}
	return done(w, r, base, "Announcement "+gh.CleanName(form.Title)+" published.")
}

func (c *Console) withdraw(w http.ResponseWriter, r *http.Request, v *view) error {
	s, base, err := c.announceScope(r, v)
	if err != nil {
		return err
	}
	if _, err := c.dir.DeleteAnnouncement(r.Context(), v.actor, s, r.PathValue("id")); err != nil {
		return err
	}
	return done(w, r, base, "Announcement withdrawn.")
}
