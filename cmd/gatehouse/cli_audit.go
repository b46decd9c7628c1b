package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (g *cli) auditCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "audit", Short: "The organization's audit log, hash-chained"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(g.auditList(s), g.auditVerify(s))
	return cmd
}

func (g *cli) auditList(s *scope) *cobra.Command {
	var action, actor, target, since, until, cursor string
	var limit int
	list := g.verb("list", "List audit events, newest first", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		q := url.Values{}
		for name, v := range map[string]string{"action": action, "target": target} {
			if v != "" {
				q.Set(name, v)
			}
		}
		if actor != "" {
			id, err := g.resolvePrincipal(ctx, *s, gh.PrincipalUser, actor)
			if err != nil {
				return fmt.Errorf("--actor: %w", err)
			}
			q.Set("actor", id.ID)
		}
		for name, v := range map[string]string{"since": since, "until": until} {
			if v != "" {
				t, err := parseWhen(v, time.Now(), -1)
				if err != nil {
					return fmt.Errorf("--%s: %w", name, err)
				}
				q.Set(name, t.UTC().Format(time.RFC3339))
			}
		}
		q.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		return send(ctx, g, "GET", s.path()+"/events?"+q.Encode(), nil, func(w io.Writer, l directory.List[*gh.Event]) {
			rows := make([][]string, len(l.Items))
			for i, ev := range l.Items {
				rows[i] = []string{fmt.Sprint(ev.Revision), day(ev.Time), actorName(ev.Actor), ev.Action,
					string(ev.Target.Type) + " " + ev.Target.ID, ev.Source.Via}
			}
			table(w, "No events.", []string{"REVISION", "TIME", "ACTOR", "ACTION", "TARGET", "VIA"}, rows)
			if l.Next != "" {
				fmt.Fprintf(w, "(older events: add --cursor %s)\n", l.Next)
			}
		})
	})
	f := list.Flags()
	f.StringVar(&action, "action", "", `only this action ("user.create"), or a family ("user.")`)
	f.StringVar(&actor, "actor", "", "only changes made by this user (email or id)")
	f.StringVar(&target, "target", "", "only events about this object id")
	f.StringVar(&since, "since", "", "only events since a time (2026-01-31T12:00:00Z) or a duration ago (24h, 7d)")
	f.StringVar(&until, "until", "", "only events before a time or a duration ago")
	f.IntVar(&limit, "limit", 50, "at most this many events (1-1000)")
	f.StringVar(&cursor, "cursor", "", "continue a long list where the previous page ended")
	return list
}

func (g *cli) auditVerify(s *scope) *cobra.Command {
	return g.verb("verify", "Re-compute the organization's audit hash chain", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		raw, err := g.call(ctx, "GET", s.orgOnly().path()+"/events/verify", nil)
		if err != nil {
			return err
		}
		var rep gh.ChainReport
		if err := json.Unmarshal(raw, &rep); err != nil {
			return fmt.Errorf("read the server's answer: %w", err)
		}
		if err := show(g, raw, func(w io.Writer, r gh.ChainReport) {
			if r.OK {
				fmt.Fprintf(w, "ok: the audit chain of %s is intact (%d events checked)\n", s.org, r.Checked)
			}
		}); err != nil {
			return err
		}
		if !rep.OK { // a broken chain fails the command, for scripts and monitoring
			return fmt.Errorf("the audit chain of %s is broken at revision %d: %s (%d events checked)", s.org, rep.BrokenAt, rep.Reason, rep.Checked)
		}
		return nil
	})
}

func actorName(a gh.Actor) string {
	switch {
	case a.Email != "":
		return a.Email
	case a.Type == gh.ActorUser:
		return string(a.User)
	}
	return string(a.Type)
}
