// Package ldap provisions the users and groups of a connected LDAP or
// Active Directory server: Sync reads the server and makes the directory's
// home match it, in one batch of the directory's own events.
package ldap

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Options tune a sync.
type Options struct {
	// DryRun computes and reports the changes, then undoes them all.
	DryRun bool
	// Hold, when set, sees the changes before they are kept: an error
	// undoes them all and Sync returns it with the report.
	Hold func(*Report) error
	// Now is the clock (time.Now when nil); it times the sync and decides
	// when a disabled user who disappeared is old enough to delete.
	Now func() time.Time
	// Dial opens the connection (goldap.DialURL when nil).
	Dial func(ctx context.Context, url string) (*goldap.Conn, error)
	// TLS is the TLS configuration of ldaps:// and StartTLS (the URL's
	// host verified against the system roots when nil).
	TLS *tls.Config
}

// Counts are what a sync did to one kind of object.
type Counts struct {
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Disabled int `json:"disabled"`
	Deleted  int `json:"deleted"`
	Skipped  int `json:"skipped"` // entries that could not be used
	Failed   int `json:"failed"`  // changes the directory refused
}

// EntryError is an entry a sync skipped or could not apply, and why.
type EntryError struct {
	DN     string `json:"dn"`
	Reason string `json:"reason"`
}

// Report is what a sync did (or, for a dry run, would do).
type Report struct {
	DryRun   bool          `json:"dry_run"`
	Users    Counts        `json:"users"`
	Groups   Counts        `json:"groups"`
	Errors   []EntryError  `json:"errors"`
	Revision gh.Revision   `json:"revision"`
	Duration time.Duration `json:"duration"`
	// Read is the part of Duration spent reading the server.
	Read time.Duration `json:"read"`
}

// Changed reports whether the sync changed anything.
func (r *Report) Changed() bool {
	return r.Users.Created+r.Users.Updated+r.Users.Disabled+r.Users.Deleted+
		r.Groups.Created+r.Groups.Updated+r.Groups.Deleted > 0
}

// Sync reads x's server (bound as its BindDN with bindPassword) and makes
// the users and groups x manages match it, as one all-or-nothing batch of
// x's events: entries new to it are created, changed ones updated, and the
// people gone are disabled or deleted as x.OnDisappear says. An entry that
// cannot be used (no id, no or an invalid email) or that the directory
// refuses is reported and skipped; it never fails the sync. Groups get the
// users in them, nested groups flattened.
//
// Errors: KindInvalid (x is not an LDAP directory, a bad filter),
// KindUnauthenticated (the server refused the bind), KindUnavailable (the
// server cannot be reached or searched), and the directory's own.
func Sync(ctx context.Context, dir *directory.Directory, x *gh.ExternalDirectory, bindPassword string, opts Options) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	if x.Type != gh.DirectoryLDAP || x.LDAP == nil {
		return nil, gh.Invalid("invalid_input", "type", "only an LDAP directory can be synced")
	}
	people, groups, err := read(ctx, x.LDAP, bindPassword, &opts)
	if err != nil {
		return nil, err
	}
	r := &Report{DryRun: opts.DryRun, Errors: []EntryError{}, Read: now().Sub(start)}
	a := directory.DirectoryActor(x, gh.Source{Via: "ldap"})
	s := &syncer{dir: dir, x: x, a: a, r: r, now: start}
	var held error
	r.Revision, err = dir.Batch(ctx, a, gh.NewID("bat"), opts.DryRun, func(ctx context.Context) error {
		users := s.users(ctx, people)
		s.groups(ctx, groups, people, users)
		if opts.Hold != nil {
			held = opts.Hold(r)
			if held != nil {
				return held // undone: the sync waits for an admin
			}
		}
		return ctx.Err()
	})
	if held != nil {
		r.Duration = now().Sub(start)
		return r, held
	}
	if err != nil {
		return nil, err
	}
	r.Duration = now().Sub(start)
	return r, nil
}

