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

func (g *cli) capabilitiesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "capabilities", Short: "The capability catalogue, and the workspace capabilities the operator adds to it"}
	var builtin []string
	var description string
	add := g.verb("add ID --description TEXT [--builtin ROLE=LEVEL...]", "Add a workspace capability (operator key); Admin holds it in full",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			in := directory.CapabilityInput{ID: gh.Capability(args[0]), Description: description, BuiltinGrants: map[gh.RoleID]gh.Level{}}
			for _, f := range builtin {
				role, level, ok := strings.Cut(f, "=")
				var l gh.Level
				if !ok || l.UnmarshalText([]byte(level)) != nil {
					return fmt.Errorf("--builtin %q: write ROLE=full or ROLE=limited, e.g. incident_responder=full", f)
				}
				in.BuiltinGrants[gh.RoleID(role)] = l
			}
			return send(ctx, g, "POST", "/v1/capabilities/custom", in, func(w io.Writer, c gh.CustomCapability) {
				fmt.Fprintf(w, "Added capability %s; Admin and %d other built-in role(s) hold it.\n", c.ID, len(c.BuiltinGrants))
			})
		})
	add.Flags().StringVar(&description, "description", "", "what the capability allows")
	add.Flags().StringSliceVar(&builtin, "builtin", nil, "ROLE=full|limited for a built-in role other than Admin, repeatable")
	cmd.AddCommand(
		g.verb("list", "List every capability, built-in and added", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", "/v1/capabilities", nil, func(w io.Writer, l directory.List[gh.CapabilityInfo]) {
				rows := make([][]string, len(l.Items))
				for i, c := range l.Items {
					origin := "built-in"
					if c.Custom {
						origin = "added"
					}
					rows[i] = []string{string(c.ID), string(c.Scope), origin, c.Description}
				}
				table(w, "No capabilities.", []string{"CAPABILITY", "SCOPE", "ORIGIN", "DESCRIPTION"}, rows)
			})
		}),
		add,
		g.verb("remove ID", "Remove an added capability that no custom role grants (operator key)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "DELETE", "/v1/capabilities/custom/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Removed capability %s.\n", args[0])
			})
		}),
	)
	return cmd
}
