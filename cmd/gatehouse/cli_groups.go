package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (g *cli) groupsCmd() *cobra.Command {
	s := &scope{}
	var dry bool
	remove := g.verb("remove-member GROUP MEMBER...", "Remove users (user:EMAIL) or groups (group:NAME) from a group", cobra.MinimumNArgs(2),
		func(ctx context.Context, args []string) error { return g.changeMembers(ctx, s, args, false, dry) })
	dryRunFlag(remove, &dry)
	cmd := &cobra.Command{Use: "groups", Short: "Groups of an organization, or of one workspace with --workspace"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(
		g.verb("list", "List groups", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return sendList(ctx, g, s.path()+"/groups", nil, func(w io.Writer, l directory.List[*gh.Group]) {
				rows := make([][]string, len(l.Items))
				for i, gr := range l.Items {
					rows[i] = []string{gr.Name, gr.Description, string(gr.ID)}
				}
				table(w, "No groups in "+s.where()+".", []string{"NAME", "DESCRIPTION", "ID"}, rows)
			})
		}),
		g.verb("get GROUP", "Show a group (by name or id)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.groupPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "GET", path, nil, func(w io.Writer, gr gh.Group) {
				fields(w, "Name", gr.Name, "ID", string(gr.ID), "Description", gr.Description, "Created", day(gr.CreatedAt))
			})
		}),
		g.groupCreate(s),
		g.verb("delete GROUP", "Delete a group with its memberships and assignments", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.groupPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "DELETE", path, nil, func(w io.Writer, _ revision) { fmt.Fprintf(w, "Deleted group %s.\n", args[0]) })
		}),
		g.verb("members GROUP", "List a group's direct members", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.groupPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			return sendList(ctx, g, path+"/members", nil, func(w io.Writer, l directory.List[directory.Member]) {
				rows := make([][]string, len(l.Items))
				for i, m := range l.Items {
					rows[i] = []string{string(m.Type), m.Name, m.ID}
				}
				table(w, "Group "+args[0]+" has no members.", []string{"TYPE", "NAME", "ID"}, rows)
			})
		}),
		g.verb("add-member GROUP MEMBER...", "Add users (user:EMAIL) or groups (group:NAME) to a group", cobra.MinimumNArgs(2),
			func(ctx context.Context, args []string) error { return g.changeMembers(ctx, s, args, true, false) }),
		remove,
	)
	return cmd
}

// groupPath is the API path of a group of the scope given by name or id.
func (g *cli) groupPath(ctx context.Context, s *scope, ref string) (string, error) {
	id, err := g.resolveGroup(ctx, *s, ref)
	return s.path() + "/groups/" + esc(id), err
}

func (g *cli) groupCreate(s *scope) *cobra.Command {
	var in directory.GroupInput
	cmd := g.verb("create NAME", "Create a group", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		in.Name = args[0]
		return send(ctx, g, "POST", s.path()+"/groups", in, func(w io.Writer, gr gh.Group) {
			fmt.Fprintf(w, "Created group %q (%s) in %s.\n", gr.Name, gr.ID, s.where())
		})
	})
	cmd.Flags().StringVar(&in.Description, "description", "", "what the group is for")
	return cmd
}

// changeMembers adds or removes each member in turn, stopping at the first
// error; with dry, it shows who would lose what by their removal instead.
// Members share the group's home, so they are looked up in the group's scope.
func (g *cli) changeMembers(ctx context.Context, s *scope, args []string, add, dry bool) error {
	id, err := g.resolveGroup(ctx, *s, args[0])
	if err != nil {
		return err
	}
	path := s.path() + "/groups/" + esc(id)
	var ops []directory.BatchOp
	for _, arg := range args[1:] {
		typ, ref, err := parseMember(arg)
		if err != nil {
			return err
		}
		p, err := g.resolveIn(ctx, *s, typ, ref)
		if err != nil {
			return err
		}
		if dry {
			ops = append(ops, opIn(s, "delete", "membership", id, map[string]any{"member": p}))
			continue
		}
		method, target, body := "POST", path+"/members", any(map[string]any{"member": p})
		if !add {
			method, target, body = "DELETE", path+"/members/"+esc(string(p.Type))+"/"+esc(p.ID), nil
		}
		err = send(ctx, g, method, target, body, func(w io.Writer, r struct {
			Created bool `json:"created"`
		}) {
			switch {
			case !add:
				fmt.Fprintf(w, "Removed %s from %s.\n", arg, args[0])
			case r.Created:
				fmt.Fprintf(w, "Added %s to %s.\n", arg, args[0])
			default:
				fmt.Fprintf(w, "%s was already in %s.\n", arg, args[0])
			}
		})
		if err != nil {
			return err
		}
	}
	if dry {
		return g.preview(ctx, s.org, ops...)
	}
	return nil
}