// read reads the people and groups of l, over two connections at once: on
// a large directory most of a sync is the server's answer, and the server
// can send groups while we read people.
func read(ctx context.Context, l *gh.LDAPSettings, password string, o *Options) ([]*person, []*group, error) {
	a := attributes(l.Attributes)
	var groups []*group
	gerr := make(chan error, 1)
	go func() {
		c, err := o.conn(ctx, l, password)
		if err == nil {
			defer c.Close()
			groups, err = readGroups(c, l, a)
		}
		gerr <- err
	}()
	c, err := o.conn(ctx, l, password)
	if err != nil {
		<-gerr
		return nil, nil, err
	}
	defer c.Close()
	people, err := readPeople(c, l, a)
	if gErr := <-gerr; err == nil {
		err = gErr
	}
	if err != nil {
		return nil, nil, err
	}
	return people, groups, nil
}

// syncer applies one sync's changes inside its batch.
type syncer struct {
	dir *directory.Directory
	x   *gh.ExternalDirectory
	a   *directory.Actor
	r   *Report
	now time.Time
}

func (s *syncer) report(c *int, dn, reason string) {
	*c++
	s.r.Errors = append(s.r.Errors, EntryError{DN: dn, Reason: reason})
}

// users brings the managed users in line with people and returns who each
// usable entry is, by DN.
func (s *syncer) users(ctx context.Context, people []*person) map[string]gh.UserID {
	managed := s.dir.ProvisionedUsers(s.x, func(*gh.User) bool { return true })
	cur := make(map[string]*gh.User, len(managed))
	for _, u := range managed {
		cur[u.Managed.ExternalID] = u
	}
	seen := map[string]bool{}
	for _, p := range people {
		if p.id != "" && seen[p.id] {
			p.skip = "the same id as another entry: " + p.id
		}
		seen[p.id] = true
	}
	// Those gone first: a deleted user's email is free for a new entry.
	for _, u := range managed {
		if !seen[u.Managed.ExternalID] {
			s.disappeared(ctx, u)
		}
	}
	ids := map[string]gh.UserID{}
	for _, p := range people {
		u := cur[p.id]
		if p.skip != "" {
			s.report(&s.r.Users.Skipped, p.dn, p.skip)
			if u != nil { // kept as it was, in its groups
				ids[p.dn] = u.ID
			}
			continue
		}
		in := p.input()
		if u == nil {
			nu, _, err := s.dir.ProvisionUser(ctx, s.a, s.x, in)
			if err != nil {
				s.report(&s.r.Users.Failed, p.dn, err.Error())
				continue
			}
			s.r.Users.Created++
			ids[p.dn] = nu.ID
			continue
		}
		ids[p.dn] = u.ID
		in.Phone = u.Phone // not read from LDAP: left as it is
		if unchanged(u, in) {
			continue
		}
		if _, _, err := s.dir.UpdateManagedUser(ctx, s.a, s.x, u.ID, in); err != nil {
			s.report(&s.r.Users.Failed, p.dn, err.Error())
			continue
		}
		if !in.Active && u.Status != gh.StatusDisabled {
			s.r.Users.Disabled++ // disabled on the server (AD's userAccountControl)
		} else {
			s.r.Users.Updated++
		}
	}
	return ids
}

func (p *person) input() directory.ProvisionInput {
	return directory.ProvisionInput{ExternalID: p.id, Email: p.email, GivenName: p.given, FamilyName: p.sn,
		JobTitle: p.title, Department: p.department, Active: !p.disabled}
}

// unchanged reports whether in would leave u as it is, so that a sync with
// nothing new writes nothing.
func unchanged(u *gh.User, in directory.ProvisionInput) bool {
	status := gh.StatusActive
	switch {
	case !in.Active:
		status = gh.StatusDisabled
	case u.Status == gh.StatusInvited:
		status = gh.StatusInvited
	}
	return u.Status == status && u.Email == gh.CanonicalEmail(in.Email) &&
		u.GivenName == gh.CleanName(in.GivenName) && u.FamilyName == gh.CleanName(in.FamilyName) &&
		u.JobTitle == gh.CleanName(in.JobTitle) && u.Department == gh.CleanName(in.Department)
}

