// Package gatehouse holds the model of the Gatehouse identity and access service.
//
// A deployment holds organizations (security partners); an organization holds
// workspaces (its customers). Every user and group has one home: the
// organization itself or exactly one of its workspaces. Roles are sets of
// capability grants; an assignment binds a user or group to a workspace with a
// role, and a user's effective access in a workspace is the highest level any
// of its assignments (direct or through nested groups) grants.
//
// This package defines the types, their validation, the error kinds and the
// Store interface; it imports nothing else from this module.
package gatehouse

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// OrgID identifies an organization.
type OrgID string

// WorkspaceID identifies a workspace.
type WorkspaceID string

// UserID identifies a user.
type UserID string

// GroupID identifies a group.
type GroupID string

// RoleID identifies a role; built-in roles have fixed ids such as "admin".
type RoleID string

// AssignmentID identifies an assignment.
type AssignmentID string

// TemplateID identifies an onboarding template.
type TemplateID string

// KeyID identifies an API key.
type KeyID string

// Revision is the position of an event in the deployment's gap-free event log.
type Revision int64

// PrincipalType says whether a principal is a user or a group.
type PrincipalType string

const (
	PrincipalUser  PrincipalType = "user"
	PrincipalGroup PrincipalType = "group"
)

// Principal is a user or a group, as referenced by memberships and assignments.
type Principal struct {
	Type PrincipalType `json:"type"`
	ID   string        `json:"id"`
}

// UserPrincipal returns the principal for a user.
func UserPrincipal(id UserID) Principal { return Principal{Type: PrincipalUser, ID: string(id)} }

// GroupPrincipal returns the principal for a group.
func GroupPrincipal(id GroupID) Principal { return Principal{Type: PrincipalGroup, ID: string(id)} }

// String renders the principal as "user:ID" or "group:ID".
func (p Principal) String() string { return string(p.Type) + ":" + p.ID }

// Validate reports a principal whose type or id is missing or unknown.
func (p Principal) Validate() error {
	switch {
	case p.Type != PrincipalUser && p.Type != PrincipalGroup:
		return Invalid("invalid_principal", "principal.type", `must be "user" or "group"`)
	case p.ID == "":
		return Invalid("invalid_principal", "principal.id", "is required")
	}
	return nil
}

// Home is where a user or group lives: the organization (Workspace empty) or one workspace.
type Home struct {
	Org       OrgID       `json:"org_id"`
	Workspace WorkspaceID `json:"workspace_id,omitempty"`
}

// IsOrg reports whether the home is the organization itself.
func (h Home) IsOrg() bool { return h.Workspace == "" }

// idEncoding is lower-case Crockford-like base32 without padding: ids stay URL- and shell-safe.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a fresh id with the given prefix ("usr", "grp", …). The first
// bytes are the creation time in milliseconds so ids sort by creation, which
// keeps cursor pagination in a natural order; the rest is random.
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// HasIDPrefix reports whether s looks like an id made by NewID with prefix.
func HasIDPrefix(s, prefix string) bool { return strings.HasPrefix(s, prefix+"_") }
