package gatehouse

// MaxGroupDepth bounds nesting: a chain of groups inside groups is at most this long.
const MaxGroupDepth = 16

// Group is a set of users and groups with the same home as the group.
type Group struct {
	ID          GroupID `json:"id"`
	Home                // org_id, workspace_id
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	// External are the provider groups whose members this group follows:
	// at each sign-in through that provider, membership is set to what it asserted.
	External []ExternalGroup `json:"external,omitempty"`
	// Managed is set when a directory provisions the group.
	Managed *Managed `json:"managed,omitempty"`
	// Rule, when set, makes every user of the group's home that satisfies it
	// a member too, for as long as it does (package rules).
	Rule string `json:"rule,omitempty"`
	Meta
}

// Validate reports missing or malformed fields.
func (g *Group) Validate() error {
	f := Fields{}
	checkName(f, "name", g.Name, 200)
	checkOptional(f, "description", g.Description, 1000)
	return f.Err()
}

// Membership says Member is directly inside Group.
type Membership struct {
	Org    OrgID     `json:"org_id"`
	Group  GroupID   `json:"group_id"`
	Member Principal `json:"member"`
	Meta
}

// Key identifies a membership.
func (m *Membership) Key() string { return string(m.Group) + "/" + m.Member.String() }
