package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// show prints the server's answer: as JSON with -o json, else decoded into a
// T and rendered for people.
func show[T any](g *cli, raw json.RawMessage, render func(w io.Writer, v T)) error {
	if g.output == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
			return fmt.Errorf("the server's answer is not JSON: %w", err)
		}
		b.WriteByte('\n')
		_, err := b.WriteTo(g.out)
		return err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	render(g.out, v)
	return nil
}

// send makes one request and shows the answer.
func send[T any](ctx context.Context, g *cli, method, path string, in any, render func(w io.Writer, v T)) error {
	raw, err := g.call(ctx, method, path, in)
	if err != nil {
		return err
	}
	return show(g, raw, render)
}

// sendList reads every page of a list and shows it.
func sendList[T any](ctx context.Context, g *cli, path string, q url.Values, render func(w io.Writer, l directory.List[T])) error {
	raw, err := g.listAll(ctx, path, q)
	if err != nil {
		return err
	}
	return show(g, raw, render)
}

// table prints rows under upper-case headers in aligned columns, or says
// there is nothing.
func table(w io.Writer, empty string, header []string, rows [][]string) {
	if len(rows) == 0 {
		fmt.Fprintln(w, empty)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fields prints "name: value" pairs of one object, aligned; empty values are left out.
func fields(w io.Writer, pairs ...string) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], pairs[i+1])
		}
	}
	tw.Flush()
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// listAll reads every page of a list and returns it as one list, in the
// server's own shape ({"items": [...]}, with the other members of the last
// page, such as a lookup's revision), so -o json prints what the server says.
func (g *cli) listAll(ctx context.Context, path string, q url.Values) (json.RawMessage, error) {
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", fmt.Sprint(directory.MaxLimit))
	items := []json.RawMessage{}
	for {
		raw, err := g.call(ctx, "GET", path+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		var page map[string]json.RawMessage
		var l directory.List[json.RawMessage]
		if err := errors.Join(json.Unmarshal(raw, &page), json.Unmarshal(raw, &l)); err != nil {
			return nil, fmt.Errorf("read the server's answer: %w", err)
		}
		items = append(items, l.Items...)
		if l.Next == "" {
			delete(page, "next_cursor")
			page["items"], _ = json.Marshal(items)
			return json.Marshal(page)
		}
		q.Set("cursor", l.Next)
	}
}

// listInto reads every page of a list into items.
func listInto[T any](ctx context.Context, g *cli, path string, q url.Values) ([]T, error) {
	raw, err := g.listAll(ctx, path, q)
	if err != nil {
		return nil, err
	}
	var l directory.List[T]
	return l.Items, json.Unmarshal(raw, &l)
}

// scope is the --org and --workspace of a command.
type scope struct{ org, ws string }

// bindScope adds --org (required) and, when inWorkspace, --workspace.
func bindScope(cmd *cobra.Command, s *scope, inWorkspace, wsRequired bool) {
	orgFlag(cmd.PersistentFlags(), &s.org)
	if savedOrg == "" {
		_ = cmd.MarkPersistentFlagRequired("org")
	}
	if inWorkspace {
		usage := "workspace slug or id (without it: the organization's own)"
		if wsRequired {
			usage = "workspace slug or id"
		}
		cmd.PersistentFlags().StringVarP(&s.ws, "workspace", "w", "", usage)
		if wsRequired {
			_ = cmd.MarkPersistentFlagRequired("workspace")
		}
	}
}

// orgFlag binds --org, whose default is the saved login's organization.
func orgFlag(f *pflag.FlagSet, org *string) {
	f.StringVar(org, "org", savedOrg, "organization slug or id")
}

// path is the API path of the scope: the organization or one of its workspaces.
func (s scope) path() string {
	p := "/v1/orgs/" + url.PathEscape(s.org)
	if s.ws != "" {
		p += "/workspaces/" + url.PathEscape(s.ws)
	}
	return p
}

// where names the scope for messages.
func (s scope) where() string {
	if s.ws != "" {
		return "workspace " + s.ws
	}
	return "organization " + s.org
}

func (s scope) orgOnly() scope { return scope{org: s.org} }

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }

// resolveUser turns an email into the id of the user of the scope with that
// email; ids pass through.
func (g *cli) resolveUser(ctx context.Context, s scope, ref string) (string, error) {
	if gh.HasIDPrefix(ref, "usr") {
		return ref, nil
	}
	users, err := listInto[*gh.User](ctx, g, s.path()+"/users", url.Values{"q": {ref}})
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if gh.NormalizeEmail(u.Email) == gh.NormalizeEmail(ref) {
			return string(u.ID), nil
		}
	}
	return "", fmt.Errorf("no user with email %q in %s", ref, s.where())
}

// resolveGroup turns a group name into the id of the group of the scope with
// that name (ignoring case); ids pass through.
func (g *cli) resolveGroup(ctx context.Context, s scope, ref string) (string, error) {
	if gh.HasIDPrefix(ref, "grp") {
		return ref, nil
	}
	groups, err := listInto[*gh.Group](ctx, g, s.path()+"/groups", url.Values{"q": {ref}})
	if err != nil {
		return "", err
	}
	for _, gr := range groups {
		if strings.EqualFold(gr.Name, ref) {
			return string(gr.ID), nil
		}
	}
	return "", fmt.Errorf("no group named %q in %s", ref, s.where())
}

// resolvePrincipal finds a user (by email) or group (by name) for a
// workspace: among the workspace's own first, then the organization's.
// Keys that may not read organization lists only find the workspace's.
func (g *cli) resolvePrincipal(ctx context.Context, s scope, typ gh.PrincipalType, ref string) (gh.Principal, error) {
	p, err := g.resolveIn(ctx, s, typ, ref)
	if err != nil && s.ws != "" {
		if orgP, orgErr := g.resolveIn(ctx, s.orgOnly(), typ, ref); orgErr == nil {
			return orgP, nil
		}
	}
	return p, err
}

// resolveIn finds a user (by email) or group (by name) of the scope itself.
func (g *cli) resolveIn(ctx context.Context, s scope, typ gh.PrincipalType, ref string) (gh.Principal, error) {
	resolve := g.resolveUser
	if typ == gh.PrincipalGroup {
		resolve = g.resolveGroup
	}
	id, err := resolve(ctx, s, ref)
	return gh.Principal{Type: typ, ID: id}, err
}

// parseMember reads "user:EMAIL-or-ID" or "group:NAME-or-ID"; a bare email is a user.
func parseMember(s string) (gh.PrincipalType, string, error) {
	typ, ref, ok := strings.Cut(s, ":")
	switch {
	case !ok && strings.Contains(s, "@"):
		return gh.PrincipalUser, s, nil
	case ok && ref != "" && (typ == "user" || typ == "group"):
		return gh.PrincipalType(typ), ref, nil
	}
	return "", "", fmt.Errorf("member %q: write user:EMAIL-or-ID or group:NAME-or-ID", s)
}

// describePaths says how a user reaches a workspace, such as
// "group SOC Tier 1 (via Night Shift) as Incident Analyst".
func describePaths(ps []engine.Path) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		s := string(p.Principal.Type) + " " + p.Name
		if len(p.Via) > 1 {
			via := make([]string, len(p.Via)-1)
			for j, gr := range p.Via[:len(p.Via)-1] {
				via[j] = gr.Name
			}
			s += " (via " + strings.Join(via, ", ") + ")"
		}
		parts[i] = s + " as " + p.RoleName
	}
	return strings.Join(parts, "; ")
}
