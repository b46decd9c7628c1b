package console

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// settingsRoutes registers Settings → User Management: the organization's
// own users, groups, roles, onboarding templates, security policy, audit log
// and mail. Every page reads and writes through the directory and sign-in
// methods the API calls, so who may do what is decided there, once.
func (c *Console) settingsRoutes() {
	c.get("/settings/{$}", c.settingsHome)

	c.get("/settings/users", c.settingsUsers)
	c.post("/settings/users", c.createUser)
	c.post("/settings/users/invite", c.inviteUser)
	c.post("/settings/users/import", c.previewImport)
	c.post("/settings/users/import/confirm", c.confirmImport)
	c.get("/settings/users/{id}", c.settingsUser)
	c.preview("/settings/users/{id}/disable", c.confirmDisable)
	c.post("/settings/users/{id}/status", c.userStatus)
	c.post("/settings/users/{id}/profile", c.userProfile)
	c.post("/settings/users/{id}/avatar", c.userAvatar)
	c.post("/settings/users/{id}/avatar/delete", c.userRemoveAvatar)
	c.get("/settings/users/{id}/avatar.png", c.userAvatarImage)
	c.post("/settings/users/{id}/role", c.userRole)
	c.post("/settings/users/{id}/password", c.userPassword)
	c.post("/settings/users/{id}/mfa/reset", c.userResetMFA)
	c.post("/settings/users/{id}/sessions/{sid}/end", c.userEndSession)
	c.post("/settings/users/{id}/keys", c.userCreateKey)
	c.post("/settings/users/{id}/keys/{key}/revoke", c.userRevokeKey)

	c.get("/settings/groups", c.settingsGroups)
	c.post("/settings/groups", c.createGroup)
	c.get("/settings/groups/{id}", c.settingsGroup)
	c.post("/settings/groups/{id}/members", c.addMember)
	c.post("/settings/groups/{id}/default", c.setDefaultGroup)
	c.preview("/settings/groups/{id}/members/{type}/{member}/remove", c.confirmRemoveMember)
	c.post("/settings/groups/{id}/members/{type}/{member}/remove", c.removeMember)

	c.get("/settings/roles", c.settingsRoles)
	c.get("/settings/roles/new", c.newRole)
	c.post("/settings/roles", c.createRole)
	c.get("/settings/roles/{id}", c.editRole)
	c.post("/settings/roles/{id}", c.updateRole)
	c.preview("/settings/roles/{id}/delete", c.confirmDeleteRole)
	c.post("/settings/roles/{id}/delete", c.deleteRole)

	c.get("/settings/templates", c.settingsTemplates)
	c.post("/settings/templates", c.createTemplate)
	c.post("/settings/templates/{id}", c.replaceTemplate)
	c.post("/settings/templates/{id}/delete", c.deleteTemplate)
	c.post("/settings/templates/{id}/apply", c.applyTemplate)

	c.get("/settings/policy", c.settingsPolicy)
	c.post("/settings/policy", c.savePolicy)

	c.get("/settings/audit", c.settingsAudit)
	c.get("/settings/audit/events.csv", c.auditCSV)

	c.get("/settings/outbox", c.settingsOutbox)
}

func (c *Console) settingsHome(w http.ResponseWriter, r *http.Request, v *view) error {
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	return nil
}

// orgScope is the organization as a home, for the partner's own people.
// Settings are the partner's: a customer's user finds nothing here, as if
// the pages did not exist.
func orgScope(v *view) (directory.Scope, error) {
	if v.Home != nil {
		return directory.Scope{}, gh.NotFound("page")
	}
	return directory.Scope{Org: v.Org}, nil
}

// settings marks a page as one of Settings, with its crumbs.
func (v *view) settings(crumbs ...crumb) {
	v.Section = "settings"
	v.Crumbs = crumbs
}
