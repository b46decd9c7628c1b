package gatehouse

import "strconv"

// Assignment binds one principal to one workspace with one role. There is at
// most one per (principal, workspace).
type Assignment struct {
	ID        AssignmentID `json:"id"`
	Org       OrgID        `json:"org_id"`
	Workspace WorkspaceID  `json:"workspace_id"`
	Principal Principal    `json:"principal"`
	Role      RoleID       `json:"role_id"`
	Meta
}

// Template is an onboarding template: org groups and the role each gets in a workspace.
type Template struct {
	ID          TemplateID      `json:"id"`
	Org         OrgID           `json:"org_id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	AutoApply   bool            `json:"auto_apply"`
	Entries     []TemplateEntry `json:"entries"`
	Meta
}

// TemplateEntry gives one org group one role.
type TemplateEntry struct {
	Group GroupID `json:"group_id"`
	Role  RoleID  `json:"role_id"`
}

// Validate reports missing fields and a group listed twice.
func (t *Template) Validate() error {
	f := Fields{}
	checkName(f, "name", t.Name, 200)
	checkOptional(f, "description", t.Description, 1000)
	seen := map[GroupID]bool{}
	for i, e := range t.Entries {
		field := "entries[" + strconv.Itoa(i) + "]"
		switch {
		case e.Group == "":
			f.Add(field+".group_id", "is required")
		case e.Role == "":
			f.Add(field+".role_id", "is required")
		case seen[e.Group]:
			f.Add(field+".group_id", "is listed twice; a group has one role per workspace")
		}
		seen[e.Group] = true
	}
	return f.Err()
}
