package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/ldap"
	"gatehouse.dev/gatehouse/provision"
)

// bindPasswordEnv passes an LDAP bind password without putting it on the
// command line.
const bindPasswordEnv = "GATEHOUSE_LDAP_BIND_PASSWORD"

func (g *cli) directoriesCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "directories", Short: "Connected directories (SCIM, LDAP / Active Directory) that provision the people of an organization, or of one workspace with --workspace"}
	bindScope(cmd, s, true, false)
	base := func() string { return s.path() + "/directories" }
	cmd.AddCommand(
		g.verb("list", "List connected directories", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", base(), nil, func(w io.Writer, l directory.List[*provision.View]) {
				rows := make([][]string, len(l.Items))
				for i, x := range l.Items {
					rows[i] = []string{x.Name, string(x.Type), enabled(x.Disabled), string(x.ID)}
				}
				table(w, "No directories connected to "+s.where()+".", []string{"NAME", "TYPE", "STATUS", "ID"}, rows)
			})
		}),
		g.verb("show ID", "Show a connected directory", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", base()+"/"+esc(args[0]), nil, func(w io.Writer, v provision.View) { printDirectory(w, &v) })
		}),
		g.directoriesAdd(s, base),
		g.verb("remove ID", "Disconnect a directory (what it provisioned becomes Gatehouse's own)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "DELETE", base()+"/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Disconnected directory %s.\n", args[0])
			})
		}),
		g.verb("token ID", "Make another SCIM token, shown once (older ones work until revoked)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "POST", base()+"/"+esc(args[0])+"/tokens", nil, func(w io.Writer, t struct {
				ID    string `json:"id"`
				Token string `json:"token"`
			}) {
				fields(w, "Token ID", t.ID, "Token (shown once)", t.Token)
			})
		}),
		g.verb("tokens ID", "List a SCIM directory's tokens", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", base()+"/"+esc(args[0])+"/tokens", nil, func(w io.Writer, l directory.List[*gh.DirectoryToken]) {
				rows := make([][]string, len(l.Items))
				for i, t := range l.Items {
					rows[i] = []string{t.ID, day(t.CreatedAt)}
				}
				table(w, "No tokens.", []string{"ID", "CREATED"}, rows)
			})
		}),
		g.verb("revoke ID TOKEN_ID", "Revoke a SCIM token", cobra.ExactArgs(2), func(ctx context.Context, args []string) error {
			return send(ctx, g, "DELETE", base()+"/"+esc(args[0])+"/tokens/"+esc(args[1]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Revoked token %s.\n", args[1])
			})
		}),
		g.directoriesSync(s, base),
		g.verb("release ID", "Let a held SCIM directory's disables and deletions through again", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "POST", base()+"/"+esc(args[0])+"/release", nil, func(w io.Writer, v provision.View) {
				fmt.Fprintf(w, "Released %s: its removals go through again.\n", v.Name)
			})
		}),
		g.verb("history ID", "A directory's last syncs, token and settings changes", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", base()+"/"+esc(args[0])+"/history", nil, func(w io.Writer, l directory.List[*gh.Event]) {
				rows := make([][]string, len(l.Items))
				for i, ev := range l.Items {
					rows[i] = []string{ev.Time.UTC().Format("2006-01-02 15:04:05"), ev.Action, ev.Detail}
				}
				table(w, "Nothing yet.", []string{"TIME", "ACTION", "DETAIL"}, rows)
			})
		}),
	)
	return cmd
}

