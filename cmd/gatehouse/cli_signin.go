package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// userInvite invites a person by email: an invited account and a one-time link to set a password.
func (g *cli) userInvite(s *scope) *cobra.Command {
	var in directory.UserInput
	var many signin.InviteList
	cmd := g.verb("invite EMAIL… [--given-name NAME] [--role ROLE [--role-workspace WS]] [--group GROUP]",
		"Invite people: invited accounts and emails with one-time links to set a password; several at once take one role and group, all or nothing",
		cobra.MinimumNArgs(1), func(ctx context.Context, args []string) error {
			if len(args) > 1 || many.Role != "" || many.Workspace != "" || many.Group != "" {
				many.Emails = args
				return g.inviteMany(ctx, s, many)
			}
			in.Email = args[0]
			return send(ctx, g, "POST", s.path()+"/invitations", in, func(w io.Writer, u gh.User) {
				fmt.Fprintf(w, "Invited %s (%s) in %s; the link is on its way (see: gatehouse mail list --org %s).\n", u.Email, u.ID, s.where(), s.org)
			})
		})
	f := cmd.Flags()
	f.StringVar(&in.GivenName, "given-name", "", "given name (required)")
	f.StringVar(&in.FamilyName, "family-name", "", "family name")
	f.StringVar((*string)(&in.OrgRole), "org-role", "", "organization users: admin or member (default member)")
	f.StringVar(&many.Role, "role", "", "a role for everyone: of the workspace (-w), in --role-workspace, or the organization role")
	f.StringVar(&many.Workspace, "role-workspace", "", "organization users: the workspace --role is given in")
	f.StringVar(&many.Group, "group", "", "a group everyone joins")
	return cmd
}

// userSetPassword sets a user's password, read from standard input so it stays out of shell history.
func (g *cli) userSetPassword(s *scope) *cobra.Command {
	var temporary bool
	cmd := g.verb("set-password USER", "Set a user's password, read from standard input; --temporary makes the user change it at the next sign-in",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.userPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			fmt.Fprint(os.Stderr, "New password: ")
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("read the password from standard input: %w", err)
			}
			body := map[string]any{"password": strings.TrimRight(line, "\r\n"), "temporary": temporary}
			return send(ctx, g, "POST", path+"/password", body, func(w io.Writer, r revision) {
				fmt.Fprintf(w, "\nPassword of %s set; its sessions have ended.\n", args[0])
			})
		})
	cmd.Flags().BoolVar(&temporary, "temporary", false, "the user must change it at the next sign-in")
	return cmd
}

func (g *cli) userResetMFA(s *scope) *cobra.Command {
	return g.verb("reset-mfa USER", "Remove a user's second factor (it enrols again at the next sign-in); its sessions end",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := g.userPath(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "POST", path+"/mfa/reset", nil, func(w io.Writer, r revision) {
				fmt.Fprintf(w, "Second factor of %s removed (revision %d).\n", args[0], r.Revision)
			})
		})
}

// mailCmd shows the outbox: what was sent, what waits and why; and, under
// serve --demo, what a message said.
func (g *cli) mailCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "mail", Short: "The organization's outgoing mail: its delivery status, and under serve --demo its text"}
	bindScope(cmd, s, false, false)
	cmd.AddCommand(
		g.verb("list", "List the organization's outgoing mail and its delivery status", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", s.path()+"/mail", nil, func(w io.Writer, l struct {
				Items []gh.Mail `json:"items"`
			}) {
				rows := make([][]string, len(l.Items))
				for i, m := range l.Items {
					rows[i] = []string{day(m.CreatedAt), string(m.Status), m.Kind, m.To, fmt.Sprint(m.Attempts), m.LastError, m.ID}
				}
				table(w, "No mail.", []string{"QUEUED", "STATUS", "KIND", "TO", "ATTEMPTS", "LAST ERROR", "ID"}, rows)
			})
		}),
		g.verb("show ID", "Show a message as it was sent (serve --demo keeps them; a real server sends them to SMTP)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", s.path()+"/mail/"+esc(args[0]), nil, func(w io.Writer, m struct {
				gh.Mail
				Body string `json:"body"`
			}) {
				fmt.Fprintf(w, "To: %s\nSubject: %s\nStatus: %s\n\n%s", m.To, m.Subject, m.Status, m.Body)
			})
		}),
	)
	return cmd
}
