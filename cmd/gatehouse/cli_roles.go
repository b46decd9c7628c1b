package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (g *cli) rolesCmd() *cobra.Command {
	s := &scope{}
	var dry bool
	del := g.verb("delete ROLE", "Delete a custom role that nothing uses", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		if err := s.needOrg(); err != nil {
			return err
		}
		// The API deletes by id only; GET accepts names too.
		var r gh.Role
		if err := g.callInto(ctx, "GET", s.path()+"/roles/"+esc(args[0]), nil, &r); err != nil {
			return err
		}
		if dry {
			return g.preview(ctx, s.org, opIn(s, "delete", "role", string(r.ID), nil))
		}
		return send(ctx, g, "DELETE", s.path()+"/roles/"+esc(string(r.ID)), nil, func(w io.Writer, _ revision) {
			fmt.Fprintf(w, "Deleted role %q.\n", r.Name)
		})
	})
	dryRunFlag(del, &dry)
	cmd := &cobra.Command{Use: "roles", Short: "Built-in roles, and custom roles of an organization or one workspace"}
	cmd.PersistentFlags().StringVar(&s.org, "org", savedOrg, "organization slug or id (not needed with --builtin)")
	cmd.PersistentFlags().StringVarP(&s.ws, "workspace", "w", "", "workspace slug or id, for the workspace's own roles")
	cmd.AddCommand(
		g.roleList(s),
		g.verb("get ROLE", "Show a role and its grants (built-in id, or name or id)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path := "/v1/roles/" + esc(args[0]) // without --org: the built-in roles
			if s.org != "" {
				path = s.path() + "/roles/" + esc(args[0])
			}
			return send(ctx, g, "GET", path, nil, printRole)
		}),
		g.roleCreate(s),
		del,
	)
	return cmd
}

// needOrg reports a missing --org where only --builtin does without it.
func (s *scope) needOrg() error {
	if s.org == "" {
		return errors.New(`required flag(s) "org" not set (or use --builtin for the built-in roles)`)
	}
	return nil
}

func (g *cli) roleList(s *scope) *cobra.Command {
	var builtin bool
	cmd := g.verb("list", "List the custom roles defined at the organization or workspace (--builtin: the built-in ones)", cobra.NoArgs,
		func(ctx context.Context, _ []string) error {
			path, empty := "/v1/roles", "No built-in roles."
			if !builtin {
				if err := s.needOrg(); err != nil {
					return err
				}
				path, empty = s.path()+"/roles", "No custom roles in "+s.where()+" (see --builtin for the built-in ones)."
			}
			return sendList(ctx, g, path, nil, func(w io.Writer, l directory.List[*gh.Role]) {
				rows := make([][]string, len(l.Items))
				for i, r := range l.Items {
					rows[i] = []string{r.Name, fmt.Sprint(len(r.Grants)), string(r.BasedOn), r.Description, string(r.ID)}
				}
				table(w, empty, []string{"NAME", "GRANTS", "BASED ON", "DESCRIPTION", "ID"}, rows)
			})
		})
	cmd.Flags().BoolVar(&builtin, "builtin", false, "list the built-in roles")
	return cmd
}

func (g *cli) roleCreate(s *scope) *cobra.Command {
	var in directory.RoleInput
	var grants []string
	cmd := g.verb("create NAME (--grant CAPABILITY=LEVEL... | --from ROLE)", "Create a custom role from grants, or as a copy of another role", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			if err := s.needOrg(); err != nil {
				return err
			}
			in.Name = args[0]
			if err := g.roleGrants(ctx, s, &in, grants); err != nil {
				return err
			}
			return send(ctx, g, "POST", s.path()+"/roles", in, func(w io.Writer, r gh.Role) {
				fmt.Fprintf(w, "Created role %q (%s) in %s with %d grant(s).\n", r.Name, r.ID, s.where(), len(r.Grants))
			})
		})
	cmd.Flags().StringVar(&in.Description, "description", "", "what the role is for")
	cmd.Flags().StringVar(&in.BasedOn, "from", "", "copy the grants of this role (built-in id, or name or id of a custom role)")
	cmd.Flags().StringSliceVar(&grants, "grant", nil, "CAPABILITY=full|limited, repeatable; with --from, changes the copy (=none removes a grant)")
	return cmd
}

// roleGrants fills in.Grants from --grant flags, on top of the grants of the
// --from role when both are given (the API would take the flags alone).
func (g *cli) roleGrants(ctx context.Context, s *scope, in *directory.RoleInput, flags []string) error {
	if len(flags) == 0 {
		if in.BasedOn == "" {
			return errors.New("give the role's grants with --grant CAPABILITY=full|limited (repeatable), or copy a role with --from ROLE")
		}
		return nil
	}
	in.Grants = map[gh.Capability]gh.Level{}
	if in.BasedOn != "" {
		var base gh.Role
		if err := g.callInto(ctx, "GET", s.path()+"/roles/"+esc(in.BasedOn), nil, &base); err != nil {
			return fmt.Errorf("--from %s: %w", in.BasedOn, err)
		}
		for c, l := range base.Grants {
			in.Grants[c] = l
		}
	}
	for _, f := range flags {
		c, lvl, ok := strings.Cut(f, "=")
		var l gh.Level
		if !ok || c == "" || l.UnmarshalText([]byte(lvl)) != nil {
			return fmt.Errorf("--grant %q: write CAPABILITY=full, CAPABILITY=limited or, with --from, CAPABILITY=none", f)
		}
		if l == gh.LevelNone {
			delete(in.Grants, gh.Capability(c))
			continue
		}
		in.Grants[gh.Capability(c)] = l
	}
	return nil
}