func printDirectory(w io.Writer, x *provision.View) {
	status := enabled(x.Disabled)
	if x.Held {
		status += ", removals held (gatehouse directories release)"
	}
	pairs := []string{"Name", x.Name, "ID", string(x.ID), "Type", string(x.Type), "Status", status,
		"Adopts existing users", yesNo(x.AdoptExisting)}
	if x.SCIMBaseURL != "" {
		pairs = append(pairs, "SCIM base URL", x.SCIMBaseURL)
	}
	if x.Token != "" {
		pairs = append(pairs, "Token (shown once)", x.Token)
	}
	if l := x.LDAP; l != nil {
		pairs = append(pairs, "URL", l.URL, "StartTLS", yesNo(l.StartTLS), "Bind DN", l.BindDN, "Base DN", l.BaseDN,
			"User filter", l.UserFilter, "Group filter", l.GroupFilter, "Every", strconv.Itoa(l.IntervalMinutes)+" minutes (0: on demand)")
	}
	fields(w, pairs...)
}

func (g *cli) directoriesAdd(s *scope, base func() string) *cobra.Command {
	var in provision.Input
	var typ string
	cmd := g.verb("add", "Connect a directory: --type scim --name N, or --type ldap with the server's settings", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		in.Type = gh.DirectoryType(typ)
		switch {
		case in.Name == "":
			return usageError{"--name is required"}
		case in.Type == gh.DirectoryLDAP && (in.URL == "" || in.BaseDN == ""):
			return usageError{"an LDAP directory needs --url and --base-dn"}
		case in.Type != gh.DirectorySCIM && in.Type != gh.DirectoryLDAP:
			return usageError{`--type must be "scim" or "ldap"`}
		}
		if in.Type == gh.DirectoryLDAP {
			in.BindPassword = os.Getenv(bindPasswordEnv)
		}
		return send(ctx, g, "POST", base(), in, func(w io.Writer, v provision.View) { printDirectory(w, &v) })
	})
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "scim or ldap")
	f.StringVar(&in.Name, "name", "", "the directory's name")
	f.BoolVar(&in.AdoptExisting, "adopt-existing", false, "take over existing users with the same email")
	f.StringVar(&in.OnDisappear, "on-disappear", "", "disable (default) or delete people who leave the directory")
	f.IntVar(&in.RemovalThreshold, "removal-threshold", 0, "people one sync or an hour of SCIM may disable or delete before the rest waits for an admin (0: 200, or a tenth of the directory)")
	f.StringVar(&in.URL, "url", "", "LDAP: ldap://host:389 or ldaps://host:636")
	f.BoolVar(&in.StartTLS, "start-tls", false, "LDAP: upgrade the connection with StartTLS")
	f.StringVar(&in.BindDN, "bind-dn", "", "LDAP: the DN to bind as (its password from "+bindPasswordEnv+")")
	f.StringVar(&in.BaseDN, "base-dn", "", "LDAP: where users and groups are searched")
	f.StringVar(&in.UserFilter, "user-filter", "", "LDAP: the users' search filter")
	f.StringVar(&in.GroupFilter, "group-filter", "", "LDAP: the groups' search filter")
	f.IntVar(&in.IntervalMinutes, "interval", 0, "LDAP: minutes between syncs (0: on demand)")
	return cmd
}

func (g *cli) directoriesSync(s *scope, base func() string) *cobra.Command {
	var dry, release bool
	cmd := g.verb("sync ID", "Sync an LDAP directory now (--dry-run: say what would change, change nothing; --release: apply a sync held for removing many people)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		path := base() + "/" + esc(args[0]) + "/sync"
		switch {
		case dry && release:
			return usageError{"--dry-run and --release do not go together"}
		case dry:
			path += "?dry_run=true"
		case release:
			path += "?release=true"
		}
		return send(ctx, g, "POST", path, nil, func(w io.Writer, r ldap.Report) {
			what := "Synced"
			if r.DryRun {
				what = "Would sync (dry run, nothing changed)"
			}
			fmt.Fprintf(w, "%s: %s\n", what, r.Summary())
			for _, e := range r.Errors {
				fmt.Fprintln(w, "  "+e.DN+": "+e.Reason)
			}
		})
	})
	cmd.Flags().BoolVar(&dry, "dry-run", false, "say what would change and change nothing")
	cmd.Flags().BoolVar(&release, "release", false, "apply a sync that was held for removing more people than the threshold")
	return cmd
}
