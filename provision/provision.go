// Package provision connects directories to a home: it keeps their
// settings and sealed secrets, mints SCIM tokens, and runs LDAP syncs on
// demand and on each directory's schedule. The protocols live in packages
// of their own (scim, ldap); the rules of what a directory may change live
// in the directory package.
package provision

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/ldap"
)

// Config is what the service needs beyond the directory.
type Config struct {
	PublicURL string
	Sealer    auth.Sealer
	// LDAP are the connection options of every sync (TLS roots, a dialer).
	LDAP ldap.Options
}

// Service manages connected directories.
type Service struct {
	dir *directory.Directory
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	running  map[gh.ExternalDirectoryID]bool // one sync at a time per directory, on this node
	lastSync map[gh.ExternalDirectoryID]time.Time
	// held is what each held directory's last held sync would have done:
	// a scheduled sync held again for the same reason is not announced again.
	held map[gh.ExternalDirectoryID]string
}

// New returns the service.
func New(dir *directory.Directory, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{dir: dir, cfg: cfg, log: log, running: map[gh.ExternalDirectoryID]bool{},
		lastSync: map[gh.ExternalDirectoryID]time.Time{}, held: map[gh.ExternalDirectoryID]string{}}
}

// Input connects or changes a directory. SCIM directories take a name;
// LDAP ones the server's settings, whose bind password is sealed (kept
// when empty on a change).
type Input struct {
	Type             gh.DirectoryType  `json:"type"`
	Name             string            `json:"name"`
	Disabled         bool              `json:"disabled"`
	AdoptExisting    bool              `json:"adopt_existing"`
	OnDisappear      string            `json:"on_disappear,omitempty"`
	DeleteAfterDays  int               `json:"delete_after_days,omitempty"`
	RemovalThreshold int               `json:"removal_threshold,omitempty"`
	URL              string            `json:"url,omitempty"`
	StartTLS         bool              `json:"start_tls,omitempty"`
	BindDN           string            `json:"bind_dn,omitempty"`
	BindPassword     string            `json:"bind_password,omitempty"`
	BaseDN           string            `json:"base_dn,omitempty"`
	UserFilter       string            `json:"user_filter,omitempty"`
	GroupFilter      string            `json:"group_filter,omitempty"`
	Attributes       gh.LDAPAttributes `json:"attributes"`
	IntervalMinutes  int               `json:"interval_minutes,omitempty"`
	PasswordSignIn   bool              `json:"password_sign_in,omitempty"`
}

// View is a directory as its admins read it; Token only in the answer
// that made it.
type View struct {
	*gh.ExternalDirectory
	SCIMBaseURL string `json:"scim_base_url,omitempty"`
	Token       string `json:"token,omitempty"`
	TokenID     string `json:"token_id,omitempty"`
}

// View returns x as its admins read it.
func (s *Service) View(x *gh.ExternalDirectory) *View {
	v := &View{ExternalDirectory: x}
	if x.Type == gh.DirectorySCIM {
		v.SCIMBaseURL = s.cfg.PublicURL + "/scim/v2"
	}
	return v
}

func (in Input) directory(id gh.ExternalDirectoryID) *gh.ExternalDirectory {
	x := &gh.ExternalDirectory{ID: id, Type: in.Type, Name: in.Name, Disabled: in.Disabled, AdoptExisting: in.AdoptExisting,
		OnDisappear: in.OnDisappear, DeleteAfterDays: in.DeleteAfterDays, RemovalThreshold: in.RemovalThreshold}
	if in.Type == gh.DirectoryLDAP {
		x.LDAP = &gh.LDAPSettings{URL: strings.TrimSpace(in.URL), StartTLS: in.StartTLS, BindDN: in.BindDN, BaseDN: in.BaseDN,
			UserFilter: in.UserFilter, GroupFilter: in.GroupFilter, Attributes: in.Attributes,
			IntervalMinutes: in.IntervalMinutes, PasswordSignIn: in.PasswordSignIn}
	}
	return x
}

// secrets are a directory's sealed material.
type secrets struct {
	BindPassword string `json:"bind_password,omitempty"`
}

func (s *Service) seal(in Input) string {
	if in.BindPassword == "" {
		return ""
	}
	b, _ := json.Marshal(secrets{BindPassword: in.BindPassword})
	return s.cfg.Sealer.Seal(string(b))
}

// Create connects a directory to the scope's home; a SCIM directory's
// first token comes with the answer, shown once.
func (s *Service) Create(ctx context.Context, a *directory.Actor, sc directory.Scope, in Input) (*View, gh.Revision, error) {
	x := in.directory(gh.ExternalDirectoryID(gh.NewID("dir")))
	rev, err := s.dir.CreateExternalDirectory(ctx, a, sc, x, s.seal(in))
	if err != nil {
		return nil, 0, err
	}
	v := s.View(x)
	if x.Type == gh.DirectorySCIM {
		t, secret, r, err := s.dir.NewDirectoryToken(ctx, a, sc, x.ID)
		if err != nil {
			return nil, 0, err
		}
		v.Token, v.TokenID, rev = secret.Reveal(), t.ID, r
	}
	return v, rev, nil
}

