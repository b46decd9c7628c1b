package directory

import (
	"context"
	"slices"
	"strconv"

	gh "gatehouse.dev/gatehouse"
)

// A home may make single sign-on the only way in for its people: the
// organization in its policy, a workspace for its own users. Named
// break-glass accounts keep their passwords for the day the provider fails.

// SignInRuleOf returns the password rule of home h.
func (d *Directory) SignInRuleOf(h gh.Home) gh.SignInRule {
	if !h.IsOrg() {
		if w := d.idx.Workspace(h.Workspace); w != nil && w.SignIn != nil {
			return *w.SignIn
		}
		return gh.SignInRule{Password: gh.PasswordAllowed}
	}
	if o := d.idx.Org(h.Org); o != nil && o.Policy.PasswordSignIn != "" {
		return gh.SignInRule{Password: o.Policy.PasswordSignIn, BreakGlass: o.Policy.BreakGlass}
	}
	return gh.SignInRule{Password: gh.PasswordAllowed}
}

// PasswordRule says whether u may sign in with a password, and whether
// that is a break-glass use of it (to be audited loudly).
func (d *Directory) PasswordRule(u *gh.User) (allowed, breakGlass bool) {
	r := d.SignInRuleOf(u.Home)
	if r.Password != gh.PasswordSSOOnly {
		return true, false
	}
	bg := slices.Contains(r.BreakGlass, u.ID)
	return bg, bg
}

// checkSignInRule refuses a rule that would shut the home out: SSO only
// needs an enabled provider of the home, and break-glass accounts must be
// active people of the home.
func (d *Directory) checkSignInRule(h gh.Home, r gh.SignInRule, prefix string) error {
	f := gh.Fields{}
	r.Check(f, prefix)
	if r.Password == gh.PasswordSSOOnly && len(d.ProvidersOf(h)) == 0 {
		f.Add(prefix+"password_sign_in", "SSO only needs an enabled identity provider here first")
	}
	for i, id := range r.BreakGlass {
		u := d.idx.User(id)
		if u == nil || u.Home != h || u.IsService() || u.Status != gh.StatusActive {
			f.Add(prefix+"break_glass["+strconv.Itoa(i)+"]", "is not an active person of this home")
		}
	}
	return f.Err()
}

// keepsSSOUsable refuses to disable or remove the last enabled provider of
// a home whose sign-in is SSO only: its people would be shut out.
func (d *Directory) keepsSSOUsable(p *gh.IdentityProvider) error {
	if d.SignInRuleOf(p.Home).Password != gh.PasswordSSOOnly {
		return nil
	}
	for _, other := range d.ProvidersOf(p.Home) {
		if other.ID != p.ID {
			return nil
		}
	}
	return gh.Errorf(gh.KindConflict, "sso_only_needs_provider",
		"sign-in here is SSO only and this is its last enabled identity provider; allow passwords first")
}

// SetWorkspaceSignIn sets a workspace's password rule (its people's
// managers only).
func (d *Directory) SetWorkspaceSignIn(ctx context.Context, a *Actor, s Scope, r gh.SignInRule) (*gh.Workspace, gh.Revision, error) {
	if s.Workspace == nil {
		return nil, 0, gh.Invalid("invalid_scope", "workspace", "the organization's rule is part of its security policy")
	}
	if err := d.requireManage(a, s, gh.CapUsersAdd, "set the sign-in rule"); err != nil {
		return nil, 0, err
	}
	if r.Password == "" {
		r.Password = gh.PasswordAllowed
	}
	var out *gh.Workspace
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Workspace(s.Workspace.ID)
		if cur == nil {
			return gh.NotFound("workspace")
		}
		if err := d.checkSignInRule(s.Home(), r, ""); err != nil {
			return err
		}
		next := *cur
		next.SignIn = &r
		ev := w.event(cur.Org, cur.ID, "workspace.sign_in.update", gh.KindWorkspace, string(cur.ID))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindWorkspace, string(cur.ID), cur, &next)
		out = &next
		return nil
	})
	return out, rev, err
}
