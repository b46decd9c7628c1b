package console

import (
	"encoding/json"
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Before a risky change the console shows who loses what: the change is run
// as a what-if (the engine on the proposed state, nothing written) and the
// person confirms on the page that lists the losses.

// impact is a what-if grouped for reading: one line per user and workspace.
type impact struct {
	Lines     []impactLine
	Gains     []impactLine
	Users     int
	Truncated bool
	Confirm   string // where the confirmation posts
	Fields    map[string]string
	Back      string
	Action    string // the button's words
}

type impactLine struct {
	Email, Name, Workspace string
	Capabilities           []string
}

// whatIf runs one operation on the scope's directory as a what-if and
// groups its answer.
func (c *Console) whatIf(r *http.Request, v *view, s directory.Scope, op directory.BatchOp) (*impact, error) {
	if s.Workspace != nil && op.Type != "workspace" {
		op.Workspace = string(s.Workspace.ID) // a workspace's own user, group, role or assignment
	}
	res, err := c.dir.WhatIf(r.Context(), v.actor, v.Org, []directory.BatchOp{op})
	if err != nil {
		return nil, err
	}
	return &impact{Lines: group(res.Losses), Gains: group(res.Gains), Users: res.UsersAffected, Truncated: res.Truncated}, nil
}

func group(changes []directory.AccessChange) []impactLine {
	var out []impactLine
	for _, ch := range changes {
		ws := "the organization"
		if ch.Workspace != nil {
			ws = ch.Workspace.Name
		}
		cap := string(ch.Capability) + " (" + ch.From.String() + " → " + ch.To.String() + ")"
		if n := len(out); n > 0 && out[n-1].Email == ch.User.Email && out[n-1].Workspace == ws {
			out[n-1].Capabilities = append(out[n-1].Capabilities, cap)
			continue
		}
		out = append(out, impactLine{Email: ch.User.Email, Name: ch.User.Name, Workspace: ws, Capabilities: []string{cap}})
	}
	return out
}

// body is an operation's JSON body.
func body(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// confirmUnassign shows who loses what if an assignment goes.
func (c *Console) confirmUnassign(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	as, err := c.dir.GetAssignment(v.actor, s, gh.AssignmentID(r.PathValue("id")))
	if err != nil {
		return err
	}
	im, err := c.whatIf(r, v, s, directory.BatchOp{Op: "delete", Type: "assignment", ID: string(as.ID)})
	if err != nil {
		return err
	}
	base := "/workspaces/" + string(s.Workspace.ID)
	im.Confirm, im.Back, im.Action = base+"/assignments/"+string(as.ID)+"/delete", base+"/iam", "Remove the assignment"
	c.confirmPage(v, s, im, "Remove "+as.PrincipalName+"'s role "+as.RoleName+" in "+s.Workspace.Name+"?")
	return nil
}

// confirmSuspend shows who loses what if a workspace is suspended.
func (c *Console) confirmSuspend(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	im, err := c.whatIf(r, v, s, directory.BatchOp{Op: "update", Type: "workspace", ID: string(s.Workspace.ID), Body: body(map[string]string{"status": "suspended"})})
	if err != nil {
		return err
	}
	base := "/workspaces/" + string(s.Workspace.ID)
	im.Confirm, im.Back, im.Action = base+"/status", base+"/iam", "Suspend "+s.Workspace.Name
	im.Fields = map[string]string{"status": "suspended"}
	c.confirmPage(v, s, im, "Suspend "+s.Workspace.Name+"?")
	return nil
}

func (c *Console) confirmPage(v *view, s directory.Scope, im *impact, title string) {
	placeCrumbs(v, s, crumb{})
	v.show("confirm.html", title, im)
}

// setStatus suspends or resumes a workspace.
func (c *Console) setStatus(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := c.scopeOf(r, v)
	if err != nil {
		return err
	}
	st := gh.Status(r.PostForm.Get("status"))
	if _, _, err := c.dir.UpdateWorkspace(r.Context(), v.actor, s.Workspace, directory.WorkspacePatch{Status: &st}, 0); err != nil {
		return err
	}
	return done(w, r, "/workspaces/"+string(s.Workspace.ID)+"/iam", s.Workspace.Name+" is now "+string(st)+".")
}

// confirmRemoveMember shows who loses what if a member leaves a group.
func (c *Console) confirmRemoveMember(w http.ResponseWriter, r *http.Request, v *view) error {
	s, g, err := c.orgGroup(r, v)
	if err != nil {
		return err
	}
	p, err := memberOf(r)
	if err != nil {
		return err
	}
	op := directory.BatchOp{Op: "delete", Type: "membership", ID: string(g.ID), Body: body(map[string]gh.Principal{"member": p})}
	im, err := c.whatIf(r, v, s, op)
	if err != nil {
		return err
	}
	base := prefix(s) + "/groups/" + string(g.ID)
	im.Confirm, im.Back, im.Action = base+"/members/"+string(p.Type)+"/"+p.ID+"/remove", base, "Remove from "+g.Name
	placeCrumbs(v, s, crumb{"Groups", "/settings/groups"}, crumb{g.Name, base})
	v.show("confirm.html", "Remove "+c.principalName(p)+" from "+g.Name+"?", im)
	return nil
}

// confirmDisable shows who loses what if a user is disabled.
func (c *Console) confirmDisable(w http.ResponseWriter, r *http.Request, v *view) error {
	s, u, err := c.orgUser(r, v)
	if err != nil {
		return err
	}
	op := directory.BatchOp{Op: "update", Type: "user", ID: string(u.ID), Body: body(map[string]string{"status": "disabled"})}
	im, err := c.whatIf(r, v, s, op)
	if err != nil {
		return err
	}
	base := userPath(s, u.ID)
	im.Confirm, im.Back, im.Action = base+"/status", base, "Disable "+u.Email
	im.Fields = map[string]string{"status": "disabled"}
	userCrumbs(v, s, crumb{u.Email, base})
	v.show("confirm.html", "Disable "+u.Email+"? Their sessions and API keys end at once.", im)
	return nil
}

// confirmDeleteRole shows who loses what if a custom role is deleted.
func (c *Console) confirmDeleteRole(w http.ResponseWriter, r *http.Request, v *view) error {
	s, role, err := c.customRole(r, v)
	if err != nil {
		return err
	}
	op := directory.BatchOp{Op: "delete", Type: "role", ID: string(role.ID)}
	im, err := c.whatIf(r, v, s, op)
	if err != nil {
		return err
	}
	base := prefix(s) + "/roles/" + string(role.ID)
	im.Confirm, im.Back, im.Action = base+"/delete", base, "Delete "+role.Name
	placeCrumbs(v, s, crumb{"Roles", "/settings/roles"}, crumb{role.Name, base})
	v.show("confirm.html", "Delete the role "+role.Name+"?", im)
	return nil
}

// principalName names a user or group as the viewer sees it in the index.
func (c *Console) principalName(p gh.Principal) string {
	x := c.dir.Index()
	if p.Type == gh.PrincipalUser {
		if u := x.User(gh.UserID(p.ID)); u != nil {
			return u.Email
		}
	} else if g := x.Group(gh.GroupID(p.ID)); g != nil {
		return g.Name
	}
	return p.ID
}
