package gatehouse

import (
	"strings"
	"time"
)

// ExternalDirectoryID identifies a connected directory (SCIM or LDAP).
type ExternalDirectoryID string

// DirectoryType is how a connected directory provisions people.
type DirectoryType string

const (
	DirectorySCIM DirectoryType = "scim" // it pushes changes to our SCIM server
	DirectoryLDAP DirectoryType = "ldap" // we read it on a schedule
)

// What happens to people who disappear from a directory.
const (
	DisappearDisable = "disable"
	DisappearDelete  = "delete"
)

// ExternalDirectory provisions the people and groups of one home, the
// organization's or a workspace's: it creates, changes and removes them
// there and nowhere else. What it manages is read-only to everyone else,
// except that an admin may still disable a managed account at once.
type ExternalDirectory struct {
	ID   ExternalDirectoryID `json:"id"`
	Home                     // org_id, workspace_id: whose people it provisions
	Type DirectoryType       `json:"type"`
	Name string              `json:"name"`
	// Disabled directories change nothing; their tokens are refused.
	Disabled bool `json:"disabled,omitempty"`
	// Held is set when the directory pushed more removals (disables,
	// deletions) in an hour than its threshold: further removals wait for
	// an admin to release them.
	Held bool `json:"held,omitempty"`
	// AdoptExisting lets the directory take over an existing user of its
	// home with the same email; otherwise that email is a conflict.
	AdoptExisting bool `json:"adopt_existing"`
	// OnDisappear is what a sync does to people no longer in the directory:
	// DisappearDisable (the default) or DisappearDelete after DeleteAfterDays.
	OnDisappear     string `json:"on_disappear,omitempty"`
	DeleteAfterDays int    `json:"delete_after_days,omitempty"`
	// RemovalThreshold is how many people one sync, or an hour of SCIM
	// requests, may disable or delete before the rest waits for an admin;
	// 0 takes the default (200, or a tenth of the directory's people once
	// that is over 5).
	RemovalThreshold int           `json:"removal_threshold,omitempty"`
	LDAP             *LDAPSettings `json:"ldap,omitempty"`
	Meta
}

// LDAPSettings are an LDAP or Active Directory server's settings; the bind
// password is sealed in the vault, never here.
type LDAPSettings struct {
	URL         string         `json:"url"`
	StartTLS    bool           `json:"start_tls"`
	BindDN      string         `json:"bind_dn"`
	BaseDN      string         `json:"base_dn"`
	UserFilter  string         `json:"user_filter"`
	GroupFilter string         `json:"group_filter"`
	Attributes  LDAPAttributes `json:"attributes"`
	// IntervalMinutes between scheduled syncs; 0 syncs on demand only.
	IntervalMinutes int `json:"interval_minutes"`
	// PasswordSignIn lets the directory's people sign in with their
	// directory password, checked by an LDAP bind.
	PasswordSignIn bool `json:"password_sign_in"`
}

// LDAPAttributes names the attributes read; empty fields take defaults
// that suit OpenLDAP (inetOrgPerson) and Active Directory alike.
type LDAPAttributes struct {
	ID         string `json:"id,omitempty"`    // a stable id: entryUUID, objectGUID
	Email      string `json:"email,omitempty"` // mail
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	Department string `json:"department,omitempty"`
	JobTitle   string `json:"job_title,omitempty"`
	Disabled   string `json:"disabled,omitempty"` // AD: userAccountControl
}

// Validate reports malformed fields.
func (x *ExternalDirectory) Validate() error {
	f := Fields{}
	checkName(f, "name", x.Name, 200)
	switch x.OnDisappear {
	case "", DisappearDisable:
	case DisappearDelete:
		if x.DeleteAfterDays < 0 || x.DeleteAfterDays > 3650 {
			f.Add("delete_after_days", "must be from 0 to 3650")
		}
	default:
		f.Add("on_disappear", `must be "disable" or "delete"`)
	}
	if x.RemovalThreshold < 0 || x.RemovalThreshold > 1_000_000 {
		f.Add("removal_threshold", "must be from 0 (the default) to 1000000")
	}
	switch x.Type {
	case DirectorySCIM:
		if x.LDAP != nil {
			f.Add("ldap", "is only for LDAP directories")
		}
	case DirectoryLDAP:
		x.checkLDAP(f)
	default:
		f.Add("type", `must be "scim" or "ldap"`)
	}
	return f.Err()
}

func (x *ExternalDirectory) checkLDAP(f Fields) {
	l := x.LDAP
	if l == nil {
		f.Add("ldap", "is required for an LDAP directory")
		return
	}
	if !strings.HasPrefix(l.URL, "ldap://") && !strings.HasPrefix(l.URL, "ldaps://") {
		f.Add("url", "must be an ldap:// or ldaps:// URL")
	}
	if strings.TrimSpace(l.BaseDN) == "" {
		f.Add("base_dn", "is required")
	}
	if l.IntervalMinutes < 0 || l.IntervalMinutes > 7*24*60 {
		f.Add("interval_minutes", "must be from 0 (on demand) to 10080 (a week)")
	}
}

// Managed marks a user or group that a directory provisions: its
// attributes and membership change only through that directory.
type Managed struct {
	Directory ExternalDirectoryID `json:"directory_id"`
	// ExternalID is the directory's own id of the object (SCIM externalId
	// or id; LDAP entryUUID or DN), stable across renames.
	ExternalID string `json:"external_id"`
}

// DirectoryToken is a SCIM client's bearer token: only its hash is kept,
// and several may be valid at once while a client's token is rotated.
type DirectoryToken struct {
	Hash      string              `json:"-"`
	ID        string              `json:"id"`
	Directory ExternalDirectoryID `json:"directory_id"`
	Org       OrgID               `json:"org_id"`
	CreatedAt time.Time           `json:"created_at"`
	ExpiresAt time.Time           `json:"expires_at,omitzero"` // zero: until revoked
}
