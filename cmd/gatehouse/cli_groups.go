package main

import (
	"context"
	"fmt"
	"io"
	"strings"

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
		g.groupGet(s),
		g.groupCreate(s),
		g.groupUpdate(s),
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

func (g *cli) groupGet(s *scope) *cobra.Command {
	cmd := g.verb("get GROUP", "Show a group (by name or id) and the provider groups it follows", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		path, err := g.groupPath(ctx, s, args[0])
		if err != nil {
			return err
		}
		return send(ctx, g, "GET", path, nil, func(w io.Writer, gr gh.Group) {
			fields(w, "Name", gr.Name, "ID", string(gr.ID), "Description", gr.Description, "Created", day(gr.CreatedAt))
			if len(gr.External) > 0 {
				rows := make([][]string, len(gr.External))
				for i, e := range gr.External {
					rows[i] = []string{string(e.Provider), e.Value}
				}
				fmt.Fprintln(w, "\nMembers follow these identity provider groups at each sign-in:")
				table(w, "", []string{"PROVIDER", "EXTERNAL GROUP"}, rows)
			}
		})
	})
	cmd.Aliases = []string{"show"}
	return cmd
}

const externalUsage = "PROVIDER_ID=VALUE: members follow this identity provider group (its name, object id or DN), repeatable"

// parseExternal reads --external PROVIDER_ID=VALUE flags.
func parseExternal(vals []string) ([]gh.ExternalGroup, error) {
	out := make([]gh.ExternalGroup, 0, len(vals))
	for _, v := range vals {
		p, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(p) == "" || strings.TrimSpace(val) == "" {
			return nil, usagef("--external %q: write PROVIDER_ID=VALUE, such as idp_123=SOC-Analysts (gatehouse idp list shows the ids)", v)
		}
		out = append(out, gh.ExternalGroup{Provider: gh.ProviderID(strings.TrimSpace(p)), Value: strings.TrimSpace(val)})
	}
	return out, nil
}

func (g *cli) groupCreate(s *scope) *cobra.Command {
	var in directory.GroupInput
	var external []string
	cmd := g.verb("create NAME", "Create a group", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		in.Name = args[0]
		ext, err := parseExternal(external)
		if err != nil {
			return err
		}
		if len(ext) > 0 {
			in.External = ext
		}
		return send(ctx, g, "POST", s.path()+"/groups", in, func(w io.Writer, gr gh.Group) {
			fmt.Fprintf(w, "Created group %q (%s) in %s.\n", gr.Name, gr.ID, s.where())
		})
	})
	cmd.Flags().StringVar(&in.Description, "description", "", "what the group is for")
	cmd.Flags().StringArrayVar(&external, "external", nil, externalUsage)
	cmd.Flags().StringVar(&in.Rule, "rule", "", ruleUsage)
	return cmd
}

const ruleUsage = `membership rule: users of the group's home who satisfy it are members, e.g. 'department == "SOC" && certified("GCIH")'`

func (g *cli) groupUpdate(s *scope) *cobra.Command {
	var name, description, rule string
	var external []string
	var clear bool
	var cmd *cobra.Command
	cmd = g.verb("update GROUP", "Rename a group, change its description or the provider groups it follows", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		f := cmd.Flags()
		var patch directory.GroupPatch
		if f.Changed("name") {
			patch.Name = &name
		}
		if f.Changed("description") {
			patch.Description = &description
		}
		if f.Changed("rule") {
			patch.Rule = &rule
		}
		switch {
		case clear && len(external) > 0:
			return usagef("give --external or --clear-external, not both")
		case clear:
			patch.External = &[]gh.ExternalGroup{}
		case len(external) > 0:
			ext, err := parseExternal(external)
			if err != nil {
				return err
			}
			patch.External = &ext
		}
		if patch.Name == nil && patch.Description == nil && patch.External == nil && patch.Rule == nil {
			return usagef("nothing to change: give --name, --description, --rule, --external or --clear-external")
		}
		path, err := g.groupPath(ctx, s, args[0])
		if err != nil {
			return err
		}
		return send(ctx, g, "PATCH", path, patch, func(w io.Writer, gr gh.Group) {
			fmt.Fprintf(w, "Updated group %q (%s); it follows %d provider group(s).\n", gr.Name, gr.ID, len(gr.External))
			if gr.Rule != "" {
				fmt.Fprintf(w, "Its members also include everyone of its home who satisfies: %s\n", gr.Rule)
			}
		})
	})
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&description, "description", "", "new description")
	cmd.Flags().StringArrayVar(&external, "external", nil, externalUsage+"; replaces the list")
	cmd.Flags().BoolVar(&clear, "clear-external", false, "follow no provider group any more")
	cmd.Flags().StringVar(&rule, "rule", "", ruleUsage+`; "" removes it`)
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
