package gatehouse

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Capability names one thing a user may do, such as "incidents.close".
type Capability string

// Level is how much of a capability a grant gives. The zero value is no access.
type Level uint8

const (
	LevelNone Level = iota
	LevelLimited
	LevelFull
)

func (l Level) String() string {
	switch l {
	case LevelLimited:
		return "limited"
	case LevelFull:
		return "full"
	}
	return "none"
}

// ParseLevel reads "limited" or "full"; "" means full, the level a check asks for by default.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "full", "":
		return LevelFull, nil
	case "limited":
		return LevelLimited, nil
	}
	return LevelNone, Invalid("invalid_level", "level", `must be "limited" or "full"`)
}

// MarshalText renders the level as its name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText accepts "none", "limited" or "full".
func (l *Level) UnmarshalText(b []byte) error {
	if string(b) == "none" {
		*l = LevelNone
		return nil
	}
	if len(b) == 0 {
		return fmt.Errorf("empty level")
	}
	v, err := ParseLevel(string(b))
	*l = v
	return err
}

// Scope says where a capability applies.
type Scope string

const (
	ScopeWorkspace    Scope = "workspace"
	ScopeOrganization Scope = "organization"
)

// CapabilityInfo describes one capability of the catalogue.
type CapabilityInfo struct {
	ID          Capability `json:"id"`
	Scope       Scope      `json:"scope"`
	Description string     `json:"description"`
	// Custom marks a capability the platform operator added (CustomCapability).
	Custom bool `json:"custom,omitempty"`
}

// Workspace capabilities. The names are the contract with the platform's services.
const (
	CapUsersAdd      Capability = "workspace.users.add"
	CapUsersRemove   Capability = "workspace.users.remove"
	CapRolesAssign   Capability = "workspace.roles.assign"
	CapGroupsAdd     Capability = "workspace.groups.add"
	CapSettingsView  Capability = "workspace.settings.view"
	CapSettingsWrite Capability = "workspace.settings.modify"
)

// AdminCapabilities manage a workspace's people and their access: whoever
// holds one of them, at any level, administers that workspace.
var AdminCapabilities = []Capability{CapUsersAdd, CapUsersRemove, CapRolesAssign, CapGroupsAdd}

// Organization capabilities.
const (
	CapOrgDashboard  Capability = "org.dashboard.view"
	CapOrgSettings   Capability = "org.settings.manage"
	CapOrgWorkspaces Capability = "org.workspaces.manage"
	CapOrgUsers      Capability = "org.users.manage"
	CapOrgGroups     Capability = "org.groups.manage"
	CapOrgAssign     Capability = "org.workspaces.assign"
	CapOrgBilling    Capability = "org.billing.view"
	CapOrgAPIKeys    Capability = "org.apikeys.manage"
	CapOrgSSO        Capability = "org.sso.configure"
)

// The built-in workspace role ids.
const (
	RoleAdmin             RoleID = "admin"
	RoleIncidentResponder RoleID = "incident_responder"
	RoleIncidentAnalyst   RoleID = "incident_analyst"
	RoleDataSourceAdmin   RoleID = "data_source_admin"
	RoleContentAdmin      RoleID = "content_admin"
)

// OrgRole is the organization role of an org user.
type OrgRole string

const (
	OrgRoleAdmin  OrgRole = "admin"
	OrgRoleMember OrgRole = "member"
)

// capabilityRow is one line of the capability matrix: the level each built-in
// role has, in the order admin, responder, analyst, data source admin, content admin.
type capabilityRow struct {
	id     Capability
	levels string // F, L or - per built-in role
	desc   string
}

var workspaceMatrix = []capabilityRow{
	{"incidents.view", "FFFFF", "See the incident list"},
	{"incidents.details.view", "FFFFF", "Open an incident's details"},
	{"incidents.status.update", "FF---", "Change an incident's status"},
	{"incidents.severity.update", "FF---", "Change an incident's severity"},
	{"incidents.assign", "FF---", "Assign an incident to someone"},
	{"incidents.comment", "FFFFF", "Comment on an incident"},
	{"incidents.close", "FF---", "Close an incident"},
	{"incidents.delete", "F----", "Delete an incident"},
	{"gamebooks.run", "FF---", "Run a gamebook"},
	{"gamebooks.create", "FF---", "Create a gamebook"},
	{"response.execute", "FF---", "Execute a response action"},
	{"endpoints.isolate", "FF---", "Isolate an endpoint"},
	{"accounts.disable", "FF---", "Disable an account"},
	{"indicators.block", "FF---", "Block an indicator"},
	{"modules.configure", "F--F-", "Configure modules"},
	{"connectors.manage", "F--F-", "Manage data connectors"},
	{"notifications.configure", "F--F-", "Configure notifications"},
	{"cms.rules.manage", "F---F", "Manage content rules"},
	{"detection.rules.deploy", "F---F", "Deploy detection rules"},
	{"detection.rules.toggle", "F---F", "Turn detection rules on or off"},
	{"detection.autoupdate.configure", "F---F", "Configure detection rule auto-update"},
	{CapUsersAdd, "F----", "Add users to the workspace"},
	{CapUsersRemove, "F----", "Remove users from the workspace"},
	{CapRolesAssign, "F----", "Assign roles in the workspace"},
	{CapGroupsAdd, "F----", "Manage the workspace's groups"},
	{CapSettingsView, "FL-FL", "View workspace settings"},
	{CapSettingsWrite, "F--L-", "Modify workspace settings"},
}