// Replace changes a directory's settings.
func (s *Service) Replace(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ExternalDirectoryID, in Input, ifMatch gh.Revision) (*View, gh.Revision, error) {
	x := in.directory(id)
	rev, err := s.dir.ReplaceExternalDirectory(ctx, a, sc, x, s.seal(in), ifMatch)
	if err != nil {
		return nil, 0, err
	}
	return s.View(x), rev, nil
}

// SyncNow runs an LDAP directory's sync, or its dry run. A sync that
// would disable or delete more people than the directory's threshold is
// held: nothing changes and the admins are told, until an admin releases
// it (release) once they know why so many leave.
func (s *Service) SyncNow(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ExternalDirectoryID, dryRun, release bool) (*ldap.Report, error) {
	x, err := s.dir.GetExternalDirectory(a, sc, id)
	if err != nil {
		return nil, err
	}
	if release {
		if err := s.dir.RequireManageDirectories(a, sc); err != nil {
			return nil, err
		}
	}
	return s.sync(ctx, x, dryRun, release)
}

func (s *Service) sync(ctx context.Context, x *gh.ExternalDirectory, dryRun, release bool) (*ldap.Report, error) {
	if x.Type != gh.DirectoryLDAP {
		return nil, gh.Invalid("invalid_input", "type", "only LDAP directories are synced; SCIM clients push their changes")
	}
	if x.Disabled {
		return nil, gh.Errorf(gh.KindConflict, "directory_disabled", "the directory is disabled; enable it to sync")
	}
	if !s.claim(x.ID) {
		return nil, gh.Errorf(gh.KindConflict, "sync_running", "a sync of this directory is running; try again when it ends")
	}
	defer s.release(x.ID)
	pw, err := s.bindPassword(ctx, x.ID)
	if err != nil {
		return nil, err
	}
	opts := s.cfg.LDAP
	opts.DryRun = dryRun
	if !release && !dryRun {
		opts.Hold = s.threshold(x)
	}
	rep, err := ldap.Sync(ctx, s.dir, x, pw, opts)
	switch {
	case err != nil && rep != nil: // held
		if s.heldAgain(x.ID, rep) {
			return rep, err
		}
		s.record(ctx, x, "directory.sync.held", err.Error()+" Would have done: "+rep.Summary())
		return rep, err
	case err != nil:
		s.log.Warn("LDAP sync failed", "directory", x.ID, "err", err)
		if gh.KindOf(err) == gh.KindUnauthenticated {
			// The directory's settings are wrong, not the caller's credentials:
			// a 401 would read as the admin's own sign-in failing.
			return nil, gh.Errorf(gh.KindConflict, "ldap_bind_refused", "%s; correct the bind DN or password in the directory's settings", gh.AsError(err).Message)
		}
		return nil, err
	case !dryRun:
		s.mu.Lock()
		delete(s.held, x.ID)
		s.mu.Unlock()
	}
	if !dryRun && (rep.Changed() || release || len(rep.Errors) > 0) {
		action := "directory.sync"
		if release {
			action = "directory.sync.release"
		}
		s.record(ctx, x, action, rep.Summary())
	}
	return rep, nil
}

// heldAgain reports whether x was held before for the same changes, and
// remembers these: the admins were told already.
func (s *Service) heldAgain(id gh.ExternalDirectoryID, r *ldap.Report) bool {
	what := fmt.Sprint(r.Users, r.Groups)
	s.mu.Lock()
	defer s.mu.Unlock()
	same := s.held[id] == what
	s.held[id] = what
	return same
}

// Threshold is how many people one sync may disable or delete before it is
// held for an admin (directory.RemovalThreshold).
func Threshold(managed int) int { return directory.RemovalThreshold(managed) }

func (s *Service) threshold(x *gh.ExternalDirectory) func(*ldap.Report) error {
	limit := s.dir.RemovalLimit(x)
	return func(r *ldap.Report) error {
		if n := r.Users.Disabled + r.Users.Deleted; n > limit {
			return gh.Errorf(gh.KindConflict, "sync_held",
				"the sync would disable or delete %d people, more than the directory's threshold of %d; it was held and nothing changed. Check the directory, then sync again with release to apply it.", n, limit)
		}
		return nil
	}
}

func (s *Service) claim(id gh.ExternalDirectoryID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Service) release(id gh.ExternalDirectoryID) {
	s.mu.Lock()
	delete(s.running, id)
	s.lastSync[id] = time.Now()
	s.mu.Unlock()
}