func printRole(w io.Writer, r gh.Role) {
	kind := "custom"
	if r.Builtin {
		kind = "built-in"
	}
	fields(w, "Name", r.Name, "ID", string(r.ID), "Kind", kind, "Workspace", string(r.Workspace), "Based on", string(r.BasedOn), "Description", r.Description)
	rows := [][]string{}
	for _, c := range gh.SortedCapabilities(r.Grants) {
		rows = append(rows, []string{string(c), r.Grants[c].String()})
	}
	fmt.Fprintln(w)
	table(w, "No grants.", []string{"CAPABILITY", "LEVEL"}, rows)
}

// principalFlags are --user and --group, at most one of them.
type principalFlags struct{ user, group string }

func (p *principalFlags) bind(cmd *cobra.Command, required bool) {
	cmd.Flags().StringVar(&p.user, "user", "", "user email or id")
	cmd.Flags().StringVar(&p.group, "group", "", "group name or id")
	cmd.MarkFlagsMutuallyExclusive("user", "group")
	if required {
		cmd.MarkFlagsOneRequired("user", "group")
	}
}

func (p *principalFlags) resolve(ctx context.Context, g *cli, s scope) (gh.Principal, error) {
	if p.user != "" {
		return g.resolvePrincipal(ctx, s, gh.PrincipalUser, p.user)
	}
	return g.resolvePrincipal(ctx, s, gh.PrincipalGroup, p.group)
}

func (g *cli) assignCmd() *cobra.Command {
	s := &scope{}
	var p principalFlags
	var role string
	cmd := g.verb("assign --org ORG --workspace WS (--user EMAIL | --group NAME) --role ROLE",
		"Give a user or group a role in a workspace (replacing the role it had there)", cobra.NoArgs,
		func(ctx context.Context, _ []string) error {
			pr, err := p.resolve(ctx, g, *s)
			if err != nil {
				return err
			}
			return send(ctx, g, "POST", s.path()+"/assignments", map[string]any{"principal": pr, "role": role}, func(w io.Writer, a directory.AssignmentView) {
				fmt.Fprintf(w, "%s %s now has role %s in workspace %s (assignment %s).\n", a.Principal.Type, a.PrincipalName, a.RoleName, s.ws, a.ID)
			})
		})
	bindScope(cmd, s, true, true)
	p.bind(cmd, true)
	cmd.Flags().StringVar(&role, "role", "", "built-in role id, or name or id of a role usable in the workspace")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func (g *cli) assignmentsCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "assignments", Short: "Who has which role in a workspace"}
	bindScope(cmd, s, true, true)
	var p principalFlags
	var dry bool
	del := g.verb("delete [ASSIGNMENT-ID] [--user EMAIL | --group NAME]", "Remove an assignment, by id or by its user or group", cobra.MaximumNArgs(1),
		func(ctx context.Context, args []string) error {
			id, err := g.assignmentID(ctx, *s, p, args)
			if err != nil {
				return err
			}
			if dry {
				return g.preview(ctx, s.org, opIn(s, "delete", "assignment", id, nil))
			}
			return send(ctx, g, "DELETE", s.path()+"/assignments/"+esc(id), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Removed assignment %s from workspace %s.\n", id, s.ws)
			})
		})
	p.bind(del, false)
	dryRunFlag(del, &dry)
	cmd.AddCommand(
		g.verb("list", "List the assignments of a workspace", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return sendList(ctx, g, s.path()+"/assignments", nil, func(w io.Writer, l directory.List[directory.AssignmentView]) {
				rows := make([][]string, len(l.Items))
				for i, a := range l.Items {
					rows[i] = []string{string(a.Principal.Type), a.PrincipalName, a.RoleName, day(a.UpdatedAt), string(a.ID)}
				}
				table(w, "Nobody is assigned to workspace "+s.ws+".", []string{"TYPE", "NAME", "ROLE", "SINCE", "ID"}, rows)
			})
		}),
		del,
	)
	return cmd
}

// assignmentID is the id given, or the id of the assignment of --user or --group.
func (g *cli) assignmentID(ctx context.Context, s scope, p principalFlags, args []string) (string, error) {
	switch {
	case len(args) == 1 && (p.user != "" || p.group != ""):
		return "", errors.New("give an assignment id or --user/--group, not both")
	case len(args) == 1:
		return args[0], nil
	case p.user == "" && p.group == "":
		return "", errors.New("give the assignment id, or --user EMAIL or --group NAME (see gatehouse assignments list)")
	}
	pr, err := p.resolve(ctx, g, s)
	if err != nil {
		return "", err
	}
	list, err := listInto[directory.AssignmentView](ctx, g, s.path()+"/assignments", nil)
	if err != nil {
		return "", err
	}
	for _, a := range list {
		if a.Principal == pr {
			return string(a.ID), nil
		}
	}
	return "", fmt.Errorf("%s %s has no assignment in workspace %s", pr.Type, first(p.user, p.group), s.ws)
}
