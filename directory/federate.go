package directory

import (
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// Federation is what a sign-in through an identity provider does, or would
// do, to the directory: the account it signs in (found, linked or created)
// and the mapped groups it joins and leaves.
type Federation struct {
	User    *gh.User    `json:"user"`
	Created bool        `json:"created"` // the provider creates the account (JIT)
	Linked  bool        `json:"linked"`  // an existing account is linked to the subject by its email
	Joined  []*gh.Group `json:"joined"`
	Left    []*gh.Group `json:"left"`
	// Unmapped are asserted groups no group of the home refers to: ignored.
	Unmapped []string `json:"unmapped_groups"`
	// GroupsUnknown: the provider did not list the groups (overage), so
	// memberships are left as they are.
	GroupsUnknown bool `json:"groups_unknown"`
}

// ProviderActor is the actor of what a provider's sign-in changes.
func ProviderActor(p *gh.IdentityProvider, src gh.Source) *Actor {
	return &Actor{Provider: p.ID, Source: src}
}

// planFederation decides what an assertion of p means, reading the index
// only. A provider is believed about its own home and nothing else: it
// finds, links and creates users there, and sets membership only in groups
// of that home that name it. That is the whole of federation trust.
func (d *Directory) planFederation(p *gh.IdentityProvider, as *gh.Assertion) (*Federation, error) {
	if err := d.providerUsable(p); err != nil {
		return nil, err
	}
	if strings.TrimSpace(as.Subject) == "" {
		return nil, gh.Reject("malformed", "the answer names no subject")
	}
	f := &Federation{}
	u, err := d.federatedUser(p, as, f)
	if err != nil {
		return nil, err
	}
	f.User = u
	if as.GroupsOverage {
		f.GroupsUnknown = true
		return f, nil
	}
	d.planGroups(p, as, f)
	return f, nil
}

// providerUsable refuses a disabled provider, or one whose home is not active.
func (d *Directory) providerUsable(p *gh.IdentityProvider) error {
	if p.Disabled {
		return gh.Reject("disabled", "the provider is disabled")
	}
	if o := d.idx.Org(p.Org); o == nil || o.Status != gh.StatusActive {
		return gh.Reject("home_inactive", "the organization is not active")
	}
	if !p.IsOrg() {
		if w := d.idx.Workspace(p.Workspace); w == nil || w.Status != gh.StatusActive {
			return gh.Reject("home_inactive", "the workspace is not active")
		}
	}
	return nil
}

// federatedUser finds the account by subject, then by email (linking it),
// or plans a new one when the provider creates accounts.
func (d *Directory) federatedUser(p *gh.IdentityProvider, as *gh.Assertion, f *Federation) (*gh.User, error) {
	if u := d.userBySubject(p, as.Subject); u != nil {
		return admitted(u)
	}
	email := gh.CanonicalEmail(as.Email)
	if email != "" {
		if u := d.idx.UserByEmail(p.Home, email); u != nil {
			if !as.EmailVerified {
				return nil, gh.Reject("email_unverified", "the account "+email+" exists, but the provider does not say the email is verified")
			}
			if linkedTo(u, p.ID) != "" {
				return nil, gh.Reject("subject_mismatch", "the account "+email+" is linked to another subject of this provider")
			}
			f.Linked = true
			return admitted(u)
		}
	}
	if !p.JIT {
		return nil, gh.Reject("no_account", "no account here has this subject or email, and the provider does not create accounts")
	}
	given, family := splitName(as.Name)
	u := UserInput{Email: email, GivenName: given, FamilyName: family}.user(p.Home)
	if msg := gh.CheckEmail(u.Email); msg != "" {
		return nil, gh.Reject("malformed", "the asserted email "+msg)
	}
	if err := u.Validate(); err != nil {
		return nil, gh.Reject("malformed", "the asserted name or email is not usable: "+err.Error())
	}
	u.Identities = []gh.FederatedIdentity{{Provider: p.ID, Subject: as.Subject}}
	f.Created = true
	return u, nil
}

// admitted refuses accounts a provider may not sign in.
func admitted(u *gh.User) (*gh.User, error) {
	switch {
	case u.IsService():
		return nil, gh.Reject("service_account", "service accounts sign in with keys only")
	case u.Status == gh.StatusDisabled:
		return nil, gh.Reject("user_disabled", "the account "+u.Email+" is disabled")
	}
	return u, nil
}

func (d *Directory) userBySubject(p *gh.IdentityProvider, subject string) *gh.User {
	us, _ := d.idx.UsersPage(p.Org, p.Workspace, "", 1, func(u *gh.User) bool {
		return slices.Contains(u.Identities, gh.FederatedIdentity{Provider: p.ID, Subject: subject})
	})
	if len(us) == 1 {
		return us[0]
	}
	return nil
}

func linkedTo(u *gh.User, p gh.ProviderID) string {
	for _, id := range u.Identities {
		if id.Provider == p {
			return id.Subject
		}
	}
	return ""
}

// splitName turns a display name into given and family names.
func splitName(name string) (string, string) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// planGroups sets membership of the home's groups that name p to exactly
// what p asserted; groups that do not name p are never touched.
func (d *Directory) planGroups(p *gh.IdentityProvider, as *gh.Assertion, f *Federation) {
	mapped := map[gh.GroupID]bool{}
	for _, v := range as.Groups {
		gs := d.idx.GroupsIn(p.Home, func(g *gh.Group) bool {
			return slices.ContainsFunc(g.External, func(e gh.ExternalGroup) bool { return e.Matches(p.ID, v) })
		})
		if len(gs) == 0 {
			f.Unmapped = append(f.Unmapped, v)
		}
		for _, g := range gs {
			mapped[g.ID] = true
		}
	}
	current := map[gh.GroupID]bool{}
	if !f.Created {
		for _, id := range d.idx.GroupsOf(gh.UserPrincipal(f.User.ID), false) {
			current[id] = true
		}
	}
	for _, g := range d.idx.GroupsIn(p.Home, func(g *gh.Group) bool { return hasExternalOf(g, p.ID) }) {
		switch {
		case mapped[g.ID] && !current[g.ID]:
			f.Joined = append(f.Joined, g)
		case !mapped[g.ID] && current[g.ID]:
			f.Left = append(f.Left, g)
		}
	}
}

// Federate applies what an assertion of p means, inside c: it creates or
// links the account and sets its mapped memberships, each an event by the
// provider. It returns the plan as applied.
func (c *Change) Federate(p *gh.IdentityProvider, as *gh.Assertion) (*Federation, error) {
	d, w := c.d, c.w
	f, err := d.planFederation(p, as)
	if err != nil {
		return nil, err
	}
	u := f.User
	switch {
	case f.Created:
		ev := w.event(u.Org, u.Workspace, "user.create", gh.KindUser, string(u.ID))
		u.Touch(w.rev(), w.now)
		change(ev, gh.KindUser, string(u.ID), nil, u)
		d.applyDefaults(w, ev, u, nil)
	case linkedTo(u, p.ID) == "" || u.Status == gh.StatusInvited:
		next := *u
		if linkedTo(u, p.ID) == "" {
			next.Identities = append(slices.Clone(u.Identities), gh.FederatedIdentity{Provider: p.ID, Subject: as.Subject})
		}
		next.Status = gh.StatusActive // an invitation is answered by signing in
		ev := w.event(u.Org, u.Workspace, "user.link", gh.KindUser, string(u.ID))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindUser, string(u.ID), u, &next)
		f.User = &next
	}
	for _, g := range f.Joined {
		m := &gh.Membership{Org: g.Org, Group: g.ID, Member: gh.UserPrincipal(u.ID)}
		ev := w.event(g.Org, g.Workspace, "group.member.add", gh.KindGroup, string(g.ID))
		m.Touch(w.rev(), w.now)
		change(ev, gh.KindMembership, m.Key(), nil, m)
	}
	for _, g := range f.Left {
		if m := d.idx.Membership(g.ID, gh.UserPrincipal(u.ID)); m != nil {
			ev := w.event(g.Org, g.Workspace, "group.member.remove", gh.KindGroup, string(g.ID))
			change(ev, gh.KindMembership, m.Key(), m, nil)
		}
	}
	return f, nil
}

