package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"gatehouse.dev/gatehouse/directory"
)

// reportsCmd prints activity reports, or writes them as CSV with --csv.
func (g *cli) reportsCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "reports", Short: "Activity reports: a user's, a workspace's, inactive accounts"}
	bindScope(cmd, s, true, false)
	var csv bool
	cmd.PersistentFlags().BoolVar(&csv, "csv", false, "write the report as CSV to standard output")
	cmd.AddCommand(g.reportUser(s, &csv), g.reportWorkspace(s, &csv), g.reportInactive(s, &csv))
	return cmd
}

// period binds --since and --until to the query of a report.
type period struct{ since, until string }

func (p *period) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.since, "since", "", "from a time (2026-01-31 or 2026-01-31T12:00:00Z) or a duration ago (7d); 30 days before --until by default")
	cmd.Flags().StringVar(&p.until, "until", "", "up to a time or a duration ago; now by default")
}

func (p *period) query() (url.Values, error) {
	q := url.Values{}
	for name, v := range map[string]string{"since": p.since, "until": p.until} {
		if v != "" {
			t, err := parseWhen(v, time.Now(), -1)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", name, err)
			}
			q.Set(name, t.UTC().Format(time.RFC3339))
		}
	}
	return q, nil
}

// fetchReport fetches a report: CSV to standard output, or rendered.
func fetchReport[T any](ctx context.Context, g *cli, csv bool, path string, q url.Values, render func(io.Writer, T)) error {
	if csv {
		q.Set("format", "csv")
		return g.csvExport(ctx, path, q)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return send(ctx, g, "GET", path, nil, render)
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return day(*t)
}

func (g *cli) reportUser(s *scope, csv *bool) *cobra.Command {
	var p period
	cmd := g.verb("user USER", "A user's last sign-in, sign-ins and changes over a period, and its API keys (USER: email or id)",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			q, err := p.query()
			if err != nil {
				return err
			}
			return fetchReport(ctx, g, *csv, s.path()+"/reports/users/"+url.PathEscape(args[0]), q, func(w io.Writer, r directory.UserReport) {
				fmt.Fprintf(w, "%s (%s), %s to %s\n", r.User.Email, r.User.Name, day(r.Period.Since), day(r.Period.Until))
				fmt.Fprintf(w, "Last sign-in: %s. Sign-ins in the period: %d, failed: %d.\n\n", when(r.LastSignIn), r.SignIns, r.Failures)
				rows := make([][]string, len(r.Changes))
				for i, c := range r.Changes {
					rows[i] = []string{day(c.Time), c.Action, c.By, string(c.Target.Type) + " " + c.Target.ID}
				}
				table(w, "No changes in the period.", []string{"TIME", "ACTION", "BY", "TARGET"}, rows)
				rows = make([][]string, len(r.Keys))
				for i, k := range r.Keys {
					rows[i] = []string{k.Name, k.Prefix, day(k.CreatedAt), when(k.LastUsedAt)}
				}
				fmt.Fprintln(w)
				table(w, "No API keys.", []string{"KEY", "PREFIX", "CREATED", "LAST USED"}, rows)
			})
		})
	p.bind(cmd)
	return cmd
}

func (g *cli) reportWorkspace(s *scope, csv *bool) *cobra.Command {
	var p period
	cmd := g.verb("workspace", "Who holds which role in a workspace (-w) since when, and who signed in over a period",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			if s.ws == "" {
				return fmt.Errorf("name the workspace with --workspace")
			}
			q, err := p.query()
			if err != nil {
				return err
			}
			return fetchReport(ctx, g, *csv, s.path()+"/reports/workspace", q, func(w io.Writer, r directory.WorkspaceReport) {
				rows := make([][]string, len(r.Roles))
				for i, h := range r.Roles {
					via := h.Via
					if via == "" {
						via = "directly"
					}
					rows[i] = []string{h.User.Name, h.User.Email, h.Role, via, day(h.Since)}
				}
				table(w, "Nobody holds a role here.", []string{"NAME", "EMAIL", "ROLE", "VIA", "SINCE"}, rows)
				fmt.Fprintf(w, "\nSign-ins from %s to %s:\n", day(r.Period.Since), day(r.Period.Until))
				rows = make([][]string, len(r.SignIns))
				for i, c := range r.SignIns {
					rows[i] = []string{c.User.Name, c.User.Email, fmt.Sprint(c.SignIns), fmt.Sprint(c.Failures), when(c.LastSignIn)}
				}
				table(w, "Nobody signed in.", []string{"NAME", "EMAIL", "SIGN-INS", "FAILED", "LAST SIGN-IN"}, rows)
			})
		})
	p.bind(cmd)
	return cmd
}

func (g *cli) reportInactive(s *scope, csv *bool) *cobra.Command {
	var days int
	cmd := g.verb("inactive", "People with no sign-in for --days days (never signed in counts); disable them with bulk --filter inactive_days=N",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			q := url.Values{"days": {fmt.Sprint(days)}}
			return fetchReport(ctx, g, *csv, s.path()+"/reports/inactive", q, func(w io.Writer, l directory.List[directory.InactiveUser]) {
				rows := make([][]string, len(l.Items))
				for i, r := range l.Items {
					created := ""
					if r.User.CreatedAt != nil {
						created = day(*r.User.CreatedAt)
					}
					rows[i] = []string{r.User.Email, r.User.Name, string(r.User.Status), created, when(r.LastSignIn)}
				}
				table(w, "No inactive accounts.", []string{"EMAIL", "NAME", "STATUS", "CREATED", "LAST SIGN-IN"}, rows)
			})
		})
	cmd.Flags().IntVar(&days, "days", 90, "days without a sign-in")
	return cmd
}
