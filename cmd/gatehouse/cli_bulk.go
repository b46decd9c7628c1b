package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// userBulk applies one action to the users a list or a filter selects.
func (g *cli) userBulk(s *scope) *cobra.Command {
	var filter, users string
	var preview, strict bool
	var act directory.BulkAction
	cmd := g.verb("bulk --action ACTION (--filter KEY=VALUE,… | --users EMAIL,…) [--preview]",
		"Apply one action to many users at once; --preview says who would change, and who not and why, changing nothing",
		cobra.NoArgs, func(ctx context.Context, _ []string) error {
			sel, err := parseSelection(filter)
			if err != nil {
				return err
			}
			sel.Users = splitList(users)
			in := directory.BulkInput{Select: sel, Action: act, Preview: preview, AllOrNothing: strict}
			return send(ctx, g, "POST", s.path()+"/users/bulk", in, printBulk)
		})
	f := cmd.Flags()
	f.StringVar(&filter, "filter", "", "status=, home= (org or a workspace), group=, role= with role_workspace=, department=, last_sign_in_before= (a date), inactive_days= (as reports inactive), comma-separated")
	f.StringVar(&users, "users", "", "emails or ids, comma-separated")
	f.StringVar(&act.Type, "action", "", "assign_role, remove_assignments, add_to_group, remove_from_group, disable, enable, end_sessions, require_password_reset or reset_mfa")
	f.StringVar(&act.Role, "role", "", "the role assign_role gives")
	f.StringSliceVar(&act.Workspaces, "workspaces", nil, "the workspaces of assign_role and remove_assignments")
	f.StringVar(&act.Group, "group", "", "the group of add_to_group and remove_from_group")
	f.BoolVar(&preview, "preview", false, "only say what would happen")
	f.BoolVar(&strict, "all-or-nothing", false, "change nobody if any selected user is refused")
	_ = cmd.MarkFlagRequired("action")
	return cmd
}

// parseSelection reads "status=active,group=SOC Tier 1" into a selection.
func parseSelection(filter string) (directory.Selection, error) {
	var sel directory.Selection
	for _, kv := range splitList(filter) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return sel, fmt.Errorf("--filter %q: write KEY=VALUE", kv)
		}
		v = strings.TrimSpace(v)
		switch strings.ReplaceAll(strings.TrimSpace(k), "-", "_") {
		case "status":
			sel.Status = gh.Status(v)
		case "home":
			sel.Home = v
		case "group":
			sel.Group = v
		case "role":
			sel.Role = v
		case "role_workspace":
			sel.RoleWorkspace = v
		case "department":
			sel.Department = v
		case "last_sign_in_before":
			t, err := parseDate(v)
			if err != nil {
				return sel, fmt.Errorf("--filter last_sign_in_before=%q: %w", v, err)
			}
			sel.LastSignInBefore = &t
		case "inactive_days":
			n, err := strconv.Atoi(v)
			if err != nil {
				return sel, fmt.Errorf("--filter inactive_days=%q: give a number of days", v)
			}
			sel.InactiveDays = n
		default:
			return sel, fmt.Errorf("--filter %q: the keys are status, home, group, role, role_workspace, department, last_sign_in_before and inactive_days", k)
		}
	}
	return sel, nil
}

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("write a date (2026-01-31) or a time (2026-01-31T09:00:00Z)")
	}
	return t, nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func printBulk(w io.Writer, r directory.BulkResult) {
	rows := make([][]string, len(r.Items))
	for i, it := range r.Items {
		rows[i] = []string{it.Email, it.Workspace, it.Outcome, strings.TrimSpace(it.Code + " " + it.Reason)}
	}
	table(w, "No users matched.", []string{"USER", "WORKSPACE", "OUTCOME", "WHY"}, rows)
	for _, ref := range r.NotFound {
		fmt.Fprintf(w, "Not found: %s\n", ref)
	}
	var counts []string
	for k, n := range r.Counts {
		counts = append(counts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(k, "_", " ")))
	}
	sort.Strings(counts)
	if r.Preview {
		fmt.Fprintf(w, "Preview of %s for %d users: %s. Nothing was changed.\n", r.Action, r.Matched, strings.Join(counts, ", "))
		return
	}
	fmt.Fprintf(w, "%s for %d users: %s (revision %d).\n", r.Action, r.Matched, strings.Join(counts, ", "), r.Revision)
}

// inviteMany invites several people with one role and group for all.
func (g *cli) inviteMany(ctx context.Context, s *scope, in signin.InviteList) error {
	return send(ctx, g, "POST", s.path()+"/invitations", in, func(w io.Writer, r directory.ImportResult) {
		rows := make([][]string, len(r.Created))
		for i, u := range r.Created {
			rows[i] = []string{u.Email, u.DisplayName(), string(u.ID)}
		}
		table(w, "Nobody was invited.", []string{"EMAIL", "NAME", "ID"}, rows)
		fmt.Fprintf(w, "Invited %d people in %s; the links are on their way (see: gatehouse mail list --org %s).\n", r.Imported, s.where(), s.org)
	})
}
