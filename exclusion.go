package gatehouse

import "strconv"

// ExclusionID identifies an exclusion.
type ExclusionID string

// KindExclusion is the object kind of exclusions in events.
const KindExclusion ObjectKind = "exclusion"

// Exclusion takes capabilities away from a principal in one workspace, or in
// every workspace of the organization. It wins over every grant: whatever a
// role gives, an exclusion that covers the capability leaves nothing.
// Exclusions never grant.
type Exclusion struct {
	ID  ExclusionID `json:"id"`
	Org OrgID       `json:"org_id"`
	// Workspace is where the exclusion holds; empty for every workspace of
	// the organization (Organization Admins only).
	Workspace WorkspaceID `json:"workspace_id,omitempty"`
	// Principal is the user or group excluded; a group's members at any
	// depth are excluded with it. Unset when Email is set.
	Principal *Principal `json:"principal,omitempty"`
	// Email excludes whoever signs in with this address (normalized), so a
	// customer can keep a partner's named analyst out without being able to
	// see the partner's people: the exclusion is accepted whether or not
	// such a person exists.
	Email string `json:"email,omitempty"`
	// Capabilities are those taken away; empty takes away every one.
	Capabilities []Capability `json:"capabilities,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	// SetBy is the authority that set it, which is the one that may lift it.
	SetBy ExclusionAuthority `json:"set_by"`
	Meta
}

// ExclusionAuthority is who stands behind an exclusion.
type ExclusionAuthority string

const (
	// SetByOrganization: the Organization Admins set it and lift it.
	SetByOrganization ExclusionAuthority = "organization"
	// SetByWorkspace: a manager of the workspace set it, acting for the
	// customer; only the workspace's managers lift it.
	SetByWorkspace ExclusionAuthority = "workspace"
)

// Covers reports whether the exclusion takes capability c away.
func (e *Exclusion) Covers(c Capability) bool {
	if len(e.Capabilities) == 0 {
		return true
	}
	for _, x := range e.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Validate reports malformed fields; whether the principal, the workspace
// and the capabilities exist is the directory's to check.
func (e *Exclusion) Validate() error {
	f := Fields{}
	switch {
	case e.Principal != nil && e.Email != "":
		f.Add("principal", "name a principal or an email, not both")
	case e.Principal == nil && e.Email == "":
		f.Add("principal", "is required (or email)")
	case e.Principal != nil && (e.Principal.Type != PrincipalUser && e.Principal.Type != PrincipalGroup || e.Principal.ID == ""):
		f.Add("principal", `must be {"type": "user" or "group", "id": ...}`)
	case e.Email != "":
		if msg := CheckEmail(e.Email); msg != "" {
			f.Add("email", msg)
		}
	}
	seen := map[Capability]bool{}
	for i, c := range e.Capabilities {
		if seen[c] {
			f.Add("capabilities["+strconv.Itoa(i)+"]", "is listed twice")
		}
		seen[c] = true
	}
	checkOptional(f, "reason", e.Reason, 500)
	if e.SetBy != SetByOrganization && e.SetBy != SetByWorkspace {
		f.Add("set_by", `must be "organization" or "workspace"`)
	}
	return f.Err()
}
