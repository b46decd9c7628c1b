package gatehouse

import "strings"

// User is a person: an org user (Home.Workspace empty, with an org role) or a
// workspace user (no org role, no organization capability, ever).
type User struct {
	ID         UserID   `json:"id"`
	Kind       UserKind `json:"kind,omitempty"` // empty for people
	Home                // org_id, workspace_id
	Email      string   `json:"email"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Phone      string   `json:"phone,omitempty"`
	JobTitle   string   `json:"job_title,omitempty"`
	Department string   `json:"department,omitempty"`
	// Phones are the user's typed numbers; Phone above is the single number
	// that directories (SCIM, LDAP) sync, kept for them.
	Phones []Phone `json:"phones,omitempty"`
	// Manager is a user of the same home.
	Manager         UserID          `json:"manager_id,omitempty"`
	Skills          []string        `json:"skills,omitempty"`
	Specializations []string        `json:"specializations,omitempty"`
	Certifications  []Certification `json:"certifications,omitempty"`
	Training        []Training      `json:"training,omitempty"`
	Language        string          `json:"language,omitempty"`  // BCP 47, canonical
	TimeZone        string          `json:"time_zone,omitempty"` // IANA
	// Avatar is the SHA-256 (hex) of the user's picture, kept in the vault
	// as PNG; empty when there is none.
	Avatar  string  `json:"avatar,omitempty"`
	Status  Status  `json:"status"`
	OrgRole OrgRole `json:"org_role,omitempty"`
	// AllowedCIDRs, when set, are the only addresses the user may sign in and work from.
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
	// Identities link the user to its subject at identity providers of its home.
	Identities []FederatedIdentity `json:"identities,omitempty"`
	// Managed is set when a directory provisions the user.
	Managed *Managed `json:"managed,omitempty"`
	Meta
}

// UserKind tells people from service accounts.
type UserKind string

// KindService marks a service account: it has roles like a person but signs
// in only with API keys, never with a password.
const KindService UserKind = "service"

// IsService reports whether u is a service account.
func (u *User) IsService() bool { return u.Kind == KindService }

// Validate reports missing or malformed fields, including an org role on a workspace user.
func (u *User) Validate() error {
	f := Fields{}
	if msg := CheckEmail(u.Email); msg != "" {
		f.Add("email", msg)
	}
	checkName(f, "given_name", u.GivenName, 100)
	checkOptional(f, "family_name", u.FamilyName, 100)
	checkOptional(f, "phone", u.Phone, 40)
	checkOptional(f, "job_title", u.JobTitle, 100)
	checkOptional(f, "department", u.Department, 100)
	u.validateProfile(f)
	switch u.Status {
	case StatusInvited, StatusActive, StatusDisabled:
	default:
		f.Add("status", `must be "invited", "active" or "disabled"`)
	}
	if u.Kind != "" && u.Kind != KindService {
		f.Add("kind", `must be "service" for a service account, or absent for a person`)
	}
	if err := ValidCIDRs(u.AllowedCIDRs); err != "" {
		f.Add("allowed_cidrs", err)
	}
	switch {
	case u.IsOrg() && u.OrgRole != OrgRoleAdmin && u.OrgRole != OrgRoleMember:
		f.Add("org_role", `must be "admin" or "member" for an organization user`)
	case !u.IsOrg() && u.OrgRole != "":
		f.Add("org_role", "workspace users have no organization role")
	}
	return f.Err()
}

// IsOrgAdmin reports whether u is an active Organization Admin.
func (u *User) IsOrgAdmin() bool {
	return u.IsOrg() && u.OrgRole == OrgRoleAdmin && u.Status == StatusActive
}

// DisplayName is the user's name as people read it.
func (u *User) DisplayName() string {
	return strings.TrimSpace(u.GivenName + " " + u.FamilyName)
}
