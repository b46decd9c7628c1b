package gatehouse

import (
	"encoding/json"
	"time"
)

// ObjectKind names a kind of stored object, as it appears in events.
type ObjectKind string

const (
	KindOrg               ObjectKind = "org"
	KindWorkspace         ObjectKind = "workspace"
	KindUser              ObjectKind = "user"
	KindGroup             ObjectKind = "group"
	KindMembership        ObjectKind = "membership"
	KindRole              ObjectKind = "role"
	KindAssignment        ObjectKind = "assignment"
	KindTemplate          ObjectKind = "template"
	KindAPIKey            ObjectKind = "apikey"
	KindCapability        ObjectKind = "capability"
	KindProvider          ObjectKind = "identity_provider"
	KindDomain            ObjectKind = "domain"
	KindExternalDirectory ObjectKind = "external_directory"
)

// Change is one object created (Before empty), updated, or deleted (After empty).
// Before and After are the object's JSON form. A change's objects are the whole
// truth: stores and the access engine apply them without further rules.
type Change struct {
	Kind   ObjectKind      `json:"kind"`
	ID     string          `json:"id"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	// State is the object as its state table keeps it, when that holds what
	// the log must not show (an API key's hash). The writer sets it for the
	// store; the store's feed (EventsAfter) fills it from the state table, so
	// that every node applying the change learns it. Never in the log.
	State json.RawMessage `json:"-"`

	decoded *decoded // see NewChange
}

// Stored is the object the state table keeps for the change: State when set, else After.
func (c *Change) Stored() json.RawMessage {
	if c.State != nil {
		return c.State
	}
	return c.After
}

// ActorType says who made a change.
type ActorType string

const (
	ActorOperator ActorType = "operator"
	ActorUser     ActorType = "user"
	ActorSystem   ActorType = "system"
	// ActorProvider is an identity provider acting at a sign-in: the account
	// it created, the group memberships it set.
	ActorProvider ActorType = "identity_provider"
	// ActorDirectory is a connected directory provisioning its home.
	ActorDirectory ActorType = "directory"
)

// Actor is who made a change: the operator, a user (through one of its keys), or the system.
type Actor struct {
	Type  ActorType `json:"type"`
	User  UserID    `json:"user_id,omitempty"`
	Email string    `json:"email,omitempty"`
	Key   KeyID     `json:"key_id,omitempty"`
	// Provider is the identity provider of an ActorProvider.
	Provider ProviderID `json:"provider_id,omitempty"`
	// Directory is the connected directory of an ActorDirectory.
	Directory ExternalDirectoryID `json:"directory_id,omitempty"`
	// Name is set only in what a customer reads of partner staff: never stored.
	Name string `json:"name,omitempty"`
}

// ID is the id of whoever acted, as the log indexes it: the user, the
// identity provider or the connected directory ("" for the operator and
// the system).
func (a Actor) ID() string {
	switch {
	case a.User != "":
		return string(a.User)
	case a.Directory != "":
		return string(a.Directory)
	}
	return string(a.Provider)
}

// Source is where a change came from.
type Source struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Via       string `json:"via,omitempty"` // api, cli, demo, bench
	// Batch ties the events of one batch of changes together.
	Batch string `json:"batch_id,omitempty"`
}

// Target is the object an event is about.
type Target struct {
	Type ObjectKind `json:"type"`
	ID   string     `json:"id"`
}

// Event is one committed change: the audit record and the feed entry every node applies.
// Revisions are global, gap-free and in commit order; Hash chains each
// organization's events (PrevHash is the hash of the organization's previous event).
type Event struct {
	Revision  Revision    `json:"revision"`
	Org       OrgID       `json:"org_id,omitempty"`
	Workspace WorkspaceID `json:"workspace_id,omitempty"`
	Time      time.Time   `json:"time"`
	Actor     Actor       `json:"actor"`
	Source    Source      `json:"source"`
	Action    string      `json:"action"`
	Target    Target      `json:"target"`
	Changes   []Change    `json:"changes"`
	// Detail says in words what the action alone does not: why a sign-in
	// through an identity provider was refused, say. Admins read it; the
	// person signing in never does.
	Detail   string `json:"detail,omitempty"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash,omitempty"`
}

// MustJSON marshals v, which must be one of this package's plain types.
func MustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("gatehouse: marshal " + err.Error())
	}
	return b
}

// SignInActions are the actions that record a successful sign-in: a
// password (and second factor), a passkey, or an identity provider.
var SignInActions = []string{"login.success", "login.passkey", "login.sso"}

// SignedIn returns the user a successful sign-in event is about. An
// identity provider's sign-in names the provider as its target and the
// user as its actor.
func (e *Event) SignedIn() (UserID, bool) {
	switch e.Action {
	case "login.success", "login.passkey":
		return UserID(e.Target.ID), true
	case "login.sso":
		return e.Actor.User, e.Actor.User != ""
	}
	return "", false
}
