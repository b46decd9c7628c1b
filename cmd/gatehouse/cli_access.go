package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
)

// exitCodes is the part of check's and explain's help scripts rely on.
const exitCodes = `Exit code: 0 when allowed, 1 when denied (as kubectl auth can-i), so scripts can
test the answer; 2 when the command line is wrong. Errors also exit 1 and print "error: …".`

// question is the flags of check, explain and the lookups.
type question struct {
	org, user, workspace, capability, level string
	consistency                             directory.Consistency
}

func (q *question) bind(cmd *cobra.Command, user, workspace bool) {
	f := cmd.Flags()
	orgFlag(f, &q.org)
	f.StringVar(&q.capability, "capability", "", "capability, such as incidents.close (see gatehouse roles get admin --builtin)")
	f.StringVar(&q.level, "level", "", "level asked: full (default) or limited")
	f.Int64Var((*int64)(&q.consistency.AtLeastRevision), "at-least-revision", 0, "answer only once the server has seen this revision (one a change returned)")
	f.BoolVar(&q.consistency.FullyConsistent, "fully-consistent", false, "catch up with the store before answering")
	if savedOrg == "" {
		_ = cmd.MarkFlagRequired("org")
	}
	_ = cmd.MarkFlagRequired("capability")
	if user {
		f.StringVar(&q.user, "user", "", "user email or id")
		_ = cmd.MarkFlagRequired("user")
	}
	if workspace {
		f.StringVarP(&q.workspace, "workspace", "w", "", "workspace slug or id")
		_ = cmd.MarkFlagRequired("workspace")
	}
}

// request turns the flags into the client's question.
func (q *question) request() (ghttp.CheckRequest, error) {
	r := ghttp.CheckRequest{Org: q.org, User: q.user, Workspace: q.workspace, Capability: gh.Capability(q.capability)}
	if q.level != "" {
		l, err := gh.ParseLevel(q.level)
		if err != nil {
			return r, fmt.Errorf("--level %q: want full or limited", q.level)
		}
		r.Level = l
	}
	if q.consistency != (directory.Consistency{}) {
		c := q.consistency
		r.Consistency = &c
	}
	return r, nil
}

func (q *question) wanted() string { return first(q.level, "full") }

func (g *cli) checkCmd() *cobra.Command {
	var q question
	cmd := g.verb("check --org ORG --user USER --workspace WS --capability CAP", "Ask whether a user may use a capability in a workspace", cobra.NoArgs, nil)
	cmd.Long = "Ask whether a user may use a capability in a workspace, or an organization capability without --workspace.\n\n" + exitCodes
	q.bind(cmd, true, false)
	cmd.Flags().StringVarP(&q.workspace, "workspace", "w", "", "workspace slug or id (leave out for an organization capability)")
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		req, err := q.request()
		if err != nil {
			return err
		}
		raw, err := g.call(ctx, "POST", "/v1/check", req)
		if err != nil {
			return err
		}
		where := "workspace " + q.workspace
		if q.workspace == "" {
			where = "organization " + q.org
		}
		if err := show(g, raw, func(w io.Writer, d engine.Decision) {
			if d.Allowed {
				fmt.Fprintf(w, "allowed: %s has %s at level %s in %s (revision %d)\n", q.user, q.capability, d.Level, where, d.Revision)
				return
			}
			fmt.Fprintf(w, "denied: %s does not have %s at level %s in %s; holds %s (revision %d)\n", q.user, q.capability, q.wanted(), where, d.Level, d.Revision)
			if q.workspace != "" {
				fmt.Fprintf(w, "why: gatehouse explain --org %s --user %s --workspace %s --capability %s\n", q.org, q.user, q.workspace, q.capability)
			}
		}); err != nil {
			return err
		}
		return verdict(raw)
	})
	return cmd
}

