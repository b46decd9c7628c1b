package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (g *cli) usersCmd() *cobra.Command {
	s := &scope{}
	var dryDisable, dryDelete bool
	disable := g.verb("disable USER", "Disable a user: access, sessions and API keys end at once", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		if dryDisable {
			return g.previewUser(ctx, s, args[0], "update", map[string]any{"status": gh.StatusDisabled})
		}
		return g.patchUser(ctx, s, args[0], map[string]any{"status": gh.StatusDisabled}, "Disabled")
	})
	dryRunFlag(disable, &dryDisable)
	del := g.verb("delete USER", "Delete a user with its memberships, assignments and keys", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		if dryDelete {
			return g.previewUser(ctx, s, args[0], "delete", nil)
		}
		path, err := g.userPath(ctx, s, args[0])
		if err != nil {
			return err
		}
		return send(ctx, g, "DELETE", path, nil, func(w io.Writer, _ revision) { fmt.Fprintf(w, "Deleted user %s.\n", args[0]) })
	})
	dryRunFlag(del, &dryDelete)
	cmd := &cobra.Command{Use: "users", Short: "Users of an organization, or of one workspace with --workspace"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(
		g.userList(s),
		g.verb("get USER", "Show a user (by email or id)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.userPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "GET", path, nil, printUser)
		}),
		g.userCreate(s),
		g.userUpdate(s),
		g.profileCmd(s),
		g.avatarCmd(s),
		g.userImport(s),
		g.userExport(s),
		g.userInvite(s),
		g.userBulk(s),
		g.userSetPassword(s),
		g.userResetMFA(s),
		disable,
		g.verb("enable USER", "Enable a disabled or invited user", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return g.patchUser(ctx, s, args[0], map[string]any{"status": gh.StatusActive}, "Enabled")
		}),
		del,
	)
	return cmd
}

// userPath is the API path of a user of the scope given by email or id.
func (g *cli) userPath(ctx context.Context, s *scope, ref string) (string, error) {
	id, err := g.resolveUser(ctx, *s, ref)
	return s.path() + "/users/" + esc(id), err
}

func (g *cli) userList(s *scope) *cobra.Command {
	var query, status, role, group string
	cmd := g.verb("list", "List users", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		q := url.Values{}
		for k, v := range map[string]string{"q": query, "status": status, "org_role": role, "group": group} {
			if v != "" {
				q.Set(k, v)
			}
		}
		return sendList(ctx, g, s.path()+"/users", q, func(w io.Writer, l directory.List[*gh.User]) {
			rows := make([][]string, len(l.Items))
			for i, u := range l.Items {
				rows[i] = []string{u.Email, u.DisplayName(), string(u.Status), string(u.OrgRole), u.JobTitle, string(u.ID)}
			}
			table(w, "No users in "+s.where()+".", []string{"EMAIL", "NAME", "STATUS", "ORG ROLE", "TITLE", "ID"}, rows)
		})
	})
	cmd.Flags().StringVarP(&query, "query", "q", "", "only users whose email or name contains this")
	cmd.Flags().StringVar(&status, "status", "", "only active, invited or disabled users")
	cmd.Flags().StringVar(&role, "org-role", "", "only organization users with this role: admin or member")
	cmd.Flags().StringVar(&group, "group", "", "only members of this group (its id), nested ones included")
	return cmd
}

func (g *cli) userCreate(s *scope) *cobra.Command {
	var in directory.UserInput
	cmd := g.verb("create EMAIL --given-name NAME", "Create a user", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		in.Email = args[0]
		return send(ctx, g, "POST", s.path()+"/users", in, func(w io.Writer, u gh.User) {
			fmt.Fprintf(w, "Created user %s (%s) in %s.\n", u.Email, u.ID, s.where())
		})
	})
	f := cmd.Flags()
	f.StringVar(&in.GivenName, "given-name", "", "given name (required)")
	f.StringVar(&in.FamilyName, "family-name", "", "family name")
	f.StringVar(&in.JobTitle, "job-title", "", "job title")
	f.StringVar(&in.Department, "department", "", "department")
	f.StringVar(&in.Phone, "phone", "", "phone number")
	f.StringVar((*string)(&in.OrgRole), "org-role", "", "organization users: admin or member (default member)")
	f.StringVar((*string)(&in.Status), "status", "", "active (default) or invited")
	return cmd
}

// profileFlags are the flags of users update, named as the API's fields.
var profileFlags = []string{"email", "given-name", "family-name", "job-title", "department", "phone", "org-role"}

func (g *cli) userUpdate(s *scope) *cobra.Command {
	cmd := g.verb("update USER", "Change a user's profile, email or organization role", cobra.ExactArgs(1), nil)
	f := cmd.Flags()
	for _, name := range profileFlags {
		f.String(name, "", "new "+strings.ReplaceAll(name, "-", " "))
	}
	cmd.RunE = g.run(func(ctx context.Context, args []string) error {
		patch := map[string]any{}
		for _, name := range profileFlags {
			if f.Changed(name) {
				patch[strings.ReplaceAll(name, "-", "_")], _ = f.GetString(name)
			}
		}
		if len(patch) == 0 {
			return errors.New("nothing to change: give at least one of --" + strings.Join(profileFlags, ", --"))
		}
		return g.patchUser(ctx, s, args[0], patch, "Updated")
	})
	return cmd
}

// previewUser shows who would lose what by op (update with body, or delete) of a user.
func (g *cli) previewUser(ctx context.Context, s *scope, ref, op string, body any) error {
	id, err := g.resolveUser(ctx, *s, ref)
	if err != nil {
		return err
	}
	return g.preview(ctx, s.org, opIn(s, op, "user", id, body))
}

func (g *cli) patchUser(ctx context.Context, s *scope, ref string, patch map[string]any, done string) error {
	path, err := g.userPath(ctx, s, ref)
	if err != nil {
		return err
	}
	return send(ctx, g, "PATCH", path, patch, func(w io.Writer, u gh.User) {
		fmt.Fprintf(w, "%s user %s (%s); status %s.\n", done, u.Email, u.ID, u.Status)
	})
}

func printUser(w io.Writer, u gh.User) {
	home := "organization"
	if !u.IsOrg() {
		home = "workspace " + string(u.Workspace)
	}
	fields(w, "Email", u.Email, "Name", u.DisplayName(), "ID", string(u.ID), "Home", home, "Status", string(u.Status),
		"Org role", string(u.OrgRole), "Job title", u.JobTitle, "Department", u.Department, "Phone", u.Phone, "Created", day(u.CreatedAt))
}
