package gatehouse

import (
	"context"
	"time"
)

// SyncLater is a store whose Update returns once its transaction is
// committed, before it is on disk; Sync puts every transaction committed
// before the call on disk. A write is acknowledged only after Sync, and the
// next transactions need not wait for it (directory's group commit).
type SyncLater interface {
	Sync() error
}

// Store keeps the truth: state tables and the append-only event log. Stores
// enforce uniqueness and references as a second line of defence; the rules of
// DESIGN §2 are checked by the directory service before a change is appended.
type Store interface {
	// Update runs fn in one write transaction. Writers are serialised (the
	// revision counter is locked first), so fn sees every event committed before
	// it and the events it appends get the next revisions. If fn returns an
	// error nothing is written. A constraint violation is KindConflict.
	Update(ctx context.Context, fn func(Tx) error) error
	// Snapshot returns every object and the revision they reflect, consistently.
	Snapshot(ctx context.Context) (*Snapshot, error)
	// Head returns the last committed revision.
	Head(ctx context.Context) (Revision, error)
	// EventsAfter returns up to limit events with revision > after, in revision order.
	EventsAfter(ctx context.Context, after Revision, limit int) ([]*Event, error)
	// ListEvents returns an organization's audit events, newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
	// VerifyChain re-computes an organization's hash chain.
	VerifyChain(ctx context.Context, org OrgID) (*ChainReport, error)
	// LastSignIns returns when each user of org who ever signed in last did
	// (Event.SignedIn), kept with the log in the same transactions: of the
	// users named, or of every user when users is nil.
	LastSignIns(ctx context.Context, org OrgID, users []UserID) (map[UserID]time.Time, error)
	// SignInCounts counts each user's successful sign-ins (Event.SignedIn)
	// and failed ones (login.failure) at or after since and before until, in
	// org or, when ws is set, in that workspace's events.
	SignInCounts(ctx context.Context, org OrgID, ws WorkspaceID, since, until time.Time) (map[UserID]SignInCount, error)
	Vault
	Close() error
}

// Tx is a write transaction of a Store.
type Tx interface {
	// Next is the revision the next appended event must carry.
	Next() Revision
	// EventsAfter reads committed events inside the transaction, for catching up.
	EventsAfter(after Revision, limit int) ([]*Event, error)
	// Append writes ev's changes to the state tables and ev to the log. ev.Revision
	// must equal Next(); Append fills PrevHash and Hash.
	Append(ev *Event) error
	// Vault writes secrets in the same transaction; they never enter an event.
	Vault() VaultTx
	// AppendAll appends events with consecutive revisions from Next, as
	// Append would one by one, in as few statements as it can.
	AppendAll(evs []*Event) error
	// Savepoint runs fn as a part of the transaction that can fail alone: if
	// fn returns an error, everything it wrote (events, state, vault rows) is
	// undone, Next is as before, and the transaction goes on unspoiled.
	Savepoint(fn func() error) error
}

// Snapshot is the whole directory at one revision.
type Snapshot struct {
	Revision    Revision
	Orgs        []*Org
	Workspaces  []*Workspace
	Users       []*User
	Groups      []*Group
	Memberships []*Membership
	Roles       []*Role
	Assignments []*Assignment
	Templates   []*Template
	Providers   []*IdentityProvider
	Domains     []*Domain
	Directories []*ExternalDirectory
	Keys        []*APIKey
	Exclusions  []*Exclusion
	// Capabilities are the workspace capabilities the operator added.
	Capabilities []*CustomCapability
}

// EventFilter selects audit events. Zero fields do not filter.
type EventFilter struct {
	Org       OrgID       // required; "" selects the deployment's own events (operator actions)
	Workspace WorkspaceID // events about this workspace
	Actor     UserID      // events made by this user
	ActorID   string      // events made by this user, identity provider or directory (Actor.ID)
	Target    string      // events whose target or any change has this id
	Action    string      // exact action ("user.create") or a prefix ending in "." ("user.")
	Since     time.Time   // at or after
	Until     time.Time   // before
	Before    Revision    // cursor: only revisions below this
	Limit     int         // at most this many (the store caps it at 1000)
}

// SignInCount is a user's sign-ins over a period.
type SignInCount struct {
	Successes, Failures int
}

// ChainReport is the result of verifying an organization's hash chain.
type ChainReport struct {
	Org      OrgID    `json:"org_id"`
	Checked  int      `json:"checked"`
	OK       bool     `json:"ok"`
	BrokenAt Revision `json:"broken_at,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// Notifier is a Store that can wake other nodes when events are committed.
type Notifier interface {
	// Listen returns a channel that receives soon after any node commits
	// events; it is closed when ctx ends.
	Listen(ctx context.Context) (<-chan struct{}, error)
}