// verdict is errDenied when the answer denies, so the exit code says it.
func verdict(raw []byte) error {
	var d struct {
		Allowed bool `json:"allowed"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || !d.Allowed {
		return errDenied
	}
	return nil
}

func (g *cli) explainCmd() *cobra.Command {
	var q question
	cmd := g.verb("explain --org ORG --user USER --workspace WS --capability CAP", "Say why a user may or may not use a capability in a workspace, and the fix", cobra.NoArgs, nil)
	cmd.Long = "Say why a user may or may not use a capability in a workspace, and the change that would allow it.\n\n" + exitCodes
	q.bind(cmd, true, true)
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		req, err := q.request()
		if err != nil {
			return err
		}
		raw, err := g.call(ctx, "POST", "/v1/explain", req)
		if err != nil {
			return err
		}
		if err := show(g, raw, func(w io.Writer, e engine.Explanation) { printExplanation(w, q, e) }); err != nil {
			return err
		}
		return verdict(raw)
	})
	return cmd
}

func printExplanation(w io.Writer, q question, e engine.Explanation) {
	verdict := "DENIED"
	if e.Allowed {
		verdict = "ALLOWED"
	}
	fmt.Fprintf(w, "%s: %s, %s (%s) in workspace %s  [revision %d]\n\n", verdict, q.user, e.Capability, e.Want, q.workspace, e.Revision)
	width := 0
	for _, s := range e.Steps {
		width = max(width, len(s.Step))
	}
	for _, s := range e.Steps {
		mark := "✗"
		if s.OK {
			mark = "✓"
		}
		fmt.Fprintf(w, "  %s %-*s  %s\n", mark, width, s.Step, s.Detail)
	}
	if len(e.Paths) > 0 {
		fmt.Fprintln(w, "\nPaths:")
		for _, p := range e.Paths {
			fmt.Fprintf(w, "  %s: %s\n", describePaths([]engine.Path{p}), p.Level)
		}
	}
	if e.Fix != "" {
		fmt.Fprintf(w, "\nFix: %s\n", e.Fix)
	}
}

func (g *cli) lookupCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "lookup", Short: "Reverse questions: where a user has a capability, who has it in a workspace"}
	var wq, uq question
	var wp, up lookupPage
	ws := g.verb("workspaces --org ORG --user USER --capability CAP", "List the workspaces where a user has a capability", cobra.NoArgs, nil)
	wq.bind(ws, true, false)
	wp.bind(ws)
	ws.RunE = g.run(func(ctx context.Context, _ []string) error {
		return lookup(ctx, g, "/v1/lookup/workspaces", wq, wp, func(w io.Writer, l ghttp.LookupList[engine.WorkspaceAccess]) {
			rows := make([][]string, len(l.Items))
			for i, a := range l.Items {
				rows[i] = wp.row(a.Name, a.Level, a.Paths, string(a.Workspace))
			}
			table(w, fmt.Sprintf("%s has %s (%s) in no workspace.", wq.user, wq.capability, wq.wanted()), wp.header("WORKSPACE"), rows)
			wp.more(w, l.Next)
		})
	})
	users := g.verb("users --org ORG --workspace WS --capability CAP", "List the users who have a capability in a workspace", cobra.NoArgs, nil)
	uq.bind(users, false, true)
	up.bind(users)
	users.RunE = g.run(func(ctx context.Context, _ []string) error {
		return lookup(ctx, g, "/v1/lookup/users", uq, up, func(w io.Writer, l ghttp.LookupList[engine.UserAccess]) {
			rows := make([][]string, len(l.Items))
			for i, a := range l.Items {
				rows[i] = up.row(a.Email, a.Level, a.Paths, string(a.User))
			}
			table(w, fmt.Sprintf("Nobody has %s (%s) in workspace %s.", uq.capability, uq.wanted(), uq.workspace), up.header("USER"), rows)
			up.more(w, l.Next)
		})
	})
	cmd.AddCommand(ws, users)
	return cmd
}

// lookupPage is the paging flags of the lookups: without --limit or
// --cursor a lookup reads every page.
type lookupPage struct {
	limit  int
	cursor string
	paths  bool
}

func (p *lookupPage) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&p.limit, "limit", 0, "one page of at most this many (1-1000) instead of every page")
	f.StringVar(&p.cursor, "cursor", "", "continue where the previous page ended")
	f.BoolVar(&p.paths, "paths", true, "show how each is reached (--paths=false answers faster)")
}

func (p *lookupPage) header(what string) []string {
	if p.paths {
		return []string{what, "LEVEL", "THROUGH", "ID"}
	}
	return []string{what, "LEVEL", "ID"}
}

func (p *lookupPage) row(name string, l gh.Level, paths []engine.Path, id string) []string {
	if p.paths {
		return []string{name, l.String(), describePaths(paths), id}
	}
	return []string{name, l.String(), id}
}

// more says how to read the next page, when there is one.
func (p *lookupPage) more(w io.Writer, next string) {
	if next != "" {
		fmt.Fprintf(w, "(more: add --cursor %s)\n", next)
	}
}

// lookup asks one page, or every page, of a lookup and shows the answer.
func lookup[T any](ctx context.Context, g *cli, path string, q question, p lookupPage, render func(io.Writer, ghttp.LookupList[T])) error {
	req, err := q.request()
	if err != nil {
		return err
	}
	v := req.Query()
	if p.paths {
		v.Set("paths", "true")
	}
	if p.limit == 0 && p.cursor == "" {
		raw, err := g.listAll(ctx, path, v)
		if err != nil {
			return err
		}
		return show(g, raw, render)
	}
	if p.limit != 0 {
		v.Set("limit", fmt.Sprint(p.limit))
	}
	if p.cursor != "" {
		v.Set("cursor", p.cursor)
	}
	return send(ctx, g, "GET", path+"?"+v.Encode(), nil, render)
}
