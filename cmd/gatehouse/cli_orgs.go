package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// verb makes a subcommand whose body gets the context and arguments.
func (g *cli) verb(use, short string, args cobra.PositionalArgs, fn func(ctx context.Context, args []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: args, RunE: g.run(fn)}
}

// revision is the answer of deletions and other changes without an object.
type revision struct {
	Revision gh.Revision `json:"revision"`
}

func (g *cli) orgsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "orgs", Short: "Partner organizations (the platform operator's job)"}
	cmd.AddCommand(
		g.verb("list", "List the organizations the key can see", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return sendList(ctx, g, "/v1/orgs", nil, func(w io.Writer, l directory.List[*gh.Org]) {
				rows := make([][]string, len(l.Items))
				for i, o := range l.Items {
					rows[i] = []string{o.Slug, o.Name, string(o.Status), day(o.CreatedAt), string(o.ID)}
				}
				table(w, "No organizations.", []string{"SLUG", "NAME", "STATUS", "CREATED", "ID"}, rows)
			})
		}),
		g.verb("get ORG", "Show an organization and what its admins should know", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", "/v1/orgs/"+esc(args[0]), nil, printOrg)
		}),
		g.orgCreate(),
		g.orgUpdate(),
		g.orgStatus("suspend", "Suspend an organization: every check in it is denied", gh.StatusSuspended),
		g.orgStatus("resume", "Reactivate a suspended organization", gh.StatusActive),
		g.orgRecover(),
		g.orgSignIn(),
		g.verb("default-groups ORG [GROUP...]", "Set the groups every new organization user joins (none: clear)", cobra.MinimumNArgs(1),
			func(ctx context.Context, args []string) error {
				groups := append([]string{}, args[1:]...)
				return send(ctx, g, "PATCH", "/v1/orgs/"+esc(args[0]), map[string]any{"default_groups": groups}, func(w io.Writer, o orgView) {
					fmt.Fprintf(w, "Organization %s: %d default group(s).\n", o.Slug, len(o.DefaultGroups))
				})
			}),
		g.orgMFAMethods(),
	)
	return cmd
}

// orgMFAMethods sets the second factors an organization's people may use.
func (g *cli) orgMFAMethods() *cobra.Command {
	return g.verb("mfa-methods ORG [METHOD...]",
		"Set the second factors people may use: totp, passkey, email, sms, with totp or passkey among them (none: totp and passkey)",
		cobra.MinimumNArgs(1), func(ctx context.Context, args []string) error {
			var methods any // none: null, the default
			if len(args) > 1 {
				methods = args[1:]
			}
			patch := map[string]any{"policy": map[string]any{"mfa_methods": methods}}
			return send(ctx, g, "PATCH", "/v1/orgs/"+esc(args[0]), patch, func(w io.Writer, o orgView) {
				fmt.Fprintf(w, "Organization %s: second factors allowed: %s.\n", o.Slug, strings.Join(o.Policy.WithDefaults().MFAMethods, ", "))
			})
		})
}

// orgRecover is the operator's way into an organization its admins are
// locked out of (by address ranges, say).
func (g *cli) orgRecover() *cobra.Command {
	var org string
	var in directory.RecoverInput
	cmd := g.verb("recover --org ORG [--user EMAIL]",
		"Give a locked-out organization a one-hour key for an Organization Admin that works from any address (audited there, and its security contacts are told)",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "POST", "/v1/orgs/"+esc(org)+"/recover", in, func(w io.Writer, k keyView) {
				fmt.Fprintf(w, "Recovery key for user %s, valid until %s from any address (shown once):\n%s\n", k.User, k.ExpiresAt.Format(time.RFC3339), k.Key)
				fmt.Fprintln(w, "It is in the organization's audit log, and its security contacts have been told.")
			})
		})
	cmd.Flags().StringVar(&org, "org", "", "the organization (slug or id)")
	cmd.Flags().StringVar(&in.User, "user", "", "the Organization Admin (email or id); needed when there are several")
	_ = cmd.MarkFlagRequired("org")
	return cmd
}

type orgView struct {
	gh.Org
	Warnings  []string `json:"warnings"`
	SeatsUsed *int     `json:"seats_used"`
}

func printOrg(w io.Writer, o orgView) {
	seats := "" // only its admins and the operator see them
	if o.SeatsUsed != nil {
		seats = seatsText(*o.SeatsUsed, o.Seats)
	}
	fields(w, "Name", o.Name, "Slug", o.Slug, "ID", string(o.ID), "Status", string(o.Status), "Created", day(o.CreatedAt), "Seats", seats)
	for _, warn := range o.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}