// disappeared disables u, gone from the server, or deletes it when x says
// so: at once, or once it has stayed disabled DeleteAfterDays (its last
// change, the disabling, tells since when).
func (s *syncer) disappeared(ctx context.Context, u *gh.User) {
	dn := "(gone) " + u.Email
	if s.x.OnDisappear == gh.DisappearDelete && (s.x.DeleteAfterDays == 0 ||
		u.Status == gh.StatusDisabled && !s.now.Before(u.UpdatedAt.AddDate(0, 0, s.x.DeleteAfterDays))) {
		if _, err := s.dir.DeleteManagedUser(ctx, s.a, s.x, u.ID); err != nil {
			s.report(&s.r.Users.Failed, dn, err.Error())
			return
		}
		s.r.Users.Deleted++
		return
	}
	if u.Status == gh.StatusDisabled {
		return
	}
	in := directory.ProvisionInput{ExternalID: u.Managed.ExternalID, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName,
		Phone: u.Phone, JobTitle: u.JobTitle, Department: u.Department}
	if _, _, err := s.dir.UpdateManagedUser(ctx, s.a, s.x, u.ID, in); err != nil {
		s.report(&s.r.Users.Failed, dn, err.Error())
		return
	}
	s.r.Users.Disabled++
}

// groups brings the managed groups in line with groups: names and users,
// nested groups flattened.
func (s *syncer) groups(ctx context.Context, groups []*group, people []*person, users map[string]gh.UserID) {
	managed := s.dir.ProvisionedGroups(s.x, func(*gh.Group) bool { return true })
	cur := make(map[string]*gh.Group, len(managed))
	for _, g := range managed {
		cur[g.Managed.ExternalID] = g
	}
	seen := map[string]bool{}
	for _, g := range groups {
		switch {
		case seen[g.id]:
			s.report(&s.r.Groups.Skipped, g.dn, "the same id as another entry: "+g.id)
			g.id = ""
		case strings.TrimSpace(g.name) == "":
			s.report(&s.r.Groups.Skipped, g.dn, "no name (cn)")
			seen[g.id], g.id = true, "" // kept as it was
		default:
			seen[g.id] = true
		}
	}
	for _, g := range managed { // gone first: their names are free for new groups
		if !seen[g.Managed.ExternalID] {
			if _, err := s.dir.DeleteManagedGroup(ctx, s.a, s.x, g.ID); err != nil {
				s.report(&s.r.Groups.Failed, g.Name, err.Error())
				continue
			}
			s.r.Groups.Deleted++
		}
	}
	members := flatten(groups, people, users)
	for i, g := range groups {
		if g.id != "" {
			s.group(ctx, g, cur[g.id], members[i])
		}
	}
}

// group creates or updates one group to have want as its users.
func (s *syncer) group(ctx context.Context, g *group, cur *gh.Group, want []gh.UserID) {
	if cur == nil {
		if _, _, err := s.dir.ProvisionGroup(ctx, s.a, s.x, g.id, g.name, want); err != nil {
			s.report(&s.r.Groups.Failed, g.dn, err.Error())
			return
		}
		s.r.Groups.Created++
		return
	}
	var ch directory.GroupChange
	if cur.Name != gh.CleanName(g.name) {
		ch.Name = &g.name
	}
	if !slices.Equal(s.userMembers(cur.ID), want) {
		ch.Replace = &want
	}
	if ch.Name == nil && ch.Replace == nil {
		return
	}
	if _, _, err := s.dir.UpdateManagedGroup(ctx, s.a, s.x, cur.ID, ch); err != nil {
		s.report(&s.r.Groups.Failed, g.dn, err.Error())
		return
	}
	s.r.Groups.Updated++
}

// userMembers are g's direct user members, sorted.
func (s *syncer) userMembers(g gh.GroupID) []gh.UserID {
	var out []gh.UserID
	for _, m := range s.dir.Index().Members(g) {
		if m.Member.Type == gh.PrincipalUser {
			out = append(out, gh.UserID(m.Member.ID))
		}
	}
	slices.Sort(out)
	return out
}

// Summary says what a sync did in one line, with its first errors.
func (r *Report) Summary() string {
	s := fmt.Sprintf("users: %d created, %d updated, %d disabled, %d deleted, %d skipped, %d failed; groups: %d created, %d updated, %d deleted, %d failed; %s",
		r.Users.Created, r.Users.Updated, r.Users.Disabled, r.Users.Deleted, r.Users.Skipped, r.Users.Failed,
		r.Groups.Created, r.Groups.Updated, r.Groups.Deleted, r.Groups.Failed, r.Duration.Round(time.Millisecond))
	for i, e := range r.Errors {
		if i == 5 {
			s += fmt.Sprintf("; and %d more", len(r.Errors)-5)
			break
		}
		s += "; " + e.DN + ": " + e.Reason
	}
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}
