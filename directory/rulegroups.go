package directory

import (
	"slices"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/rules"
)

// Membership rules (design §2, "Rule groups"). A rule adds members to its
// group, so setting or changing one counts as joining people into it, and
// a change to what rules read of a user counts as joining the user into
// the rule groups it newly matches.

// checkRule compiles a group's rule for a field error; "" clears it.
func checkRule(src string) (string, error) {
	if src == "" {
		return "", nil
	}
	r, err := rules.Compile(src)
	if err != nil {
		return "", gh.Invalid("invalid_rule", "rule", err.Error())
	}
	return r.Source, nil
}

// checkRuleMoves judges a change of user cur into next by the rule groups
// it moves the user into or out of: a user may not move itself (a rule
// must not take a person's own say-so, and leaving a group can escape an
// exclusion), and outside Org Admins whoever moves someone in must hold
// what the group is given in the workspace.
func (d *Directory) checkRuleMoves(a *Actor, s Scope, cur, next *gh.User) error {
	if cur != nil && rules.Key(cur) == rules.Key(next) {
		return nil
	}
	var before []gh.GroupID
	if cur != nil {
		before = d.idx.RuleGroupsFor(cur)
	}
	after := d.idx.RuleGroupsFor(next)
	if slices.Equal(before, after) {
		return nil
	}
	if a.User != nil && a.User.ID == next.ID && !d.isOrgAdmin(a, next.Org) {
		moved := slices.Concat(diff(after, before), diff(before, after))
		return gh.Errorf(gh.KindForbidden, "rule_membership",
			"this change would move you into or out of group %q, whose members follow a rule; an administrator must make it",
			d.idx.Group(moved[0]).Name)
	}
	for _, id := range diff(after, before) {
		if err := d.joinCovered(a, s, d.idx.Group(id)); err != nil {
			return err
		}
	}
	return nil
}

// diff is what of a is not in b.
func diff(a, b []gh.GroupID) []gh.GroupID {
	var out []gh.GroupID
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// RuleMembers lists the users a group of the scope's home holds by its rule now.
func (d *Directory) RuleMembers(a *Actor, s Scope, id gh.GroupID) ([]*gh.User, error) {
	if _, err := d.GetGroup(a, s, id); err != nil {
		return nil, err
	}
	var out []*gh.User
	for _, u := range d.idx.RuleMembers(id) {
		if user := d.idx.User(u); user != nil && d.seesUser(a, user) {
			out = append(out, user)
		}
	}
	return out, nil
}
