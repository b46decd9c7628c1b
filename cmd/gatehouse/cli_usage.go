package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, as scripts read them: 0 done (or allowed), 1 denied or failed,
// 2 the command line itself is wrong.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// errDenied is what check and explain return on a denial: the answer is
// printed, and the exit code says "no" (as kubectl auth can-i does).
var errDenied = errors.New("denied")

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode maps the error of a run to the exit code and prints it.
func exitCode(err error, stderr interface{ Write([]byte) (int, error) }) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDenied):
		return exitFailed
	case errors.As(err, &ue), strings.HasPrefix(err.Error(), "unknown command "), strings.HasPrefix(err.Error(), "required flag"):
		fmt.Fprintln(stderr, "error:", err)
		return exitUsage
	}
	fmt.Fprintln(stderr, "error:", err)
	return exitFailed
}

// checkUnknownSub refuses "gatehouse users frob": cobra shows the help of a
// command group given an unknown word, and exits 0, which hides the typo.
func checkUnknownSub(root *cobra.Command, args []string) error {
	c, rest, err := root.Find(args)
	if err != nil || c == root || c.Runnable() || !c.HasSubCommands() {
		return nil
	}
	if err := c.ParseFlags(rest); err != nil {
		return nil // cobra says what is wrong with the flags
	}
	if pos := c.Flags().Args(); len(pos) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", pos[0], c.CommandPath())
		if s := c.SuggestionsFor(pos[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return usageError{msg + "\n\nRun '" + c.CommandPath() + " --help' for its commands."}
	}
	return nil
}

// nameArgs makes every command's argument errors name what is missing, from
// the words of its usage line ("missing EMAIL"), and count as usage errors.
func nameArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		nameArgs(sub)
	}
	if c.Args == nil {
		return
	}
	check, names := c.Args, positionals(c.Use)
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		switch {
		case err == nil:
			return nil
		case len(args) < len(names) && !strings.HasPrefix(names[len(args)], "["):
			return usagef("missing %s\n  usage: %s", names[len(args)], cmd.UseLine())
		case len(args) > len(names):
			return usagef("unexpected argument %q\n  usage: %s", args[len(names)], cmd.UseLine())
		}
		return usageError{err.Error() + "\n  usage: " + cmd.UseLine()}
	}
}

// positionals are the argument words of a usage line, up to its first flag:
// "create EMAIL --given-name NAME" has EMAIL.
func positionals(use string) []string {
	var out []string
	for _, w := range strings.Fields(use)[1:] {
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[-") {
			break
		}
		out = append(out, w)
	}
	return out
}

// buildVersion, when set at build time (-ldflags "-X main.buildVersion=v1.2.0"), is the version.
var buildVersion string

// version is the module version and VCS revision the binary was built from.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	v, rev, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev
		if dirty {
			v += "+changes"
		}
	}
	return v
}

func newVersion() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version of this binary", Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "gatehouse", version()) }}
}

// flagError makes a bad flag a usage error.
func flagError(_ *cobra.Command, err error) error { return usageError{err.Error()} }