type builtinRoleInfo struct {
	id          RoleID
	name        string
	description string
}

var builtinRoleMeta = []builtinRoleInfo{
	{RoleAdmin, "Admin", "Everything in the workspace, including its users, groups and roles"},
	{RoleIncidentResponder, "Incident Responder", "Investigate and respond to incidents, run gamebooks"},
	{RoleIncidentAnalyst, "Incident Analyst", "Read and comment on incidents"},
	{RoleDataSourceAdmin, "Data Source Admin", "Configure modules, connectors and notifications"},
	{RoleContentAdmin, "Content Admin", "Manage content and detection rules"},
}

var orgCapabilities = []CapabilityInfo{
	{ID: CapOrgDashboard, Scope: ScopeOrganization, Description: "View the organization dashboard"},
	{ID: CapOrgSettings, Scope: ScopeOrganization, Description: "Manage organization settings"},
	{ID: CapOrgWorkspaces, Scope: ScopeOrganization, Description: "Create, suspend and delete workspaces"},
	{ID: CapOrgUsers, Scope: ScopeOrganization, Description: "Manage organization users"},
	{ID: CapOrgGroups, Scope: ScopeOrganization, Description: "Manage organization groups"},
	{ID: CapOrgAssign, Scope: ScopeOrganization, Description: "Assign principals to workspaces"},
	{ID: CapOrgBilling, Scope: ScopeOrganization, Description: "View billing"},
	{ID: CapOrgAPIKeys, Scope: ScopeOrganization, Description: "Manage API keys"},
	{ID: CapOrgSSO, Scope: ScopeOrganization, Description: "Configure single sign-on and provisioning"},
}

// Catalogue is the set of known capabilities and the built-in roles made of them.
type Catalogue struct {
	caps     []CapabilityInfo
	byID     map[Capability]CapabilityInfo
	builtins []*Role
}

// DefaultCatalogue is the catalogue of DESIGN.md §3.
var DefaultCatalogue = newDefaultCatalogue()

func newDefaultCatalogue() *Catalogue {
	c := &Catalogue{byID: map[Capability]CapabilityInfo{}}
	grants := make([]map[Capability]Level, len(builtinRoleMeta))
	for i := range grants {
		grants[i] = map[Capability]Level{}
	}
	for _, row := range workspaceMatrix {
		c.add(CapabilityInfo{ID: row.id, Scope: ScopeWorkspace, Description: row.desc})
		for i, ch := range row.levels {
			switch ch {
			case 'F':
				grants[i][row.id] = LevelFull
			case 'L':
				grants[i][row.id] = LevelLimited
			}
		}
	}
	for _, ci := range orgCapabilities {
		c.add(ci)
	}
	for i, m := range builtinRoleMeta {
		c.builtins = append(c.builtins, &Role{ID: m.id, Name: m.name, Description: m.description,
			Builtin: true, Grants: grants[i]})
	}
	return c
}

func (c *Catalogue) add(ci CapabilityInfo) {
	c.caps = append(c.caps, ci)
	c.byID[ci.ID] = ci
}

// Capabilities lists every capability, workspace ones first, in catalogue order.
func (c *Catalogue) Capabilities() []CapabilityInfo { return c.caps }

// Lookup returns the capability's description and whether it exists.
func (c *Catalogue) Lookup(id Capability) (CapabilityInfo, bool) {
	ci, ok := c.byID[id]
	return ci, ok
}

// BuiltinRoles returns the immutable built-in workspace roles.
func (c *Catalogue) BuiltinRoles() []*Role { return c.builtins }

// OrgRoleGrants returns the organization capabilities an organization role holds.
func (c *Catalogue) OrgRoleGrants(r OrgRole) map[Capability]Level {
	out := map[Capability]Level{}
	for _, ci := range orgCapabilities {
		if r == OrgRoleAdmin || (r == OrgRoleMember && ci.ID == CapOrgDashboard) {
			out[ci.ID] = LevelFull
		}
	}
	return out
}

// SortedCapabilities returns the keys of a grant map in a stable order.
func SortedCapabilities(grants map[Capability]Level) []Capability {
	out := make([]Capability, 0, len(grants))
	for c := range grants {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// MarshalJSON renders the level as a JSON string.
func (l Level) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// UnmarshalJSON reads a level from a JSON string.
func (l *Level) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("level must be a string")
	}
	return l.UnmarshalText([]byte(s))
}
