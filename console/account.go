package console

import (
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// accountRoutes registers My account and the steps a session may still lack.
// The paths a gated session may open are listed in gatePages (console.go).
func (c *Console) accountRoutes() {
	c.get("/account", c.account)
	c.post("/account/profile", c.updateProfile)
	c.post("/account/details", c.myProfile)
	c.post("/account/avatar", c.myAvatar)
	c.post("/account/avatar/delete", c.myRemoveAvatar)
	c.get("/account/avatar.png", c.myAvatarImage)
	c.post("/account/password", c.changePassword)
	c.post("/account/reauthenticate", c.reauthenticate)

	c.get("/account/setup", c.setup)
	c.get("/account/mfa", c.mfa)
	c.post("/account/mfa", c.beginMFA)
	c.get("/account/mfa/qr.png", c.mfaQR)
	c.post("/account/mfa/confirm", c.confirmMFA)
	c.post("/account/recovery-codes", c.newRecoveryCodes)
	c.post("/account/passkeys/begin", c.beginPasskey)
	c.post("/account/passkeys", c.addPasskey)
	c.post("/account/passkeys/{id}/delete", c.removePasskey)
	c.codeRoutes()

	c.post("/account/sessions/{id}/delete", c.endSession)
	c.post("/account/sessions/others/delete", c.endOtherSessions)

	c.post("/account/keys", c.createKey)
	c.post("/account/keys/{id}/revoke", c.revokeKey)
}

// Gated reports a session that may only finish a step (a new password, an
// authenticator app): the layout then hides the console's navigation.
func (v *view) Gated() bool { return v.gate != signin.GateFull }

// accountPage is My account: who the user is, where it works, and its credentials.
type accountPage struct {
	OrgRole      string
	Places       []place
	MorePlaces   bool
	MFAEnrolled  bool
	RecoveryLeft int
	Pending      bool // an authenticator app is being set up
	Passkeys     []gh.Passkey
	Factors      *signin.Factors // codes by email and SMS
	Sessions     []*gh.Session
	Current      string // this session's id
	Keys         []*gh.APIKey
	Stale        bool // sensitive actions need the password again first
	Form         directory.UserPatch
	Profile      profileView
}

func (c *Console) account(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showAccount(r, v)
}

func (c *Console) showAccount(r *http.Request, v *view) error {
	ctx := r.Context()
	p := accountPage{Current: v.sess.ID, Stale: v.actor.StaleSession, OrgRole: orgRoleName(v.Me)}
	var err error
	if p.MFAEnrolled, p.RecoveryLeft, err = c.signin.MFAStatus(ctx, v.Me); err != nil {
		return err
	}
	if !p.MFAEnrolled {
		_, perr := c.signin.PendingTOTP(ctx, v.actor)
		p.Pending = perr == nil
	}
	if p.Passkeys, err = c.signin.Passkeys(ctx, v.actor); err != nil {
		return err
	}
	if p.Factors, err = c.signin.SecondFactors(ctx, v.Me); err != nil {
		return err
	}
	if p.Sessions, err = c.signin.Sessions(ctx, v.Me.ID); err != nil {
		return err
	}
	if p.Keys, err = c.dir.ListKeys(v.actor, v.Org, v.Me.ID); err != nil {
		return err
	}
	p.Places, p.MorePlaces = c.places(v)
	p.Profile = c.profileOf(v, "/account", "/account/details", v.Me, true)
	v.Section = "account"
	v.show("account.html", "My account", p)
	return nil
}

func orgRoleName(u *gh.User) string {
	switch {
	case u.Workspace != "":
		return ""
	case u.IsOrgAdmin():
		return "Organization Admin"
	}
	return "Organization Member"
}

// maxPlaces bounds the workspace switcher; the workspaces page lists the rest.
const maxPlaces = 20

// places are the workspaces the user can reach, with its role in each: a
// workspace user's own, an org user's those it sees (all of them for an Org
// Admin, who may hold no role in some).
func (c *Console) places(v *view) ([]place, bool) {
	if v.Home != nil {
		return []place{{ID: string(v.Home.ID), Name: v.Home.Name, Role: c.roleOf(v.Me, v.Home)}}, false
	}
	list := c.dir.ListWorkspaces(v.actor, v.Org, gh.StatusActive, directory.Page{Limit: maxPlaces})
	out := make([]place, 0, len(list.Items))
	for _, ws := range list.Items {
		out = append(out, place{ID: string(ws.ID), Name: ws.Name, Role: c.roleOf(v.Me, ws)})
	}
	return out, list.Next != ""
}

// updateProfile changes the user's own names: the directory lets anyone edit
// its own profile, and nothing else of itself, without managing users.
func (c *Console) updateProfile(w http.ResponseWriter, r *http.Request, v *view) error {
	given, family := r.PostForm.Get("given_name"), r.PostForm.Get("family_name")
	in := directory.UserPatch{GivenName: &given, FamilyName: &family}
	if _, _, err := c.dir.UpdateUser(r.Context(), v.actor, v.scope(), v.Me.ID, in, 0); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "Your name is saved.")
}

// changePassword changes the user's own password; every other session ends.
// A session that had to change it is then fully signed in, or goes on to
// the next step it lacks.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	var err error
	if f.Get("password") != f.Get("confirm") {
		err = gh.Invalid("password_mismatch", "confirm", "is not the same password; type it twice alike")
	} else {
		err = c.signin.ChangePassword(r.Context(), v.actor, f.Get("current_password"), f.Get("password"), c.web.ClientOf(r))
	}
	if err != nil {
		formError(v, err)
		if v.Gated() {
			return c.showSetup(r, v)
		}
		return c.showAccount(r, v)
	}
	if v.Gated() {
		return done(w, r, landing(v), "Your new password is set.")
	}
	return done(w, r, "/account", "Your new password is set. Every other session of yours has ended.")
}

// landing is where "/" leads the user, named directly so that the notice
// of a redirect is not spent on the way (a session still lacking a step is
// sent on to it from there).
func landing(v *view) string {
	if v.Home != nil {
		return "/workspaces/" + string(v.Home.ID) + "/iam"
	}
	return "/workspaces"
}

// reauthenticate confirms the password (and code) again, so that sensitive
// actions — API keys, recovery codes, removing a passkey — are allowed for a while.
func (c *Console) reauthenticate(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	if err := c.signin.Reauthenticate(r.Context(), v.actor, v.sess, f.Get("password"), strings.TrimSpace(f.Get("code")), c.web.ClientOf(r)); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "Confirmed. You may make sensitive changes for the next few minutes.")
}