func (g *cli) orgCreate() *cobra.Command {
	var in directory.OrgInput
	cmd := g.verb("create NAME --admin-email EMAIL --admin-given-name NAME", "Create an organization and its first Organization Admin", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			in.Name = args[0]
			return send(ctx, g, "POST", "/v1/orgs", in, func(w io.Writer, o struct {
				gh.Org
				Admin gh.User `json:"admin"`
			}) {
				fmt.Fprintf(w, "Created organization %q (%s, %s).\nOrganization Admin: %s (%s)\n", o.Name, o.Slug, o.ID, o.Admin.Email, o.Admin.ID)
				fmt.Fprintf(w, "Give them a key: gatehouse keys create --org %s --user %s\n", o.Slug, o.Admin.Email)
			})
		})
	f := cmd.Flags()
	f.StringVar(&in.Slug, "slug", "", "URL name (derived from the name when empty)")
	f.StringVar(&in.Admin.Email, "admin-email", "", "email of the first Organization Admin")
	f.StringVar(&in.Admin.GivenName, "admin-given-name", "", "given name of the first Organization Admin")
	f.StringVar(&in.Admin.FamilyName, "admin-family-name", "", "family name of the first Organization Admin")
	_ = cmd.MarkFlagRequired("admin-email")
	return cmd
}

// seatsText says how many seats are used: "3 of 5 used", or "unlimited (3 used)".
func seatsText(used, seats int) string {
	if seats == 0 {
		return fmt.Sprintf("unlimited (%d used)", used)
	}
	return fmt.Sprintf("%d of %d used", used, seats)
}

// orgUpdate is the operator's change of an organization's seats.
func (g *cli) orgUpdate() *cobra.Command {
	var seats int
	cmd := g.verb("update ORG --seats N", "Set how many active users an organization may have (the platform operator's job; 0 is unlimited)", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			return send(ctx, g, "PATCH", "/v1/orgs/"+esc(args[0]), map[string]any{"seats": seats}, printOrg)
		})
	cmd.Flags().IntVar(&seats, "seats", 0, "active users the organization may have (0: unlimited)")
	_ = cmd.MarkFlagRequired("seats")
	return cmd
}

func (g *cli) orgStatus(use, short string, st gh.Status) *cobra.Command {
	return g.verb(use+" ORG", short, cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		return send(ctx, g, "PATCH", "/v1/orgs/"+esc(args[0]), map[string]any{"status": st}, func(w io.Writer, o orgView) {
			fmt.Fprintf(w, "Organization %s is %s.\n", o.Slug, o.Status)
		})
	})
}

func (g *cli) workspacesCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "workspaces", Aliases: []string{"ws"}, Short: "Customer workspaces of an organization"}
	bindScope(cmd, s, false, false)
	cmd.AddCommand(
		g.workspaceList(s),
		g.verb("get WORKSPACE", "Show a workspace", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", s.path()+"/workspaces/"+esc(args[0]), nil, func(w io.Writer, ws workspaceView) {
				fields(w, "Name", ws.Name, "Slug", ws.Slug, "ID", string(ws.ID), "Status", string(ws.Status), "Created", day(ws.CreatedAt),
					"Password sign-in", passwordRule(ws.SignIn), "Default role", string(ws.DefaultRole), "Seats", seatsText(ws.SeatsUsed, ws.Seats))
			})
		}),
		g.workspaceCreate(s),
		g.workspaceRename(s),
		g.workspaceUpdate(s),
		g.workspaceStatus(s, "suspend", "Suspend a workspace: every check in it is denied until it is resumed", gh.StatusSuspended),
		g.workspaceStatus(s, "archive", "Archive a workspace: access ends, its data stays", gh.StatusArchived),
		g.workspaceStatus(s, "resume", "Reactivate a suspended or archived workspace", gh.StatusActive),
		g.workspaceDelete(s),
		g.workspaceSignIn(s),
		g.verb("default-role WORKSPACE [ROLE]", "Set the role every new user of the workspace gets (none: clear)", cobra.RangeArgs(1, 2),
			func(ctx context.Context, args []string) error {
				role := ""
				if len(args) == 2 {
					role = args[1]
				}
				return send(ctx, g, "PATCH", s.path()+"/workspaces/"+esc(args[0]), map[string]any{"default_role": role}, func(w io.Writer, ws gh.Workspace) {
					if ws.DefaultRole == "" {
						fmt.Fprintf(w, "Workspace %q has no default role.\n", ws.Name)
						return
					}
					fmt.Fprintf(w, "New users of workspace %q get role %s.\n", ws.Name, ws.DefaultRole)
				})
			}),
	)
	return cmd
}

