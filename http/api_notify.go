package http

import (
	"net/http"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

type (
	readInput struct {
		IDs []string `json:"ids,omitempty"` // none: every notification
	}
	readAnswer struct {
		Marked int `json:"marked"`
		Unread int `json:"unread"`
	}
	prefList struct {
		Items []gh.NotePref `json:"items"`
	}
	taskList struct {
		Items []signin.Task `json:"items"`
	}
	announcementInput struct {
		Title    string     `json:"title"`
		Body     string     `json:"body"`
		Group    gh.GroupID `json:"group_id,omitempty"` // one group of the scope's home; none: the scope's people
		StartsAt time.Time  `json:"starts_at,omitzero"` // none: now
		EndsAt   time.Time  `json:"ends_at"`
	}
	announcementList struct {
		Items []*gh.Announcement `json:"items"`
	}
	announcementCreated struct {
		*gh.Announcement
		Revision gh.Revision `json:"revision"`
	}
)

func (in announcementInput) announcement() gh.Announcement {
	return gh.Announcement{Title: in.Title, Body: in.Body, Group: in.Group, StartsAt: in.StartsAt, EndsAt: in.EndsAt}
}

// registerNotify adds the signed-in person's notifications, preferences and
// tasks, and announcements in every scope.
func (s *Server) registerNotify() {
	s.handle("GET", "/v1/me/notifications", s.mine(s.myNotifications))
	s.handle("POST", "/v1/me/notifications/read", s.mine(s.readNotifications))
	s.handle("GET", "/v1/me/notification-preferences", s.mine(s.myPrefs))
	s.handle("PUT", "/v1/me/notification-preferences", s.mine(s.setPrefs))
	s.handle("GET", "/v1/me/tasks", s.mine(s.myTasks))
	s.both("GET", "/announcements", s.inScope(s.listAnnouncements))
	s.both("POST", "/announcements", s.inScope(s.publishAnnouncement))
	s.both("DELETE", "/announcements/{id}", s.inScope(s.deleteAnnouncement))
	s.handle("GET", "/v1/announcements", unscoped(s.listAnnouncements))
	s.handle("POST", "/v1/announcements", unscoped(s.publishAnnouncement))
	s.handle("DELETE", "/v1/announcements/{id}", unscoped(s.deleteAnnouncement))
}

func (s *Server) myNotifications(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	in, err := s.signin.Notes().Inbox(r.Context(), a.User, 100)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in readInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	n, err := s.signin.Notes().MarkRead(r.Context(), a.User, in.IDs)
	if err != nil {
		return err
	}
	left, err := s.signin.Notes().Unread(r.Context(), a.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, readAnswer{Marked: n, Unread: left})
	return nil
}

func (s *Server) myPrefs(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	prefs, err := s.signin.Notes().Prefs(r.Context(), a.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, prefList{Items: prefs})
	return nil
}

func (s *Server) setPrefs(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in prefList
	if err := decode(w, r, &in); err != nil {
		return err
	}
	prefs, err := s.signin.Notes().SetPrefs(r.Context(), a.User, in.Items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, prefList{Items: prefs})
	return nil
}

func (s *Server) myTasks(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	tasks, err := s.signin.Tasks(r.Context(), a.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, taskList{Items: tasks})
	return nil
}

// listAnnouncements lists a scope's announcements, or the operator's when
// the path names no organization.
func (s *Server) listAnnouncements(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	var list []*gh.Announcement
	var err error
	if sc.Org == nil {
		list, err = s.dir.ListEveryone(r.Context(), a)
	} else {
		list, err = s.dir.ListAnnouncements(r.Context(), a, sc)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, announcementList{Items: list})
	return nil
}

func (s *Server) publishAnnouncement(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	var in announcementInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var ann *gh.Announcement
	var rev gh.Revision
	var err error
	if sc.Org == nil {
		if in.Group != "" {
			return gh.Invalid("invalid_input", "group_id", "the operator announces to everyone; a group belongs to one organization")
		}
		ann, rev, err = s.dir.PublishToEveryone(r.Context(), a, in.announcement())
	} else {
		ann, rev, err = s.dir.PublishAnnouncement(r.Context(), a, sc, in.announcement())
	}
	if err != nil {
		return err
	}
	writeObject(w, http.StatusCreated, rev, announcementCreated{ann, rev})
	return nil
}

func (s *Server) deleteAnnouncement(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	rev, err := s.dir.DeleteAnnouncement(r.Context(), a, sc, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, revisionBody{rev})
	return nil
}