// ReachRow is one workspace and role a user holds, and through what.
type ReachRow struct {
	Workspace string `json:"workspace"`
	Role      string `json:"role"`
	Via       string `json:"via"` // "direct" or the group's name
}

// FederationPreview is the mapping test bench's answer: the plan and the
// access the user would hold after it.
type FederationPreview struct {
	*Federation
	Access []ReachRow `json:"access"`
}

// PreviewFederation answers, without changing anything, what an assertion
// of the scope's provider id would do. Only the provider's admins may ask.
func (d *Directory) PreviewFederation(a *Actor, s Scope, id gh.ProviderID, as *gh.Assertion) (*FederationPreview, error) {
	p, err := d.GetProvider(a, s, id)
	if err != nil {
		return nil, err
	}
	f, err := d.planFederation(p, as)
	if err != nil {
		return nil, err
	}
	return &FederationPreview{Federation: f, Access: d.accessAfter(f)}, nil
}

// accessAfter lists the assignments the user would reach after f: its own
// and those of every group it would be in, nested ones included.
func (d *Directory) accessAfter(f *Federation) []ReachRow {
	direct := map[gh.GroupID]bool{}
	var rows []ReachRow
	if !f.Created {
		for _, id := range d.idx.GroupsOf(gh.UserPrincipal(f.User.ID), false) {
			direct[id] = true
		}
		rows = d.accessRows(d.idx.AssignmentsOf(gh.UserPrincipal(f.User.ID)), "direct")
	}
	for _, g := range f.Joined {
		direct[g.ID] = true
	}
	for _, g := range f.Left {
		delete(direct, g.ID)
	}
	all := map[gh.GroupID]bool{}
	for id := range direct {
		all[id] = true
		for _, up := range d.idx.GroupsOf(gh.GroupPrincipal(id), true) {
			all[up] = true
		}
	}
	for _, id := range slices.Sorted(func(yield func(gh.GroupID) bool) {
		for id := range all {
			if !yield(id) {
				return
			}
		}
	}) {
		if g := d.idx.Group(id); g != nil {
			rows = append(rows, d.accessRows(d.idx.AssignmentsOf(gh.GroupPrincipal(id)), g.Name)...)
		}
	}
	return rows
}

func (d *Directory) accessRows(as []*gh.Assignment, via string) []ReachRow {
	var rows []ReachRow
	for _, a := range as {
		w, r := d.idx.Workspace(a.Workspace), d.idx.Role(a.Role)
		if w == nil || r == nil {
			continue
		}
		rows = append(rows, ReachRow{Workspace: w.Name, Role: r.Name, Via: via})
	}
	return rows
}
