package gatehouse

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// NoteCategory sorts notifications, so that each person chooses per category
// where they arrive: by email, in the console, both or neither.
type NoteCategory string

const (
	// NoteAccount: something changed the person's own credentials (a
	// password set by an admin, MFA reset, a new key).
	NoteAccount NoteCategory = "account"
	// NoteAccess: a role or group given or taken. Kept apart from account
	// because provisioning and onboarding make many at once: by default they
	// reach the console, not the mailbox.
	NoteAccess NoteCategory = "access"
	// NoteSignIn: a sign-in from a device and network never seen for the person.
	NoteSignIn NoteCategory = "sign_in"
	// NoteAnnouncement: an announcement published to the person.
	NoteAnnouncement NoteCategory = "announcement"
	// NoteSecurity: what administrators are told (escalations, unusual
	// activity, seats); only Org Admins receive it.
	NoteSecurity NoteCategory = "security"
)

// NoteCategories lists the categories in the order screens show them.
var NoteCategories = []NoteCategory{NoteAccount, NoteAccess, NoteSignIn, NoteAnnouncement, NoteSecurity}

// Notification is one message to one person, kept for the console's list.
type Notification struct {
	ID        string       `json:"id"`
	Org       OrgID        `json:"org_id"`
	User      UserID       `json:"user_id"`
	Category  NoteCategory `json:"category"`
	Title     string       `json:"title"`
	Body      string       `json:"body"`
	CreatedAt time.Time    `json:"created_at"`
	ReadAt    *time.Time   `json:"read_at,omitempty"`
}

// NotePref is where one category of notifications reaches one person.
type NotePref struct {
	Category NoteCategory `json:"category"`
	Email    bool         `json:"email"`
	Console  bool         `json:"console"`
}

// DefaultNotePref is the preference of someone who never chose: everything
// in the console; by email what concerns the person's own account and
// sign-ins. Announcements stay in the console, which shows them anyway, and
// administrators' notices go by email to the security contacts, the
// address the organization chose for them, unless an admin asks for a copy.
func DefaultNotePref(c NoteCategory) NotePref {
	return NotePref{Category: c, Email: c == NoteAccount || c == NoteSignIn, Console: true}
}

// Validate reports an unknown category.
func (p *NotePref) Validate() error {
	for _, c := range NoteCategories {
		if p.Category == c {
			return nil
		}
	}
	f := Fields{}
	f.Add("category", "is not one of account, sign_in, announcement, security")
	return f.Err()
}

// KindAnnouncement names announcements in audit events.
const KindAnnouncement ObjectKind = "announcement"

// Announcement is a message published to a set of people for a time. Its
// audience is one of: everyone of the deployment (Org empty: the operator's),
// an organization's own people (Workspace and Group empty), the people who
// work in a workspace, or a group's members.
type Announcement struct {
	ID        string      `json:"id"`
	Org       OrgID       `json:"org_id,omitempty"`
	Workspace WorkspaceID `json:"workspace_id,omitempty"`
	Group     GroupID     `json:"group_id,omitempty"`
	Title     string      `json:"title"`
	Body      string      `json:"body"`
	StartsAt  time.Time   `json:"starts_at"`
	EndsAt    time.Time   `json:"ends_at"`
	CreatedBy string      `json:"created_by"`
	CreatedAt time.Time   `json:"created_at"`
}

// Validate checks the text and the window; the audience is the directory's to check.
func (a *Announcement) Validate() error {
	f := Fields{}
	checkName(f, "title", a.Title, 200)
	switch {
	case strings.TrimSpace(a.Body) == "":
		f.Add("body", "is required")
	case utf8.RuneCountInString(a.Body) > 4000:
		f.Add("body", "is too long (at most 4000 characters)")
	default:
		// Line breaks are the one control a body may hold.
		if msg := checkRunes(strings.NewReplacer("\r\n", "", "\n", "").Replace(a.Body), false); msg != "" {
			f.Add("body", msg)
		}
	}
	switch {
	case a.EndsAt.IsZero():
		f.Add("ends_at", "is required")
	case !a.EndsAt.After(a.StartsAt):
		f.Add("ends_at", "must be after the start")
	case a.EndsAt.Sub(a.StartsAt) > 366*24*time.Hour:
		f.Add("ends_at", "must be within a year of starts_at")
	}
	return f.Err()
}

// Live reports whether the announcement is shown at t.
func (a *Announcement) Live(t time.Time) bool { return !t.Before(a.StartsAt) && t.Before(a.EndsAt) }

// Notice is a notification a change asks for: Title and Body for User,
// delivered where the person chose for Category. The notices of a commit
// are delivered together, in its transaction, once its writes have run:
// everyone's choices are then read at once and the rows written at once.
type Notice struct {
	Org      OrgID
	User     UserID
	Email    string
	Category NoteCategory
	Title    string
	Body     string
	At       time.Time
}

// NoteTx writes notification rows inside a transaction.
type NoteTx interface {
	// PutNotifications keeps notifications for their people's lists.
	PutNotifications(ns []*Notification) error
	PutNotePref(org OrgID, user UserID, p NotePref) error
	// NotePrefs reads the categories a user has chosen for, inside the transaction.
	NotePrefs(user UserID) ([]NotePref, error)
	// NotePrefsOf reads the choices of many users at once; those who never chose are absent.
	NotePrefsOf(users []UserID) (map[UserID][]NotePref, error)
	// MarkNotesRead marks a user's notifications read (all when ids is empty) and returns how many changed.
	MarkNotesRead(user UserID, ids []string, at time.Time) (int, error)
	PutAnnouncement(a *Announcement) error
	// DeleteAnnouncement removes one of org's announcements; KindNotFound when none.
	DeleteAnnouncement(org OrgID, id string) error
	// SeeDevice records that user signed in from device and reports whether
	// it was new, and whether the user had any device before.
	SeeDevice(org OrgID, user UserID, device string, at time.Time) (isNew, hadOthers bool, err error)
}

// Notes reads notification rows.
type Notes interface {
	// Notifications lists a user's newest notifications, and how many are unread.
	Notifications(ctx context.Context, user UserID, limit int) ([]*Notification, int, error)
	// NotePrefs returns the categories a user has chosen for.
	NotePrefs(ctx context.Context, user UserID) ([]NotePref, error)
	// Announcements lists org's announcements and the deployment's (Org
	// empty), newest first; only those not ended at t when live is set.
	Announcements(ctx context.Context, org OrgID, t time.Time, live bool) ([]*Announcement, error)
}
