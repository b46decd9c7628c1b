package directory

import (
	"slices"

	gh "gatehouse.dev/gatehouse"
)

// ProfilePatch changes a user's profile beyond its names; nil fields stay.
// A user edits its own; admins edit the users they manage (UpdateUser).
type ProfilePatch struct {
	Phones          *[]gh.Phone         `json:"phones"`
	Manager         *gh.UserID          `json:"manager_id"` // "" removes the manager
	Skills          *[]string           `json:"skills"`
	Specializations *[]string           `json:"specializations"`
	Certifications  *[]gh.Certification `json:"certifications"`
	Training        *[]gh.Training      `json:"training"`
	Language        *string             `json:"language"`  // BCP 47, canonicalised
	TimeZone        *string             `json:"time_zone"` // IANA
}

// apply sets p's fields on u, on copies of its lists: u's own lists are
// shared with the index's user until the change is applied.
func (p ProfilePatch) apply(u *gh.User) {
	setList(&u.Phones, p.Phones)
	setList(&u.Skills, p.Skills)
	setList(&u.Specializations, p.Specializations)
	setList(&u.Certifications, p.Certifications)
	setList(&u.Training, p.Training)
	if p.Manager != nil {
		u.Manager = *p.Manager
	}
	if p.Language != nil {
		u.Language = *p.Language
	}
	if p.TimeZone != nil {
		u.TimeZone = *p.TimeZone
	}
	if p != (ProfilePatch{}) {
		gh.CleanProfile(u)
	}
}

func setList[T any](dst *[]T, v *[]T) {
	if v != nil {
		*dst = slices.Clone(*v)
	} else {
		*dst = slices.Clone(*dst)
	}
}

// checkManager refuses a manager that is not a user of u's own home: an
// unknown id and one the editor may not see answer alike.
func (d *Directory) checkManager(u *gh.User, id *gh.UserID) error {
	if id == nil || *id == "" || *id == u.ID {
		return nil // removing it, or the user itself, which Validate refuses
	}
	if m := d.idx.User(*id); m == nil || m.Home != u.Home {
		return gh.Invalid("invalid_input", "manager_id", "is no user here")
	}
	return nil
}

// SelfProfile is what a user may change of itself: its names, contact
// details and profile, never its email, status, role or address ranges.
type SelfProfile struct {
	GivenName  *string `json:"given_name"`
	FamilyName *string `json:"family_name"`
	Phone      *string `json:"phone"`
	JobTitle   *string `json:"job_title"`
	Department *string `json:"department"`
	ProfilePatch
}

// Patch is p as a change of the user.
func (p SelfProfile) Patch() UserPatch {
	return UserPatch{GivenName: p.GivenName, FamilyName: p.FamilyName, Phone: p.Phone,
		JobTitle: p.JobTitle, Department: p.Department, ProfilePatch: p.ProfilePatch}
}

// HomeScope is the scope of the actor's own home, where its profile lives.
// Errors: KindInvalid for an actor that is not a user.
func (d *Directory) HomeScope(a *Actor) (Scope, error) {
	if a.User == nil {
		return Scope{}, gh.Errorf(gh.KindInvalid, "not_a_user", "this key is the platform operator's, not a user's")
	}
	s := Scope{Org: d.idx.Org(a.User.Org)}
	if a.User.Workspace != "" {
		s.Workspace = d.idx.Workspace(a.User.Workspace)
	}
	if s.Org == nil || (a.User.Workspace != "" && s.Workspace == nil) {
		return Scope{}, gh.NotFound("user")
	}
	return s, nil
}
