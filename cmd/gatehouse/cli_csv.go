package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"gatehouse.dev/gatehouse/directory"
)

// userImport sends a CSV file of users: all or nothing, or only the good rows with --valid-only.
func (g *cli) userImport(s *scope) *cobra.Command {
	var validOnly bool
	cmd := g.verb("import FILE.csv", "Create users from a CSV file (columns email, first_name, last_name, and optional role, group); use - for standard input",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			data, err := readFileOrStdin(args[0])
			if err != nil {
				return err
			}
			c, err := g.connect()
			if err != nil {
				return err
			}
			path := s.path() + "/users/import"
			if validOnly {
				path += "?mode=valid"
			}
			raw, err := c.Send(ctx, "POST", path, "text/csv", bytes.NewReader(data))
			if err != nil {
				return err
			}
			return show(g, raw, func(w io.Writer, r directory.ImportResult) {
				fmt.Fprintf(w, "Imported %d users into %s (revision %d).\n", r.Imported, s.where(), r.Revision)
				for _, p := range r.Skipped {
					fmt.Fprintf(w, "  skipped line %d: %s %s\n", p.Line, p.Field, p.Reason)
				}
			})
		})
	cmd.Flags().BoolVar(&validOnly, "valid-only", false, "import the good rows and report the bad ones (default: nothing unless every row is good)")
	return cmd
}

func readFileOrStdin(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// csvExport downloads a CSV export to standard output.
func (g *cli) csvExport(ctx context.Context, path string, q url.Values) error {
	c, err := g.connect()
	if err != nil {
		return err
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	raw, err := c.Send(ctx, "GET", path, "", nil)
	if err != nil {
		return err
	}
	_, err = g.out.Write(raw)
	return err
}

func (g *cli) userExport(s *scope) *cobra.Command {
	return g.verb("export", "Write the users as CSV to standard output", cobra.NoArgs, func(ctx context.Context, _ []string) error {
		return g.csvExport(ctx, s.path()+"/users/export", nil)
	})
}

// accessCmd exports the effective-access matrix.
func (g *cli) accessCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "access", Short: "Who can work where: the effective-access matrix"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(g.verb("export", "Write every user × workspace × role, with the path that gives it, as CSV (Org Admins)", cobra.NoArgs,
		func(ctx context.Context, _ []string) error {
			q := url.Values{}
			if s.ws != "" {
				q.Set("workspace", s.ws)
			}
			return g.csvExport(ctx, s.orgOnly().path()+"/access/export", q)
		}))
	return cmd
}
