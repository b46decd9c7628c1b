package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (g *cli) templatesCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "templates", Short: "Onboarding templates: organization groups and the role each gets in a workspace"}
	bindScope(cmd, s, false, false)
	cmd.AddCommand(
		g.verb("list", "List onboarding templates", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return sendList(ctx, g, s.path()+"/templates", nil, func(w io.Writer, l directory.List[*gh.Template]) {
				rows := make([][]string, len(l.Items))
				for i, t := range l.Items {
					rows[i] = []string{t.Name, fmt.Sprint(t.AutoApply), fmt.Sprint(len(t.Entries)), t.Description, string(t.ID)}
				}
				table(w, "No templates.", []string{"NAME", "AUTO-APPLY", "ENTRIES", "DESCRIPTION", "ID"}, rows)
			})
		}),
		g.templateGet(s),
		g.templateCreate(s),
		g.verb("delete TEMPLATE", "Delete a template (the assignments it made stay)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			t, err := g.resolveTemplate(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "DELETE", s.path()+"/templates/"+esc(string(t.ID)), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Deleted template %q.\n", t.Name)
			})
		}),
		g.templateApply(s),
	)
	return cmd
}

// resolveTemplate finds a template of the organization by id or name (ignoring case).
func (g *cli) resolveTemplate(ctx context.Context, s *scope, ref string) (*gh.Template, error) {
	ts, err := listInto[*gh.Template](ctx, g, s.path()+"/templates", nil)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if string(t.ID) == ref || strings.EqualFold(t.Name, ref) {
			return t, nil
		}
	}
	return nil, fmt.Errorf("no template named %q in organization %s", ref, s.org)
}

func (g *cli) templateGet(s *scope) *cobra.Command {
	return g.verb("get TEMPLATE", "Show a template (by name or id)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		t, err := g.resolveTemplate(ctx, s, args[0])
		if err != nil {
			return err
		}
		names, err := g.names(ctx, s)
		if err != nil {
			return err
		}
		return send(ctx, g, "GET", s.path()+"/templates/"+esc(string(t.ID)), nil, func(w io.Writer, t gh.Template) {
			fields(w, "Name", t.Name, "ID", string(t.ID), "Auto-apply", fmt.Sprint(t.AutoApply), "Description", t.Description)
			rows := make([][]string, len(t.Entries))
			for i, e := range t.Entries {
				rows[i] = []string{first(names[string(e.Group)], string(e.Group)), first(names[string(e.Role)], string(e.Role))}
			}
			fmt.Fprintln(w)
			table(w, "No entries.", []string{"GROUP", "ROLE"}, rows)
		})
	})
}

// names maps the ids of the organization's groups and roles to their names.
func (g *cli) names(ctx context.Context, s *scope) (map[string]string, error) {
	out := map[string]string{}
	groups, err := listInto[*gh.Group](ctx, g, s.path()+"/groups", nil)
	if err != nil {
		return nil, err
	}
	for _, gr := range groups {
		out[string(gr.ID)] = gr.Name
	}
	for _, path := range []string{"/v1/roles", s.path() + "/roles"} {
		roles, err := listInto[*gh.Role](ctx, g, path, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			out[string(r.ID)] = r.Name
		}
	}
	return out, nil
}

func (g *cli) templateCreate(s *scope) *cobra.Command {
	var in directory.TemplateInput
	var entries []string
	cmd := g.verb("create NAME --entry GROUP=ROLE...", "Create an onboarding template", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
		in.Name = args[0]
		in.Entries = []directory.TemplateEntryInput{}
		for _, e := range entries {
			group, role, ok := strings.Cut(e, "=")
			if !ok || group == "" || role == "" {
				return fmt.Errorf("--entry %q: write GROUP=ROLE, such as \"SOC Tier 1=incident_analyst\"", e)
			}
			id, err := g.resolveGroup(ctx, *s, group)
			if err != nil {
				return fmt.Errorf("--entry %q: %w", e, err)
			}
			in.Entries = append(in.Entries, directory.TemplateEntryInput{Group: gh.GroupID(id), Role: role})
		}
		return send(ctx, g, "POST", s.path()+"/templates", in, func(w io.Writer, t gh.Template) {
			fmt.Fprintf(w, "Created template %q (%s) with %d entries.\n", t.Name, t.ID, len(t.Entries))
		})
	})
	cmd.Flags().StringArrayVar(&entries, "entry", nil, "ORG-GROUP=ROLE, repeatable")
	cmd.Flags().BoolVar(&in.AutoApply, "auto-apply", false, "apply the template to every new workspace")
	cmd.Flags().StringVar(&in.Description, "description", "", "what the template is for")
	return cmd
}

func (g *cli) templateApply(s *scope) *cobra.Command {
	var ws string
	cmd := g.verb("apply TEMPLATE --workspace WS", "Assign a template's groups in a workspace (roles chosen there already are kept)", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			t, err := g.resolveTemplate(ctx, s, args[0])
			if err != nil {
				return err
			}
			path := scope{org: s.org, ws: ws}.path() + "/templates/" + esc(string(t.ID)) + "/apply"
			return send(ctx, g, "POST", path, nil, func(w io.Writer, r directory.TemplateResult) {
				rows := [][]string{}
				for _, set := range []struct {
					what string
					as   []directory.AssignmentView
				}{{"assigned", r.Created}, {"already so", r.Unchanged}, {"kept its role", r.Kept}} {
					for _, a := range set.as {
						rows = append(rows, []string{a.PrincipalName, a.RoleName, set.what})
					}
				}
				table(w, "The template has no entries.", []string{"GROUP", "ROLE", "RESULT"}, rows)
			})
		})
	cmd.Flags().StringVarP(&ws, "workspace", "w", "", "workspace slug or id")
	_ = cmd.MarkFlagRequired("workspace")
	return cmd
}