func (s *Service) bindPassword(ctx context.Context, id gh.ExternalDirectoryID) (string, error) {
	sealed, err := s.dir.Store().ProviderSecret(ctx, gh.ProviderID(id))
	if gh.KindOf(err) == gh.KindNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	plain, err := s.cfg.Sealer.Open(sealed)
	if err != nil {
		return "", err
	}
	var sec secrets
	if err := json.Unmarshal([]byte(plain), &sec); err != nil {
		return "", gh.Internal(err)
	}
	return sec.BindPassword, nil
}

// CheckPassword checks u's password by an LDAP bind, when u is managed by
// an enabled LDAP directory that allows password sign-in; checked is false
// otherwise, and the caller checks the password its own way. A password is
// right (ok) only when the directory's entry of u's email is the entry u
// was made of.
//
// Errors: KindUnavailable (directory_unavailable: the server did not
// answer; the details are logged), and the vault's.
func (s *Service) CheckPassword(ctx context.Context, u *gh.User, password string) (checked, ok bool, err error) {
	if u.Managed == nil {
		return false, false, nil
	}
	x := s.dir.Index().ExternalDirectory(u.Managed.Directory)
	if x == nil || x.Disabled || x.Type != gh.DirectoryLDAP || x.LDAP == nil || !x.LDAP.PasswordSignIn {
		return false, false, nil
	}
	pw, err := s.bindPassword(ctx, x.ID)
	if err != nil {
		return true, false, err
	}
	id, err := ldap.Bind(ctx, x, pw, u.Email, password, s.cfg.LDAP)
	switch gh.KindOf(err) {
	case gh.KindUnauthenticated, gh.KindForbidden:
		return true, false, nil
	}
	if err != nil {
		// The caller is not signed in: the server's address and error go to the log only.
		s.log.Warn("LDAP password check", "directory", x.ID, "user_id", u.ID, "err", err)
		return true, false, gh.Errorf(gh.KindUnavailable, "directory_unavailable", "the directory that checks this password did not answer; try again later")
	}
	return true, id == u.Managed.ExternalID, nil
}

// record audits a sync's outcome as the directory's event, so admins read
// the last syncs and their errors in the directory's history.
func (s *Service) record(ctx context.Context, x *gh.ExternalDirectory, action, detail string) {
	_, err := s.dir.Change(ctx, directory.DirectoryActor(x, gh.Source{Via: "ldap"}), func(ch *directory.Change) error {
		ev := ch.Record(x.Org, x.Workspace, action, gh.Target{Type: gh.KindExternalDirectory, ID: string(x.ID)})
		if len(detail) > 1000 {
			detail = detail[:1000]
		}
		ev.Detail = detail
		return nil
	})
	if err != nil {
		s.log.Error("record a sync", "directory", x.ID, "err", err)
	}
}

// History lists the last of a directory's own events (syncs, holds,
// tokens, settings) and of the changes it made (a SCIM client's requests,
// a sync's creations and removals), newest first.
func (s *Service) History(ctx context.Context, a *directory.Actor, sc directory.Scope, id gh.ExternalDirectoryID) ([]*gh.Event, error) {
	x, err := s.dir.GetExternalDirectory(a, sc, id)
	if err != nil {
		return nil, err
	}
	own, err := s.dir.Store().ListEvents(ctx, gh.EventFilter{Org: x.Org, Target: string(x.ID), Action: "directory.", Limit: 50})
	if err != nil {
		return nil, err
	}
	// What it changed itself: a SCIM client's last requests, a sync's changes.
	made, err := s.dir.Store().ListEvents(ctx, gh.EventFilter{Org: x.Org, ActorID: string(x.ID), Limit: 50})
	if err != nil {
		return nil, err
	}
	all := append(own, made...)
	slices.SortFunc(all, func(a, b *gh.Event) int { return cmp.Compare(b.Revision, a.Revision) })
	all = slices.CompactFunc(all, func(a, b *gh.Event) bool { return a.Revision == b.Revision })
	if len(all) > 50 {
		all = all[:50]
	}
	return all, nil
}

// Run syncs every enabled LDAP directory whose interval has passed, each
// minute, until ctx ends. Nodes each run it; a directory synced by another
// node a moment ago finds nothing to change, which writes nothing.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.due(ctx)
		}
	}
}

func (s *Service) due(ctx context.Context) {
	idx := s.dir.Index()
	for _, o := range idx.Orgs(func(o *gh.Org) bool { return o.Active() }) {
		for _, x := range idx.ExternalDirectories(o.ID, func(x *gh.ExternalDirectory) bool {
			return x.Type == gh.DirectoryLDAP && !x.Disabled && x.LDAP.IntervalMinutes > 0
		}) {
			s.mu.Lock()
			last := s.lastSync[x.ID]
			s.mu.Unlock()
			if time.Since(last) >= time.Duration(x.LDAP.IntervalMinutes)*time.Minute {
				if _, err := s.sync(ctx, x, false, false); err != nil && gh.KindOf(err) != gh.KindConflict {
					s.log.Warn("scheduled LDAP sync", "directory", x.ID, "err", err)
				}
			}
		}
	}
}
