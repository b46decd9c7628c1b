package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
)

// gatehouse whatif, and --dry-run on the risky single commands: the server
// runs the change as a dry-run batch and answers who would lose and gain
// which capability where; nothing is changed.

func (g *cli) whatifCmd() *cobra.Command {
	s := &scope{}
	var file string
	cmd := &cobra.Command{
		Use:   "whatif -f FILE",
		Short: "Show who would lose and gain what if a batch of changes were made, changing nothing",
		Long: `Show who would lose (and gain) which capability in which workspace if the changes
of FILE were made. FILE (YAML or JSON) is either a batch, as POST /v1/orgs/{org}/batch
takes it, or a file of gatehouse apply, whose planned changes are then previewed.
The server runs the changes under your own rights, as a dry run, and changes
nothing; a change you may not make is refused, naming it.

  operations:
    - {op: delete, type: membership, id: grp_..., body: {member: {type: user, id: usr_...}}}
    - {op: update, type: workspace, id: wingtip-toys, body: {status: suspended}}`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		ops, err := g.whatifOps(ctx, s.org, file)
		if err != nil {
			return err
		}
		return g.preview(ctx, s.org, ops...)
	})
	bindScope(cmd, s, false, false)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the YAML or JSON file")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// whatifOps reads the operations of a batch file, or plans those of an apply file.
func (g *cli) whatifOps(ctx context.Context, org, path string) ([]directory.BatchOp, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, ok := top["operations"]; !ok {
		f, err := readApplyFile(path)
		if err != nil {
			return nil, err
		}
		p, err := g.plan(ctx, org, f)
		if err != nil {
			return nil, err
		}
		return p.ops, nil
	}
	var in struct {
		Operations []directory.BatchOp `json:"operations"`
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	return in.Operations, nil
}

// preview asks the server what ops would do to access and prints it: with
// -o json the server's answer, else who loses and who gains what.
func (g *cli) preview(ctx context.Context, org string, ops ...directory.BatchOp) error {
	if len(ops) == 0 {
		return g.applied("Nothing to change: nobody would lose or gain anything.\n", directory.Impact{})
	}
	c, err := g.connect()
	if err != nil {
		return err
	}
	imp, err := c.WhatIf(ctx, org, ops)
	var ae *ghttp.APIError
	if errors.As(err, &ae) && len(ae.Operations) > 0 {
		var b strings.Builder
		b.WriteString("the change was refused; nothing was changed")
		for _, op := range ae.Operations {
			fmt.Fprintf(&b, "\n  operation %d (%s %s): %s", op.Index+1, ops[op.Index].Op, ops[op.Index].Type, first(op.Detail, op.Code))
			for _, name := range slices.Sorted(maps.Keys(op.Fields)) {
				fmt.Fprintf(&b, "\n      %s: %s", name, op.Fields[name])
			}
		}
		return errors.New(b.String())
	}
	if err != nil {
		return err
	}
	if g.output == "json" {
		return g.applied("", imp)
	}
	printImpact(g.out, imp)
	return nil
}

// printImpact prints an impact as two tables, losses first.
func printImpact(w io.Writer, imp *directory.Impact) {
	rows := func(cs []directory.AccessChange) [][]string {
		out := make([][]string, len(cs))
		for i, c := range cs {
			ws := "(organization)"
			if c.Workspace != nil {
				ws = c.Workspace.Name
			}
			out[i] = []string{c.User.Email, ws, string(c.Capability), c.From.String(), c.To.String()}
		}
		return out
	}
	header := []string{"USER", "WORKSPACE", "CAPABILITY", "FROM", "TO"}
	fmt.Fprintln(w, "Who loses what:")
	table(w, "  nobody loses anything.", header, rows(imp.Losses))
	if len(imp.Gains) > 0 {
		fmt.Fprintln(w, "Who gains what:")
		table(w, "", header, rows(imp.Gains))
	}
	fmt.Fprintf(w, "%d user(s) affected. Nothing was changed (what-if).\n", imp.UsersAffected)
	if imp.Truncated {
		fmt.Fprintf(w, "The lists stop at %d rows each; see -o json or narrow the change.\n", directory.MaxImpactRows)
	}
}

// dryRunFlag adds --dry-run to a risky command: it previews instead of doing.
func dryRunFlag(cmd *cobra.Command, dry *bool) {
	cmd.Flags().BoolVar(dry, "dry-run", false, "show who would lose what, and change nothing")
}

// opIn is one batch operation at the scope's workspace (none for the organization's own).
func opIn(s *scope, op, typ, id string, body any) directory.BatchOp {
	b := directory.BatchOp{Op: op, Type: typ, Workspace: s.ws, ID: id}
	if body != nil {
		b.Body = gh.MustJSON(body)
	}
	return b
}
