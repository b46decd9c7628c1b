package console

import (
	"context"
	"io"
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// Settings → Users: the organization's own people, searched and paged, and
// the three ways in: create, invite, import a CSV file.

type usersPage struct {
	Query, Status string
	Rows          []userRow
	Next          string
	OrgRole       string              // filter
	Group         string              // filter: a group's id
	Groups        []*gh.Group         // the groups to filter by
	Form          directory.UserInput // the create and invite forms, filled again after an error
	Manage        bool                // the viewer may add users (an Org Admin)
}

type userRow struct {
	*gh.User
	Groups []string
}

// userStatuses are the statuses a user list may be filtered by.
var userStatuses = []gh.Status{gh.StatusActive, gh.StatusInvited, gh.StatusDisabled}

func (c *Console) settingsUsers(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.showUsers(r, v, directory.UserInput{})
}

func (c *Console) showUsers(r *http.Request, v *view, form directory.UserInput) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := usersPage{Query: q.Get("q"), Status: q.Get("status"), OrgRole: q.Get("org_role"), Group: q.Get("group"), Form: form, Manage: v.Admin}
	if p.Status != "" && !validStatus(gh.Status(p.Status)) {
		return gh.Invalid("invalid_query", "status", "must be active, invited or disabled")
	}
	groups, err := c.dir.ListGroups(v.actor, s, "", directory.Page{Limit: maxPicker})
	if err != nil {
		return err
	}
	p.Groups = groups.Items
	f := directory.UserFilter{Query: p.Query, Status: gh.Status(p.Status), OrgRole: gh.OrgRole(p.OrgRole), Group: gh.GroupID(p.Group)}
	list, err := c.dir.ListUsers(v.actor, s, f, directory.Page{After: q.Get("after"), Limit: pageSize})
	if err != nil {
		return err
	}
	for _, u := range list.Items {
		p.Rows = append(p.Rows, userRow{User: u, Groups: c.dir.GroupNames(u.ID)})
	}
	if list.Next != "" {
		p.Next = pageLink(r, list.Next)
	}
	v.settings()
	v.show("settings_users.html", "Users", p)
	return nil
}

func validStatus(s gh.Status) bool {
	for _, x := range userStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// userInput reads the create and invite forms.
func userInput(r *http.Request) directory.UserInput {
	f := r.PostForm
	return directory.UserInput{Email: strings.TrimSpace(f.Get("email")), GivenName: f.Get("given_name"),
		FamilyName: f.Get("family_name"), JobTitle: f.Get("job_title"), OrgRole: gh.OrgRole(f.Get("org_role")),
		Kind: gh.UserKind(f.Get("kind"))}
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	in := userInput(r)
	u, _, err := c.dir.CreateUser(r.Context(), v.actor, s, in)
	if err != nil {
		formError(v, err)
		return c.showUsers(r, v, in)
	}
	return done(w, r, "/settings/users/"+string(u.ID), "User "+u.Email+" created. Set a temporary password or send an invitation so they can sign in.")
}

// inviteUser creates the user as invited and mails them a link to set a password.
func (c *Console) inviteUser(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	in := userInput(r)
	u, _, err := c.signin.Invite(r.Context(), v.actor, s, in, c.web.ClientOf(r))
	if err != nil {
		formError(v, err)
		return c.showUsers(r, v, in)
	}
	return done(w, r, "/settings/users/"+string(u.ID), "Invitation sent to "+u.Email+".")
}

// importPage is the preview of a CSV import: every bad row with its line and
// reason, or the users a confirmation would create.
type importPage struct {
	Problems []directory.ImportProblem
	Users    []*gh.User
	Rows     int    // in the file
	BadRows  int    // with a problem
	File     string // the file, carried to the confirmation
}

// previewImport checks an uploaded file by importing it in a batch that is
// then undone: nothing is written, whatever the file holds.
func (c *Console) previewImport(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	body, err := uploaded(r, "file")
	var rows []directory.ImportRow
	if err == nil {
		rows, err = ghttp.ParseUserCSV(body)
	}
	var res *directory.ImportResult
	if err == nil {
		res, err = c.dryImport(r.Context(), v, s, rows)
	}
	if err != nil {
		formError(v, err)
		return c.showUsers(r, v, directory.UserInput{})
	}
	p := importPage{Problems: res.Skipped, Users: res.Created, Rows: len(rows)}
	bad := map[int]bool{}
	for _, pr := range p.Problems {
		bad[pr.Line] = true
	}
	p.BadRows = len(bad)
	if len(p.Problems) == 0 {
		p.File = string(body)
	} else {
		v.status = http.StatusUnprocessableEntity
	}
	v.settings(crumb{"Users", "/settings/users"})
	v.show("settings_import.html", "Import users", p)
	return nil
}

// dryImport runs the import with every good row, to name the users it would
// create and the problems of the others, and takes it all back.
func (c *Console) dryImport(ctx context.Context, v *view, s directory.Scope, rows []directory.ImportRow) (*directory.ImportResult, error) {
	var res *directory.ImportResult
	_, err := c.dir.Batch(ctx, v.actor, gh.NewID("bat"), true, func(ctx context.Context) error {
		var err error
		res, err = c.dir.ImportUsers(ctx, v.actor, s, rows, true)
		return err
	})
	return res, err
}

// uploaded reads a posted file.
func uploaded(r *http.Request, field string) ([]byte, error) {
	f, _, err := r.FormFile(field)
	if err != nil {
		return nil, gh.Invalid("file_required", "file", "is missing: choose a CSV file")
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxForm))
	if err != nil {
		return nil, gh.Invalid("malformed_body", "file", "could not be read")
	}
	return body, nil
}

// confirmImport imports the previewed file, all or nothing: a row that has
// gone bad since the preview refuses the whole file again.
func (c *Console) confirmImport(w http.ResponseWriter, r *http.Request, v *view) error {
	s, err := orgScope(v)
	if err != nil {
		return err
	}
	// The confirmation is multipart, so the file comes back as it was sent,
	// not percent-encoded to three times its size.
	rows, err := ghttp.ParseUserCSV([]byte(r.PostForm.Get("file")))
	var res *directory.ImportResult
	if err == nil {
		res, err = c.dir.ImportUsers(r.Context(), v.actor, s, rows, false)
	}
	if err != nil {
		formError(v, err)
		return c.showUsers(r, v, directory.UserInput{})
	}
	return done(w, r, "/settings/users", plural(res.Imported, "user", "users")+" imported.")
}