func (g *cli) workspaceList(s *scope) *cobra.Command {
	var status string
	cmd := g.verb("list", "List workspaces", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		q := url.Values{}
		if status != "" {
			q.Set("status", status)
		}
		return sendList(ctx, g, s.path()+"/workspaces", q, func(w io.Writer, l directory.List[*gh.Workspace]) {
			rows := make([][]string, len(l.Items))
			for i, ws := range l.Items {
				rows[i] = []string{ws.Slug, ws.Name, string(ws.Status), day(ws.CreatedAt), string(ws.ID)}
			}
			table(w, "No workspaces.", []string{"SLUG", "NAME", "STATUS", "CREATED", "ID"}, rows)
		})
	})
	cmd.Flags().StringVar(&status, "status", "", "only active, suspended or archived workspaces")
	return cmd
}

func (g *cli) workspaceCreate(s *scope) *cobra.Command {
	var in directory.WorkspaceInput
	cmd := g.verb("create NAME", "Create a workspace (onboarding templates marked auto-apply assign their groups)", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			in.Name = args[0]
			return send(ctx, g, "POST", s.path()+"/workspaces", in, func(w io.Writer, ws gh.Workspace) {
				fmt.Fprintf(w, "Created workspace %q (%s, %s).\n", ws.Name, ws.Slug, ws.ID)
				fmt.Fprintf(w, "See who has access: gatehouse assignments list --org %s --workspace %s\n", s.org, ws.Slug)
			})
		})
	cmd.Flags().StringVar(&in.Slug, "slug", "", "URL name (derived from the name when empty)")
	return cmd
}

func (g *cli) workspaceRename(s *scope) *cobra.Command {
	var slug string
	cmd := g.verb("rename WORKSPACE NEW-NAME", "Rename a workspace", cobra.ExactArgs(2), func(ctx context.Context, args []string) error {
		patch := map[string]any{"name": args[1]}
		if slug != "" {
			patch["slug"] = slug
		}
		return g.patchWorkspace(ctx, s, args[0], patch)
	})
	cmd.Flags().StringVar(&slug, "slug", "", "new URL name too")
	return cmd
}

// workspaceView is a workspace with how many of its seats are used.
type workspaceView struct {
	gh.Workspace
	SeatsUsed int `json:"seats_used"`
}

func (g *cli) workspaceUpdate(s *scope) *cobra.Command {
	var seats int
	cmd := g.verb("update WORKSPACE --seats N", "Give a workspace a share of the organization's seats (0: no share of its own)", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			return send(ctx, g, "PATCH", s.path()+"/workspaces/"+esc(args[0]), map[string]any{"seats": seats}, func(w io.Writer, ws workspaceView) {
				fmt.Fprintf(w, "Workspace %q (%s): seats %s.\n", ws.Name, ws.Slug, seatsText(ws.SeatsUsed, ws.Seats))
			})
		})
	cmd.Flags().IntVar(&seats, "seats", 0, "the workspace's share of the organization's seats")
	_ = cmd.MarkFlagRequired("seats")
	return cmd
}

func (g *cli) workspaceStatus(s *scope, use, short string, st gh.Status) *cobra.Command {
	var dry bool
	cmd := g.verb(use+" WORKSPACE", short, cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		if dry {
			return g.preview(ctx, s.org, opIn(s, "update", "workspace", args[0], map[string]any{"status": st}))
		}
		return g.patchWorkspace(ctx, s, args[0], map[string]any{"status": st})
	})
	dryRunFlag(cmd, &dry)
	return cmd
}

func (g *cli) patchWorkspace(ctx context.Context, s *scope, ref string, patch map[string]any) error {
	return send(ctx, g, "PATCH", s.path()+"/workspaces/"+esc(ref), patch, func(w io.Writer, ws gh.Workspace) {
		fmt.Fprintf(w, "Workspace %q (%s) is %s.\n", ws.Name, ws.Slug, ws.Status)
	})
}

func (g *cli) workspaceDelete(s *scope) *cobra.Command {
	var yes, dry bool
	cmd := g.verb("delete WORKSPACE --yes", "Delete a workspace with its users, groups, roles and assignments", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			if dry {
				return g.preview(ctx, s.org, opIn(s, "delete", "workspace", args[0], nil))
			}
			if !yes {
				return fmt.Errorf("deleting workspace %s also deletes its users, groups, roles and assignments; add --yes to go ahead", args[0])
			}
			return send(ctx, g, "DELETE", s.path()+"/workspaces/"+esc(args[0]), nil, func(w io.Writer, r revision) {
				fmt.Fprintf(w, "Deleted workspace %s (revision %d).\n", args[0], r.Revision)
			})
		})
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	dryRunFlag(cmd, &dry)
	return cmd
}
