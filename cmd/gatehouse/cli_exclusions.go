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

func (g *cli) exclusionsCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "exclusions",
		Short: "Take capabilities away from a user, group or email in a workspace (--workspace) or in every workspace; an exclusion wins over every role"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(g.excludeCmd(s),
		g.verb("list", "List the exclusions of the organization, or of one workspace", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", s.path()+"/exclusions", nil, func(w io.Writer, l directory.List[*gh.Exclusion]) {
				rows := make([][]string, len(l.Items))
				for i, e := range l.Items {
					rows[i] = []string{excluded(e), excludedWhat(e), excludedWhere(e, s), string(e.SetBy), e.Reason, string(e.ID)}
				}
				table(w, "No exclusions in "+s.where()+".", []string{"WHO", "TAKES AWAY", "WHERE", "SET BY", "REASON", "ID"}, rows)
			})
		}),
		g.verb("show ID", "Show an exclusion", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", s.path()+"/exclusions/"+esc(args[0]), nil, func(w io.Writer, e gh.Exclusion) {
				fields(w, "ID", string(e.ID), "Who", excluded(&e), "Takes away", excludedWhat(&e), "Where", excludedWhere(&e, s),
					"Set by", string(e.SetBy), "Reason", e.Reason, "Since", day(e.CreatedAt))
			})
		}),
		g.verb("lift ID", "Lift an exclusion (one a workspace set is lifted only by that workspace's managers)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "DELETE", s.path()+"/exclusions/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Lifted exclusion %s.\n", args[0])
			})
		}),
	)
	return cmd
}

func (g *cli) excludeCmd(s *scope) *cobra.Command {
	var p principalFlags
	var in directory.ExclusionInput
	var caps []string
	cmd := g.verb("add (--user EMAIL | --group NAME | --email ADDRESS) [--capability C]... [--reason TEXT]",
		"Exclude a user, a group or whoever has an email address; without --capability, from everything", cobra.NoArgs,
		func(ctx context.Context, _ []string) error {
			if in.Email == "" {
				if p.user == "" && p.group == "" {
					return usagef("name who to exclude: --user, --group or --email")
				}
				pr, err := p.resolve(ctx, g, *s)
				if err != nil {
					return err
				}
				in.Principal = &pr
			}
			for _, c := range caps {
				in.Capabilities = append(in.Capabilities, gh.Capability(c))
			}
			return send(ctx, g, "POST", s.path()+"/exclusions", in, func(w io.Writer, e gh.Exclusion) {
				fmt.Fprintf(w, "Excluded %s from %s in %s (exclusion %s, set by the %s).\n",
					excluded(&e), excludedWhat(&e), excludedWhere(&e, s), e.ID, e.SetBy)
			})
		})
	p.bind(cmd, false)
	f := cmd.Flags()
	f.StringVar(&in.Email, "email", "", "exclude whoever signs in with this address (no need to see the person)")
	f.StringSliceVar(&caps, "capability", nil, "a capability to take away (repeat; none: all)")
	f.StringVar(&in.Reason, "reason", "", "why, for the audit log and the people told")
	cmd.MarkFlagsMutuallyExclusive("user", "group", "email")
	return cmd
}

func excluded(e *gh.Exclusion) string {
	if e.Principal == nil {
		return "email " + e.Email
	}
	return string(e.Principal.Type) + " " + e.Principal.ID
}

func excludedWhat(e *gh.Exclusion) string {
	if len(e.Capabilities) == 0 {
		return "everything"
	}
	out := make([]string, len(e.Capabilities))
	for i, c := range e.Capabilities {
		out[i] = string(c)
	}
	return strings.Join(out, ", ")
}

// excludedWhere names where e holds, by the slug the command was given when it can.
func excludedWhere(e *gh.Exclusion, s *scope) string {
	switch {
	case e.Workspace == "":
		return "every workspace"
	case s.ws != "":
		return "workspace " + s.ws
	}
	return "workspace " + string(e.Workspace)
}
