package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// OrgInput creates an organization with its first Organization Admin.
type OrgInput struct {
	Name  string    `json:"name"`
	Slug  string    `json:"slug"` // derived from Name when empty
	Admin UserInput `json:"admin"`
}

// CreateOrg creates an organization and its first admin (operator only).
// Errors: KindForbidden, KindInvalid, KindConflict (slug taken).
func (d *Directory) CreateOrg(ctx context.Context, a *Actor, in OrgInput) (*gh.Org, *gh.User, gh.Revision, error) {
	if err := requireOperator(a, "create organizations"); err != nil {
		return nil, nil, 0, err
	}
	if in.Slug == "" {
		in.Slug = gh.Slugify(in.Name)
	}
	o := &gh.Org{ID: gh.OrgID(gh.NewID("org")), Name: gh.CleanName(in.Name), Slug: in.Slug, Status: gh.StatusActive,
		StaffShownAs: gh.StaffNameEmail}
	f := gh.Fields{}
	mergeFields(f, "", o.Validate())
	admin := in.Admin.user(gh.Home{Org: o.ID})
	admin.OrgRole, admin.Status = gh.OrgRoleAdmin, gh.StatusActive
	mergeFields(f, "admin.", admin.Validate())
	if err := f.Err(); err != nil {
		return nil, nil, 0, err
	}
	rev, err := d.write(ctx, a, func(w *writer) error {
		if d.idx.OrgBySlug(o.Slug) != nil {
			return slugTaken("organization")
		}
		ev := w.event(o.ID, "", "org.create", gh.KindOrg, string(o.ID))
		o.Touch(w.rev(), w.now)
		admin.Touch(w.rev(), w.now)
		change(ev, gh.KindOrg, string(o.ID), nil, o)
		change(ev, gh.KindUser, string(admin.ID), nil, admin)
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return o, admin, rev, nil
}

func slugTaken(what string) error {
	return &gh.Error{Kind: gh.KindConflict, Code: "slug_taken", Message: "another " + what + " already uses this slug",
		Fields: map[string]string{"slug": "is already in use"}}
}

// mergeFields copies the per-field messages of a validation error into f, with a prefix.
func mergeFields(f gh.Fields, prefix string, err error) {
	if err == nil {
		return
	}
	e := gh.AsError(err)
	if len(e.Fields) == 0 {
		f.Add(strings.TrimSuffix(prefix, "."), e.Message)
	}
	for k, v := range e.Fields {
		f.Add(prefix+k, v)
	}
}

// ListOrgs lists the organizations the actor can see: all for the operator, its own for a user.
func (d *Directory) ListOrgs(a *Actor, p Page) List[*gh.Org] {
	orgs := d.idx.Orgs(func(o *gh.Org) bool { return a.Operator || (a.User != nil && a.User.Org == o.ID) })
	l := paginate(orgs, func(o *gh.Org) string { return string(o.ID) }, p)
	for i, o := range l.Items {
		l.Items[i] = OrgSeenBy(a, o)
	}
	return l
}

// OrgPatch changes an organization; nil fields stay.
type OrgPatch struct {
	Name   *string     `json:"name"`
	Status *gh.Status  `json:"status"`
	Policy PolicyPatch `json:"policy"`
	// StaffShownAs is how partner staff are named to customers.
	StaffShownAs *gh.StaffDisplay `json:"partner_staff_shown_as"`
	// DefaultGroups (ids or names of the organization's own groups; empty
	// clears) are the groups every new organization user joins.
	DefaultGroups *[]string `json:"default_groups"`
	// Seats is how many active users the organization may have (operator only; 0: unlimited).
	Seats *int `json:"seats"`
}

// PolicyPatch changes only the security policy settings it names, as a JSON
// merge patch (RFC 7386): a setting given null returns to its default. A
// partial policy must never reset what it does not name (MFA, say).
type PolicyPatch map[string]json.RawMessage

// apply returns cur with the patch's settings changed.
// Errors: KindInvalid naming an unknown setting or a value of the wrong type.
func (p PolicyPatch) apply(cur gh.SecurityPolicy) (gh.SecurityPolicy, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(gh.MustJSON(cur), &m); err != nil {
		return cur, gh.Internal(err)
	}
	for k, v := range p {
		if string(v) == "null" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	dec := json.NewDecoder(bytes.NewReader(gh.MustJSON(m)))
	dec.DisallowUnknownFields()
	var next gh.SecurityPolicy
	if err := dec.Decode(&next); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return cur, gh.Invalid("invalid_input", "policy."+te.Field, "has the wrong type")
		}
		return cur, gh.Invalid("invalid_input", "policy", strings.TrimPrefix(err.Error(), "json: "))
	}
	return next, nil
}

// UpdateOrg renames (operator or Org Admin) or suspends and reactivates (operator only) an organization.
func (d *Directory) UpdateOrg(ctx context.Context, a *Actor, o *gh.Org, in OrgPatch, ifMatch gh.Revision) (*gh.Org, gh.Revision, error) {
	if in.Status != nil && !a.Operator && !a.System {
		return nil, 0, gh.Forbidden("only the platform operator may suspend or reactivate an organization")
	}
	if in.Seats != nil && !a.Operator {
		return nil, 0, gh.Forbidden("only the platform operator may set the organization's seats")
	}
	if in.Name != nil && !a.Operator {
		if err := d.requireOrgAdmin(a, o.ID, "rename the organization"); err != nil {
			return nil, 0, err
		}
	}
	if in.Policy != nil || in.StaffShownAs != nil || in.DefaultGroups != nil {
		// Not the operator: how the organization signs in and what its
		// customers see are its admins' call; a locked-out organization is
		// opened with RecoverOrg.
		if err := d.requireOrgAdmin(a, o.ID, "change the organization's security policy or settings"); err != nil {
			return nil, 0, err
		}
	}
	var out *gh.Org
	rev, err := d.write(ctx, a, func(w *writer) error {
		cur := d.idx.Org(o.ID)
		if cur == nil {
			return gh.NotFound("organization")
		}
		if err := checkMatch(ifMatch, cur.Revision); err != nil {
			return err
		}
		next, err := *cur, error(nil)
		if in.Name != nil {
			next.Name = gh.CleanName(*in.Name)
		}
		if in.Status != nil {
			next.Status = *in.Status
		}
		if in.Policy != nil {
			if next.Policy, err = in.Policy.apply(cur.Policy); err != nil {
				return err
			}
			if !slices.Equal(next.Policy.AllowedCIDRs, cur.Policy.AllowedCIDRs) {
				if err := keepsActorIn(a, next.Policy.AllowedCIDRs, "policy.allowed_cidrs"); err != nil {
					return err
				}
			}
			rule := gh.SignInRule{Password: next.Policy.PasswordSignIn, BreakGlass: next.Policy.BreakGlass}
			if rule.Password != cur.Policy.PasswordSignIn || !slices.Equal(rule.BreakGlass, cur.Policy.BreakGlass) {
				if err := d.checkSignInRule(gh.Home{Org: o.ID}, rule, "policy."); err != nil {
					return err
				}
			}
		}
		if in.StaffShownAs != nil {
			next.StaffShownAs = *in.StaffShownAs
		}
		if in.DefaultGroups != nil {
			if next.DefaultGroups, err = d.defaultGroups(cur, *in.DefaultGroups); err != nil {
				return err
			}
		}
		if in.Seats != nil {
			next.Seats = *in.Seats
		}
		if err := validChange(cur, &next, next.Validate()); err != nil {
			return err
		}
		if next.Seats != cur.Seats && next.Seats > 0 {
			if err := d.checkSharesFit(&next); err != nil {
				return err
			}
		}
		action := "org.update"
		if in.Policy != nil {
			action = "org.policy.update"
		}
		if next.Seats != cur.Seats {
			action = "org.seats.update"
		}
		if next.Status != cur.Status {
			action = map[gh.Status]string{gh.StatusSuspended: "org.suspend", gh.StatusActive: "org.reactivate"}[next.Status]
		}
		ev := w.event(o.ID, "", action, gh.KindOrg, string(o.ID))
		next.Touch(w.rev(), w.now)
		change(ev, gh.KindOrg, string(o.ID), cur, &next)
		if used := d.idx.ActiveUsers(o.ID, "", true); !seatsHigh(used, cur.Seats) && seatsHigh(used, next.Seats) {
			w.event(o.ID, "", SeatsHighAction, gh.KindOrg, string(o.ID)).Detail = SeatsUsed(used, next.Seats)
		}
		out = &next
		return nil
	})
	return out, rev, err
}

// OrgWarnings lists what an Org Admin should know about the organization's setup.
func (d *Directory) OrgWarnings(o *gh.Org) []string {
	var out []string
	if n := len(d.idx.ActiveOrgAdmins(o.ID)); n < 2 {
		out = append(out, "the organization has fewer than two active Organization Admins; add another so that losing one account does not lock the organization out")
	}
	if s := d.OrgSeats(o); seatsHigh(s.Used, s.Seats) {
		out = append(out, SeatsUsed(s.Used, s.Seats)+"; new active users are refused once all are used")
	}
	return out
}
