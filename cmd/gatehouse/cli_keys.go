package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// keyView is an API key as the server shows it; Key is set once, on creation.
type keyView struct {
	ID        gh.KeyID   `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	User      gh.UserID  `json:"user_id"`
	Key       string     `json:"key"`
}

func (g *cli) keysCmd() *cobra.Command {
	s := &scope{}
	var user string
	cmd := &cobra.Command{Use: "keys", Short: "Personal API keys of a user"}
	bindScope(cmd, s, true, false)
	cmd.PersistentFlags().StringVar(&user, "user", "", "the user's email or id (with --workspace for a workspace's user)")
	_ = cmd.MarkPersistentFlagRequired("user")
	// Keys live under the organization's users path, whatever the user's home.
	base := func(ctx context.Context) (string, error) {
		id, err := g.resolveUser(ctx, *s, user)
		return s.orgOnly().path() + "/users/" + esc(id) + "/keys", err
	}
	cmd.AddCommand(
		g.keyCreate(base, &user),
		g.verb("list", "List the user's keys (never their secrets)", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			path, err := base(ctx)
			if err != nil {
				return err
			}
			return send(ctx, g, "GET", path, nil, func(w io.Writer, l directory.List[keyView]) {
				rows := make([][]string, len(l.Items))
				for i, k := range l.Items {
					exp := "never"
					if k.ExpiresAt != nil {
						exp = day(*k.ExpiresAt)
					}
					rows[i] = []string{k.Name, k.Prefix + "…", day(k.CreatedAt), exp, string(k.ID)}
				}
				table(w, user+" has no keys.", []string{"NAME", "PREFIX", "CREATED", "EXPIRES", "ID"}, rows)
			})
		}),
		g.verb("revoke KEY-ID", "Revoke a key at once", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			path, err := base(ctx)
			if err != nil {
				return err
			}
			return send(ctx, g, "DELETE", path+"/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Revoked key %s of %s.\n", args[0], user)
			})
		}),
	)
	return cmd
}

func (g *cli) keyCreate(base func(context.Context) (string, error), user *string) *cobra.Command {
	var in directory.KeyInput
	var expires string
	cmd := g.verb("create", "Make a key acting as the user; it is shown once", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		if expires != "" {
			t, err := parseWhen(expires, time.Now(), +1)
			if err != nil {
				return fmt.Errorf("--expires: %w", err)
			}
			in.ExpiresAt = &t
		}
		path, err := base(ctx)
		if err != nil {
			return err
		}
		return send(ctx, g, "POST", path, in, func(w io.Writer, k keyView) {
			fmt.Fprintf(w, "Created key %q (%s) for %s. Copy it now; it is not shown again:\n\n  %s\n\n", k.Name, k.ID, *user, k.Key)
			fmt.Fprintf(w, "Use it with: gatehouse login --server %s --key %s\n", g.client.BaseURL, k.Key)
		})
	})
	cmd.Flags().StringVar(&in.Name, "name", "", "what the key is for")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry: a time (2026-12-31T00:00:00Z, 2026-12-31) or a duration from now (90d, 12h)")
	return cmd
}

// parseWhen reads an RFC 3339 time, a date, or a duration (with d for days)
// counted from now in direction dir (+1: ahead, -1: ago).
func parseWhen(s string, now time.Time, dir int) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want a time such as 2026-01-31T12:00:00Z or 2026-01-31, or a duration such as 7d or 12h", s)
	}
	return now.Add(time.Duration(dir) * d), nil
}

// parseDuration is time.ParseDuration with whole days ("7d") too.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative duration")
	}
	return d, err
}
