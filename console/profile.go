package console

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// The profile and picture of a user, shown and edited alike on its page in
// Settings (by its admins) and on My account (by the user itself).

// profileView is the "profile" part of a page.
type profileView struct {
	Token   string
	Base    string // the picture's forms post to Base+"/avatar"…
	Action  string // where the profile form posts
	User    *gh.User
	Manager string // the manager's email
	Edit    bool   // the viewer may change the profile
	// The lists as the form shows them: one item a line, or ';' between.
	Phones, Certifications, Training, Skills, Specializations string
}

func (c *Console) profileOf(v *view, base, action string, u *gh.User, edit bool) profileView {
	p := profileView{Token: v.Token, Base: base, Action: action, User: u, Edit: edit,
		Skills: strings.Join(u.Skills, "; "), Specializations: strings.Join(u.Specializations, "; ")}
	if m := c.dir.Index().User(u.Manager); m != nil {
		p.Manager = m.Email
	}
	phones, certs, training := directory.ProfileLists(u)
	p.Phones, p.Certifications, p.Training = strings.Join(phones, "\n"), strings.Join(certs, "\n"), strings.Join(training, "\n")
	return p
}

// readProfile turns the posted profile form into a change of u.
func (c *Console) readProfile(f url.Values, u *gh.User) (directory.SelfProfile, error) {
	str := func(name string) *string { v := f.Get(name); return &v }
	// Job title and department are left out when unchanged: a directory
	// owns them for the users it provisions.
	changed := func(name, cur string) *string {
		if v := f.Get(name); strings.TrimSpace(v) != cur {
			return &v
		}
		return nil
	}
	lines := func(name string) []string { return strings.Split(f.Get(name), "\n") }
	list := func(name string) *[]string { l := strings.Split(f.Get(name), directory.ListSep); return &l }
	in := directory.SelfProfile{JobTitle: changed("job_title", u.JobTitle), Department: changed("department", u.Department)}
	in.Skills, in.Specializations, in.Language, in.TimeZone = list("skills"), list("specializations"), str("language"), str("time_zone")
	in.Certifications = ptr(directory.ParseCertifications(lines("certifications")))
	in.Training = ptr(directory.ParseTraining(lines("training")))
	phones, err := directory.ParsePhones("phones", lines("phones"))
	if err != nil {
		return in, err
	}
	in.Phones = &phones
	manager := gh.UserID("")
	if email := strings.TrimSpace(f.Get("manager")); email != "" {
		m := c.dir.Index().UserByEmail(u.Home, email)
		if m == nil {
			return in, gh.Invalid("invalid_input", "manager", "is no user here")
		}
		manager = m.ID
	}
	in.Manager = &manager
	return in, nil
}

func ptr[T any](v T) *T { return &v }

// saveProfile applies the posted profile form to user u of scope s.
func (c *Console) saveProfile(r *http.Request, v *view, s directory.Scope, u *gh.User) error {
	in, err := c.readProfile(r.PostForm, u)
	if err == nil {
		_, _, err = c.dir.UpdateUser(r.Context(), v.actor, s, u.ID, in.Patch(), 0)
	}
	return err
}

// saveAvatar sets the posted picture of user u of scope s.
func (c *Console) saveAvatar(r *http.Request, v *view, s directory.Scope, u *gh.User) error {
	f, fh, err := r.FormFile("avatar")
	if err != nil {
		return gh.Invalid("file_required", "avatar", "is missing: choose a PNG, JPEG or GIF picture")
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, directory.MaxAvatarBytes+1))
	if err != nil {
		return gh.Invalid("malformed_body", "avatar", "could not be read")
	}
	_, _, err = c.dir.SetAvatar(r.Context(), v.actor, s, u.ID, raw, fh.Header.Get("Content-Type"))
	return err
}

// avatarImage sends the picture of user id of scope s.
func (c *Console) avatarImage(w http.ResponseWriter, r *http.Request, v *view, s directory.Scope, id gh.UserID) error {
	av, err := c.dir.Avatar(r.Context(), v.actor, s, id)
	if err != nil {
		return err
	}
	ghttp.ServeAvatar(w, r, av)
	return nil
}

// Settings → a user: its profile and picture, changed by its admins.

func (c *Console) userProfile(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	return c.userChanged(w, r, v, s, u, c.saveProfile(r, v, s, u), "The profile of "+u.Email+" is saved.")
}

func (c *Console) userAvatar(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	return c.userChanged(w, r, v, s, u, c.saveAvatar(r, v, s, u), "The picture of "+u.Email+" is saved.")
}

func (c *Console) userRemoveAvatar(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	_, _, err = c.dir.RemoveAvatar(r.Context(), v.actor, s, u.ID)
	return c.userChanged(w, r, v, s, u, err, "The picture of "+u.Email+" is removed.")
}

func (c *Console) userAvatarImage(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	return c.avatarImage(w, r, v, s, u.ID)
}

// My account: one's own profile and picture.

func (c *Console) myProfile(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.mine(w, r, v, c.saveProfile(r, v, v.scope(), v.Me), "Your profile is saved.")
}

func (c *Console) myAvatar(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.mine(w, r, v, c.saveAvatar(r, v, v.scope(), v.Me), "Your picture is saved.")
}

func (c *Console) myRemoveAvatar(w http.ResponseWriter, r *http.Request, v *view) error {
	_, _, err := c.dir.RemoveAvatar(r.Context(), v.actor, v.scope(), v.Me.ID)
	return c.mine(w, r, v, err, "Your picture is removed.")
}

func (c *Console) myAvatarImage(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.avatarImage(w, r, v, v.scope(), v.Me.ID)
}

// mine redirects to My account with what happened, or shows it again with the error.
func (c *Console) mine(w http.ResponseWriter, r *http.Request, v *view, err error, notice string) error {
	if err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", notice)
}
