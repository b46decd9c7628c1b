package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/notify"
)

const stamp = "2006-01-02 15:04"

// notificationsCmd reads and manages the signed-in person's notifications.
func (g *cli) notificationsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "notifications", Short: "Your notifications, the announcements shown to you, and where they reach you"}
	cmd.AddCommand(
		g.verb("list", "List your newest notifications and the announcements shown to you now", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", "/v1/me/notifications", nil, func(w io.Writer, in notify.Inbox) {
				for _, a := range in.Announcements {
					fmt.Fprintf(w, "Announcement: %s (until %s)\n  %s\n", a.Title, a.EndsAt.Local().Format(stamp), a.Body)
				}
				fmt.Fprintf(w, "%d unread.\n", in.Unread)
				rows := make([][]string, len(in.Items))
				for i, n := range in.Items {
					state := "unread"
					if n.ReadAt != nil {
						state = "read"
					}
					rows[i] = []string{n.CreatedAt.Local().Format(stamp), string(n.Category), state, n.Title, n.ID}
				}
				table(w, "No notifications.", []string{"WHEN", "CATEGORY", "STATE", "TITLE", "ID"}, rows)
			})
		}),
		g.verb("read [ID…]", "Mark notifications read: those named, or all", cobra.ArbitraryArgs, func(ctx context.Context, args []string) error {
			return send(ctx, g, "POST", "/v1/me/notifications/read", map[string]any{"ids": args}, func(w io.Writer, out struct {
				Marked int `json:"marked"`
				Unread int `json:"unread"`
			}) {
				fmt.Fprintf(w, "Marked %d read; %d unread.\n", out.Marked, out.Unread)
			})
		}),
		g.verb("preferences", "Show where each category of notifications reaches you", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", "/v1/me/notification-preferences", nil, showPrefs)
		}),
		g.prefSet(),
	)
	return cmd
}

func (g *cli) prefSet() *cobra.Command {
	var email, console bool
	cmd := g.verb("set CATEGORY --email=true|false --console=true|false",
		"Choose where one category (account, sign_in, announcement, security) reaches you", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			p := gh.NotePref{Category: gh.NoteCategory(args[0]), Email: email, Console: console}
			return send(ctx, g, "PUT", "/v1/me/notification-preferences", map[string]any{"items": []gh.NotePref{p}}, showPrefs)
		})
	cmd.Flags().BoolVar(&email, "email", true, "send this category by email")
	cmd.Flags().BoolVar(&console, "console", true, "list this category in the console")
	return cmd
}

func showPrefs(w io.Writer, l struct {
	Items []gh.NotePref `json:"items"`
}) {
	onOff := map[bool]string{true: "on", false: "off"}
	rows := make([][]string, len(l.Items))
	for i, p := range l.Items {
		rows[i] = []string{string(p.Category), onOff[p.Email], onOff[p.Console]}
	}
	table(w, "No categories.", []string{"CATEGORY", "EMAIL", "CONSOLE"}, rows)
}

// tasksCmd lists what awaits the signed-in person.
func (g *cli) tasksCmd() *cobra.Command {
	return g.verb("tasks", "List what awaits you (a password to change, a second factor to set up, unread notifications, warnings)",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", "/v1/me/tasks", nil, func(w io.Writer, l struct {
				Items []struct {
					Title, Detail string
				} `json:"items"`
			}) {
				if len(l.Items) == 0 {
					fmt.Fprintln(w, "Nothing awaits you.")
				}
				for _, t := range l.Items {
					fmt.Fprintf(w, "- %s", t.Title)
					if t.Detail != "" {
						fmt.Fprintf(w, ": %s", t.Detail)
					}
					fmt.Fprintln(w)
				}
			})
		})
}

// announcementsCmd publishes announcements in a scope, or to everyone (the operator).
func (g *cli) announcementsCmd() *cobra.Command {
	s := &scope{}
	var everyone bool
	cmd := &cobra.Command{Use: "announcements", Short: "Announcements to an organization, a workspace, a group, or (the operator) everyone"}
	orgFlag(cmd.PersistentFlags(), &s.org)
	cmd.PersistentFlags().StringVarP(&s.ws, "workspace", "w", "", "workspace slug or id (without it: the organization's own)")
	cmd.PersistentFlags().BoolVar(&everyone, "everyone", false, "the operator's announcements to every person of the deployment")
	base := func() (string, error) {
		switch {
		case everyone:
			return "/v1/announcements", nil
		case s.org == "":
			return "", fmt.Errorf("name the organization with --org, or use --everyone as the operator")
		}
		return s.path() + "/announcements", nil
	}
	cmd.AddCommand(
		g.verb("list", "List the announcements published here, ended ones included", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			path, err := base()
			if err != nil {
				return err
			}
			return send(ctx, g, "GET", path, nil, func(w io.Writer, l struct {
				Items []gh.Announcement `json:"items"`
			}) {
				rows := make([][]string, len(l.Items))
				for i, a := range l.Items {
					rows[i] = []string{a.Title, a.StartsAt.Local().Format(stamp), a.EndsAt.Local().Format(stamp), string(a.Group), a.CreatedBy, a.ID}
				}
				table(w, "No announcements.", []string{"TITLE", "STARTS", "ENDS", "GROUP", "BY", "ID"}, rows)
			})
		}),
		g.announce(base),
		g.verb("withdraw ID", "Withdraw an announcement", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := base()
			if err != nil {
				return err
			}
			return send(ctx, g, "DELETE", path+"/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Withdrew announcement %s.\n", args[0])
			})
		}),
	)
	return cmd
}

func (g *cli) announce(base func() (string, error)) *cobra.Command {
	var title, body, group, starts, ends string
	cmd := g.verb("publish --title T --body B --ends WHEN [--starts WHEN] [--group G]", "Publish an announcement for a time window (plain text)",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			path, err := base()
			if err != nil {
				return err
			}
			in := map[string]any{"title": title, "body": body, "group_id": group}
			for flag, v := range map[string]string{"starts_at": starts, "ends_at": ends} {
				if v == "" {
					continue
				}
				t, err := parseWhen(v, time.Now(), +1)
				if err != nil {
					return fmt.Errorf("--%s: %w", flag[:len(flag)-3], err)
				}
				in[flag] = t
			}
			return send(ctx, g, "POST", path, in, func(w io.Writer, a gh.Announcement) {
				fmt.Fprintf(w, "Published %q (%s), shown from %s until %s.\n", a.Title, a.ID, a.StartsAt.Local().Format(stamp), a.EndsAt.Local().Format(stamp))
			})
		})
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "the title")
	f.StringVar(&body, "body", "", "the text (plain text; shown as typed)")
	f.StringVar(&group, "group", "", "a group id of this scope (without it: everyone of the scope)")
	f.StringVar(&starts, "starts", "", "when it starts showing: a time (2026-01-31T12:00:00Z, 2026-01-31) or a delay (2h); now when left out")
	f.StringVar(&ends, "ends", "", "when it stops showing: a time or a duration from now (7d)")
	_ = cmd.MarkFlagRequired("ends")
	return cmd
}
