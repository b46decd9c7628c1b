package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// gatehouse apply makes an organization hold what a file says: the
// workspaces, users, groups with their members, and assignments it names.
// It creates what is missing, adds missing members and sets roles, all in one
// batch; it never deletes what the file leaves out.

// applyFile is the file of gatehouse apply, in YAML or JSON.
type applyFile struct {
	Users      []fileUser      `json:"users"`  // the organization's own users
	Groups     []fileGroup     `json:"groups"` // the organization's own groups
	Workspaces []fileWorkspace `json:"workspaces"`
}

type fileWorkspace struct {
	Name   string       `json:"name"`
	Slug   string       `json:"slug"`
	Users  []fileUser   `json:"users"`
	Groups []fileGroup  `json:"groups"`
	Assign []fileAssign `json:"assign"` // organization users and groups given a role here
}

// fileUser is a user; Role is the organization role of an organization user
// (admin or member), the workspace role of a workspace user.
type fileUser struct {
	Email      string `json:"email"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Role       string `json:"role"`
}

// fileGroup is a group; Role, for a workspace's group, is its role there.
type fileGroup struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []string `json:"members"` // emails, or group names (group:NAME)
	Role        string   `json:"role"`
}

// fileAssign gives an organization group or user a role in a workspace.
type fileAssign struct {
	Group string `json:"group"`
	User  string `json:"user"`
	Role  string `json:"role"`
}

// readApplyFile reads a YAML or JSON file, refusing fields it does not know.
func readApplyFile(path string) (*applyFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var f applyFile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	return &f, nil
}

func (g *cli) applyCmd() *cobra.Command {
	s := &scope{}
	var file string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make the organization hold the workspaces, users, groups and assignments a YAML or JSON file names, in one batch",
		Long: `Make the organization hold what FILE (YAML or JSON) says: its workspaces (matched by
slug or name), users (by email), groups (by name) with their members, and roles.
apply reads the organization, prints the changes needed ("+" to create or add,
"~" to change a role), and sends them as one batch: all apply, or none. It
never deletes or removes what the file leaves out. --dry-run has the server
check every change and keeps none. A refused batch names the file's entries
that failed, and exits 1.

  workspaces:
    - name: Wingtip Toys
      users: [{email: ida@wingtip.example, given_name: Ida, role: admin}]
      groups: [{name: Wingtip IT, members: [ida@wingtip.example], role: incident_analyst}]
      assign: [{group: SOC Tier 1, role: incident_responder}]   # organization groups
  groups:                                                       # organization groups
    - name: SOC Tier 1
      members: [nina@partner.example]
  users:                                                        # organization users
    - {email: nina@partner.example, given_name: Nina, role: member}`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		f, err := readApplyFile(file)
		if err != nil {
			return err
		}
		p, err := g.plan(ctx, s.org, f)
		if err != nil {
			return err
		}
		return g.applyPlan(ctx, s.org, file, p, dryRun)
	})
	bindScope(cmd, s, false, false)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the YAML or JSON file")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the changes and have the server check them, changing nothing")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// applyPlan prints the plan and sends it. With -o json it prints only the
// server's answer (no results when there is nothing to change).
func (g *cli) applyPlan(ctx context.Context, org, file string, p *plan, dryRun bool) error {
	if len(p.ops) == 0 {
		return g.applied(fmt.Sprintf("Nothing to change: organization %s holds what %s says.\n", org, file), json.RawMessage(`{"results": []}`))
	}
	if g.output != "json" {
		fmt.Fprintf(g.out, "%d change(s) to organization %s:\n", len(p.ops), org)
		for _, l := range p.lines {
			fmt.Fprintln(g.out, "  "+l)
		}
	}
	c, err := g.connect()
	if err != nil {
		return err
	}
	key := ""
	if !dryRun {
		key = p.key(org)
	}
	var ans *ghttp.BatchAnswer
	for try := 0; ; try++ {
		ans, err = c.Batch(ctx, org, key, p.ops, dryRun)
		var ne net.Error
		if try < 2 && errors.As(err, &ne) && ctx.Err() == nil {
			continue // the key makes the retry safe: a batch that arrived is not applied twice
		}
		break
	}
	var ae *ghttp.APIError
	if errors.As(err, &ae) && len(ae.Operations) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the batch was refused and nothing was changed: %d of its changes cannot be made", len(ae.Operations))
		for _, op := range ae.Operations {
			fmt.Fprintf(&b, "\n  %s\n    %s: %s", p.where[op.Index], p.lines[op.Index], first(op.Detail, op.Code))
			for _, name := range slices.Sorted(maps.Keys(op.Fields)) {
				fmt.Fprintf(&b, "\n      %s: %s", name, op.Fields[name])
			}
		}
		return errors.New(b.String())
	}
	if err != nil {
		return err
	}
	if dryRun {
		return g.applied("Checked: the server accepts every change; nothing was changed (--dry-run).\n", ans)
	}
	return g.applied(fmt.Sprintf("Applied %d change(s) at revision %d.\n", len(ans.Results), ans.Revision), ans)
}

// applied says what apply did, or prints answer with -o json.
func (g *cli) applied(msg string, answer any) error {
	if g.output == "json" {
		raw, err := json.Marshal(answer)
		if err != nil {
			return err
		}
		return show(g, raw, func(io.Writer, any) {})
	}
	_, err := io.WriteString(g.out, msg)
	return err
}

// plan is the batch that brings the organization to the file's state: each
// operation with the line that tells a person what it does, and the entry of
// the file it comes from.
type plan struct {
	ops   []directory.BatchOp
	lines []string
	where []string
	since string // the organization's last change when the plan was made
}

func (p *plan) add(op directory.BatchOp, line, where string) {
	p.ops, p.lines, p.where = append(p.ops, op), append(p.lines, line), append(p.where, where)
}

// ref names what operation i creates, for later operations.
func (p *plan) ref() string { return fmt.Sprintf("r%d", len(p.ops)) }

// key is the batch's Idempotency-Key: the same plan made from the same
// state of the organization (named by its last change) is the same batch,
// which the server applies once — a run retried after a lost answer, say,
// that reads a node not yet showing the batch. A later plan that happens to
// look the same, after the organization changed, is a new batch.
func (p *plan) key(org string) string {
	b, _ := json.Marshal(p.ops)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%s", org, p.since, b))
	return "apply-" + hex.EncodeToString(sum[:16])
}

// home is what apply knows of one home (the organization or a workspace):
// its users by email and groups by name ("$ref" for those the plan creates),
// and, in a workspace, the role of each principal assigned there.
type home struct {
	s        scope
	name     string // for the plan's lines: "the organization", "Wingtip Toys"
	ws       string // the workspace in operations: id or "$ref"; "" for the organization
	users    map[string]string
	orgRoles map[string]gh.OrgRole // of the organization's users, by email
	groups   map[string]string
	roles    map[string]directory.AssignmentView // by principal id
}

// readHome reads a home; one the plan creates (isNew) holds nothing yet.
func (g *cli) readHome(ctx context.Context, s scope, name, ws string, isNew bool) (*home, error) {
	h := &home{s: s, name: name, ws: ws, users: map[string]string{}, orgRoles: map[string]gh.OrgRole{},
		groups: map[string]string{}, roles: map[string]directory.AssignmentView{}}
	if isNew {
		return h, nil
	}
	users, err := listInto[*gh.User](ctx, g, s.path()+"/users", nil)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		h.users[gh.NormalizeEmail(u.Email)] = string(u.ID)
		h.orgRoles[gh.NormalizeEmail(u.Email)] = u.OrgRole
	}
	groups, err := listInto[*gh.Group](ctx, g, s.path()+"/groups", nil)
	if err != nil {
		return nil, err
	}
	for _, gr := range groups {
		h.groups[strings.ToLower(gr.Name)] = string(gr.ID)
	}
	if s.ws != "" {
		as, err := listInto[directory.AssignmentView](ctx, g, s.path()+"/assignments", nil)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			h.roles[a.Principal.ID] = a
		}
	}
	return h, nil
}

// plan reads the organization and works out the batch that makes it hold f.
func (g *cli) plan(ctx context.Context, org string, f *applyFile) (*plan, error) {
	p := &plan{}
	var events directory.List[*gh.Event]
	switch err := g.callInto(ctx, "GET", "/v1/orgs/"+esc(org)+"/events?limit=1", nil, &events); {
	case err == nil && len(events.Items) > 0:
		p.since = fmt.Sprint(events.Items[0].Revision)
	default: // a key that may not read the log: a key of this run alone
		p.since = gh.NewID("run")
	}
	orgHome, err := g.readHome(ctx, scope{org: org}, "the organization", "", false)
	if err != nil {
		return nil, err
	}
	if err := g.planHome(ctx, p, orgHome, nil, "", f.Users, f.Groups, true); err != nil {
		return nil, err
	}
	workspaces, err := listInto[*gh.Workspace](ctx, g, "/v1/orgs/"+esc(org)+"/workspaces", nil)
	if err != nil {
		return nil, err
	}
	for i, fw := range f.Workspaces {
		where := fmt.Sprintf("workspaces[%d] %q", i, fw.Name)
		if fw.Name == "" && fw.Slug == "" {
			return nil, fmt.Errorf("%s: give the workspace a name or a slug", where)
		}
		var ws *gh.Workspace
		for _, w := range workspaces {
			if (fw.Slug != "" && w.Slug == fw.Slug) || (fw.Slug == "" && (strings.EqualFold(w.Name, fw.Name) || w.Slug == fw.Name)) {
				ws = w
			}
		}
		var h *home
		if ws == nil {
			ref := p.ref()
			p.add(directory.BatchOp{Op: "create", Type: "workspace", Ref: ref, Body: body(directory.WorkspaceInput{Name: fw.Name, Slug: fw.Slug})},
				fmt.Sprintf("+ create workspace %q", fw.Name), where)
			h, _ = g.readHome(ctx, scope{}, fw.Name, "$"+ref, true)
		} else if h, err = g.readHome(ctx, scope{org: org, ws: string(ws.ID)}, ws.Name, string(ws.ID), false); err != nil {
			return nil, err
		}
		if err := g.planHome(ctx, p, h, orgHome, where+", ", fw.Users, fw.Groups, false); err != nil {
			return nil, err
		}
		for j, a := range fw.Assign {
			at := fmt.Sprintf("%sassign[%d]", where+", ", j)
			var pr gh.Principal
			var name string
			switch {
			case a.Group != "" && a.User == "":
				pr, name = gh.Principal{Type: gh.PrincipalGroup, ID: orgHome.groups[strings.ToLower(a.Group)]}, "group "+a.Group
			case a.User != "" && a.Group == "":
				pr, name = gh.Principal{Type: gh.PrincipalUser, ID: orgHome.users[gh.NormalizeEmail(a.User)]}, a.User
			default:
				return nil, fmt.Errorf("%s: name one organization group or one user", at)
			}
			if pr.ID == "" {
				return nil, fmt.Errorf("%s: the organization has no %s (add it under the file's own groups or users)", at, name)
			}
			p.assign(h, pr, name, a.Role, at)
		}
	}
	return p, nil
}

// planHome plans the users and groups of one home, then the groups'
// members, then roles; orgHome is the organization when h is a workspace.
func (g *cli) planHome(ctx context.Context, p *plan, h, orgHome *home, where string, users []fileUser, groups []fileGroup, isOrg bool) error {
	for i, u := range users {
		at := fmt.Sprintf("%susers[%d] %s", where, i, u.Email)
		id, ok := h.users[gh.NormalizeEmail(u.Email)]
		switch {
		case !ok:
			in := map[string]string{"email": u.Email, "given_name": u.GivenName, "family_name": u.FamilyName}
			if isOrg && u.Role != "" {
				in["org_role"] = u.Role
			}
			ref := p.ref()
			p.add(directory.BatchOp{Op: "create", Type: "user", Workspace: h.ws, Ref: ref, Body: body(in)},
				fmt.Sprintf("+ create user %s in %s", u.Email, h.name), at)
			id = "$" + ref
			h.users[gh.NormalizeEmail(u.Email)] = id
		case isOrg && u.Role != "" && !strings.EqualFold(string(h.orgRoles[gh.NormalizeEmail(u.Email)]), u.Role):
			p.add(directory.BatchOp{Op: "update", Type: "user", ID: id, Body: body(map[string]string{"org_role": u.Role})},
				fmt.Sprintf("~ organization role of %s: %s → %s", u.Email, h.orgRoles[gh.NormalizeEmail(u.Email)], u.Role), at)
		}
		if !isOrg && u.Role != "" {
			p.assign(h, gh.Principal{Type: gh.PrincipalUser, ID: id}, u.Email, u.Role, at)
		}
	}
	for i, gr := range groups {
		if _, ok := h.groups[strings.ToLower(gr.Name)]; ok {
			continue
		}
		ref := p.ref()
		p.add(directory.BatchOp{Op: "create", Type: "group", Workspace: h.ws, Ref: ref, Body: body(directory.GroupInput{Name: gr.Name, Description: gr.Description})},
			fmt.Sprintf("+ create group %q in %s", gr.Name, h.name), fmt.Sprintf("%sgroups[%d] %q", where, i, gr.Name))
		h.groups[strings.ToLower(gr.Name)] = "$" + ref
	}
	for i, gr := range groups {
		at := fmt.Sprintf("%sgroups[%d] %q", where, i, gr.Name)
		id := h.groups[strings.ToLower(gr.Name)]
		if err := g.planMembers(ctx, p, h, id, gr, at); err != nil {
			return err
		}
		switch {
		case gr.Role != "" && isOrg:
			return fmt.Errorf("%s: an organization group has a role per workspace: give it under that workspace's assign", at)
		case gr.Role != "":
			p.assign(h, gh.Principal{Type: gh.PrincipalGroup, ID: id}, "group "+gr.Name, gr.Role, at)
		}
	}
	return nil
}

// planMembers adds the members of a group that it does not have yet.
func (g *cli) planMembers(ctx context.Context, p *plan, h *home, group string, gr fileGroup, at string) error {
	has := map[string]bool{}
	if !strings.HasPrefix(group, "$") {
		members, err := listInto[directory.Member](ctx, g, h.s.path()+"/groups/"+esc(group)+"/members", nil)
		if err != nil {
			return err
		}
		for _, m := range members {
			has[m.ID] = true
		}
	}
	for _, m := range gr.Members {
		typ, ref, err := parseMember(m)
		if err != nil {
			return fmt.Errorf("%s: %v", at, err)
		}
		id := h.users[gh.NormalizeEmail(ref)]
		if typ == gh.PrincipalGroup {
			id = h.groups[strings.ToLower(ref)]
		}
		if id == "" {
			return fmt.Errorf("%s: member %s is not a %s of %s (add it to the file, or create it first)", at, ref, typ, h.name)
		}
		if has[id] {
			continue
		}
		has[id] = true
		p.add(directory.BatchOp{Op: "create", Type: "membership", Workspace: h.ws, ID: group,
			Body: body(map[string]gh.Principal{"member": {Type: typ, ID: id}})},
			fmt.Sprintf("+ add %s to group %q in %s", ref, gr.Name, h.name), at)
	}
	return nil
}

// assign gives principal pr role in workspace h unless it has it already.
func (p *plan) assign(h *home, pr gh.Principal, name, role, at string) {
	cur, ok := h.roles[pr.ID]
	if ok && sameRole(cur, role) {
		return
	}
	line := fmt.Sprintf("+ assign %s to %s in %s", role, name, h.name)
	if ok {
		line = fmt.Sprintf("~ role of %s in %s: %s → %s", name, h.name, first(cur.RoleName, string(cur.Role)), role)
	}
	p.add(directory.BatchOp{Op: "create", Type: "assignment", Workspace: h.ws,
		Body: body(map[string]any{"principal": pr, "role": role})}, line, at)
}

// sameRole says whether the file's role (an id or a name) is the assignment's.
func sameRole(a directory.AssignmentView, role string) bool {
	return strings.EqualFold(role, string(a.Role)) || strings.EqualFold(role, a.RoleName) ||
		strings.EqualFold(strings.ReplaceAll(role, " ", "_"), string(a.Role))
}

func body(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
