package console

import (
	"context"
	"net/http"

	ghttp "gatehouse.dev/gatehouse/http"
)

// routes is the console's table of pages: one line each.
func (c *Console) routes() {
	c.web.Page("GET /assets/", assetHandler())
	c.web.Page("GET /docs", http.HandlerFunc(docs))
	c.get("/{$}", c.home)
	c.post("/signout", c.signout)

	c.get("/workspaces", c.workspaces)
	c.post("/workspaces", c.createWorkspace)
	c.get("/workspaces/{ws}/iam", c.iam)
	c.post("/workspaces/{ws}/assignments", c.assign)
	c.preview("/workspaces/{ws}/assignments/{id}/remove", c.confirmUnassign)
	c.post("/workspaces/{ws}/assignments/{id}/delete", c.unassign)
	c.preview("/workspaces/{ws}/suspend", c.confirmSuspend)
	c.post("/workspaces/{ws}/status", c.setStatus)
	c.post("/workspaces/{ws}/default-role", c.setDefaultRole)
	c.post("/workspaces/{ws}/seats", c.setSeats)
	c.post("/workspaces/{ws}/exclusions", c.exclude)
	c.post("/workspaces/{ws}/exclusions/{id}/lift", c.liftExclusion)

	// A customer's own people, on the pages Settings uses for the partner's.
	c.post("/workspaces/{ws}/users", c.createWorkspaceUser)
	c.get("/workspaces/{ws}/users/{id}", c.settingsUser)
	c.preview("/workspaces/{ws}/users/{id}/disable", c.confirmDisable)
	c.post("/workspaces/{ws}/users/{id}/status", c.userStatus)
	c.post("/workspaces/{ws}/users/{id}/profile", c.userProfile)
	c.post("/workspaces/{ws}/users/{id}/avatar", c.userAvatar)
	c.post("/workspaces/{ws}/users/{id}/avatar/delete", c.userRemoveAvatar)
	c.get("/workspaces/{ws}/users/{id}/avatar.png", c.userAvatarImage)
	c.post("/workspaces/{ws}/users/{id}/password", c.userPassword)
	c.post("/workspaces/{ws}/users/{id}/mfa/reset", c.userResetMFA)
	c.post("/workspaces/{ws}/users/{id}/sessions/{sid}/end", c.userEndSession)
	c.post("/workspaces/{ws}/users/{id}/keys", c.userCreateKey)
	c.post("/workspaces/{ws}/users/{id}/keys/{key}/revoke", c.userRevokeKey)
	c.get("/workspaces/{ws}/roles", c.settingsRoles)
	c.get("/workspaces/{ws}/roles/new", c.newRole)
	c.post("/workspaces/{ws}/roles", c.createRole)
	c.get("/workspaces/{ws}/roles/{id}", c.editRole)
	c.post("/workspaces/{ws}/roles/{id}", c.updateRole)
	c.preview("/workspaces/{ws}/roles/{id}/delete", c.confirmDeleteRole)
	c.post("/workspaces/{ws}/roles/{id}/delete", c.deleteRole)
	c.post("/workspaces/{ws}/groups", c.createWorkspaceGroup)
	c.get("/workspaces/{ws}/groups/{id}", c.settingsGroup)
	c.post("/workspaces/{ws}/groups/{id}/members", c.addMember)
	c.preview("/workspaces/{ws}/groups/{id}/members/{type}/{member}/remove", c.confirmRemoveMember)
	c.post("/workspaces/{ws}/groups/{id}/members/{type}/{member}/remove", c.removeMember)

	c.get("/access", c.explorer)
	c.post("/access/fix", c.fix)

	c.settingsRoutes()
	c.reportRoutes()
	c.ssoRoutes()
	c.directoryRoutes()
	c.accountRoutes()
	c.operatorRoutes()
	c.notifyRoutes()
}

// home sends people to their place: a workspace user to its workspace's
// IAM, everyone else to the list of workspaces.
func (c *Console) home(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.Home != nil {
		http.Redirect(w, r, "/workspaces/"+string(v.Home.ID)+"/iam", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/workspaces", http.StatusSeeOther)
	return nil
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.signin.Logout(context.WithoutCancel(r.Context()), v.actor, v.sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ghttp.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.web.SecureCookies()})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
