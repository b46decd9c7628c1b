package gatehouse

import (
	"regexp"
	"strings"
	"time"
)

// Status is the lifecycle state of an organization, workspace or user.
type Status string

const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended" // organizations and workspaces
	StatusArchived  Status = "archived"  // workspaces
	StatusInvited   Status = "invited"   // users
	StatusDisabled  Status = "disabled"  // users
)

// Meta is what every stored object carries: when it was made and last changed,
// and the revision of its last change, which is also its ETag.
type Meta struct {
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Revision  Revision  `json:"revision"`
}

// Rev returns the revision of the object's last change, which is its ETag.
func (m *Meta) Rev() Revision { return m.Revision }

// Touch stamps the object as changed at revision rev and time now.
func (m *Meta) Touch(rev Revision, now time.Time) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	m.Revision = rev
}

// Org is a security partner's organization.
type Org struct {
	ID     OrgID          `json:"id"`
	Slug   string         `json:"slug"`
	Name   string         `json:"name"`
	Status Status         `json:"status"`
	Policy SecurityPolicy `json:"policy"`
	// StaffShownAs is how partner staff are named to customers (assignment
	// lists, a workspace's audit log); empty means StaffNameEmail.
	StaffShownAs StaffDisplay `json:"partner_staff_shown_as,omitempty"`
	// DefaultGroups are groups of the organization itself that every new
	// organization user joins.
	DefaultGroups []GroupID `json:"default_groups,omitempty"`
	// Seats is how many active users the organization and its workspaces
	// may have together; 0 is unlimited. Set by the platform operator.
	Seats int `json:"seats,omitempty"`
	Meta
}

// StaffDisplay says how an organization's own users and groups are named to
// the users of its workspaces.
type StaffDisplay string

const (
	StaffNameEmail StaffDisplay = "name_email" // "Nina Berg <nina@partner.example>"; groups by name
	StaffName      StaffDisplay = "name"       // "Nina Berg"; groups by name
	StaffOrgOnly   StaffDisplay = "org"        // the organization's name for every user and group
)

// StaffDisplay returns the setting in force.
func (o *Org) StaffDisplay() StaffDisplay {
	if o.StaffShownAs == "" {
		return StaffNameEmail
	}
	return o.StaffShownAs
}

// Workspace is one customer of an organization.
type Workspace struct {
	ID     WorkspaceID `json:"id"`
	Org    OrgID       `json:"org_id"`
	Slug   string      `json:"slug"`
	Name   string      `json:"name"`
	Status Status      `json:"status"`
	// SignIn is the workspace's own password rule for its users.
	SignIn *SignInRule `json:"sign_in,omitempty"`
	// DefaultRole is the role every new user of the workspace is assigned,
	// unless given another when created; empty for none.
	DefaultRole RoleID `json:"default_role,omitempty"`
	// Seats is the workspace's share of the organization's seats; 0 is no
	// share of its own (the organization's limit alone).
	Seats int `json:"seats,omitempty"`
	Meta
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidSlug reports whether s is a slug: lower-case letters, digits and inner hyphens, at most 63.
// Slugs never contain "_", so they can never be mistaken for ids.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Slugify turns a display name into a slug candidate.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimSuffix(s[:63], "-")
	}
	return s
}

// Validate reports missing or malformed fields.
func (o *Org) Validate() error {
	f := Fields{}
	checkName(f, "name", o.Name, 200)
	if !ValidSlug(o.Slug) {
		f.Add("slug", "must be 1-63 lower-case letters, digits or inner hyphens")
	}
	if o.Status != StatusActive && o.Status != StatusSuspended {
		f.Add("status", `must be "active" or "suspended"`)
	}
	switch o.StaffShownAs {
	case "", StaffNameEmail, StaffName, StaffOrgOnly:
	default:
		f.Add("partner_staff_shown_as", `must be "name_email", "name" or "org"`)
	}
	if o.Seats < 0 {
		f.Add("seats", "must be 0 (unlimited) or more")
	}
	if err := o.Policy.Validate(); err != nil {
		for k, v := range AsError(err).Fields {
			f.Add(k, v)
		}
	}
	return f.Err()
}

// Active reports whether the organization may be used.
func (o *Org) Active() bool { return o.Status == StatusActive }

// Validate reports missing or malformed fields.
func (w *Workspace) Validate() error {
	f := Fields{}
	checkName(f, "name", w.Name, 200)
	if !ValidSlug(w.Slug) {
		f.Add("slug", "must be 1-63 lower-case letters, digits or inner hyphens")
	}
	switch w.Status {
	case StatusActive, StatusSuspended, StatusArchived:
	default:
		f.Add("status", `must be "active", "suspended" or "archived"`)
	}
	if w.Seats < 0 {
		f.Add("seats", "must be 0 (no share) or more")
	}
	return f.Err()
}

// Active reports whether the workspace may be used.
func (w *Workspace) Active() bool { return w.Status == StatusActive }
