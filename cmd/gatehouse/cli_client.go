package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	gh "gatehouse.dev/gatehouse"
	ghttp "gatehouse.dev/gatehouse/http"
)

// defaultServer is where the admin commands look for Gatehouse when nothing says otherwise.
const defaultServer = "http://127.0.0.1:8080"

// cli is the state the admin commands of one invocation share: where the
// server is, the key, the output format, and the client built from them.
type cli struct {
	server, key, output string
	out                 io.Writer
	client              *ghttp.Client
}

// addClientCommands adds the admin commands that talk to a running server.
func addClientCommands(root *cobra.Command) {
	g := &cli{out: root.OutOrStdout()}
	savedOrg = loginOrg()
	root.AddCommand(g.loginCmd())
	for _, c := range []*cobra.Command{
		g.orgsCmd(), g.workspacesCmd(), g.usersCmd(), g.groupsCmd(), g.rolesCmd(),
		g.assignCmd(), g.assignmentsCmd(), g.templatesCmd(), g.keysCmd(),
		g.checkCmd(), g.explainCmd(), g.lookupCmd(), g.auditCmd(), g.reportsCmd(), g.accessCmd(), g.mailCmd(), g.capabilitiesCmd(),
		g.applyCmd(), g.whatifCmd(), g.idpCmd(), g.domainsCmd(), g.directoriesCmd(), g.exclusionsCmd(),
		g.notificationsCmd(), g.tasksCmd(), g.announcementsCmd(),
	} {
		f := c.PersistentFlags()
		f.StringVar(&g.server, "server", "", "Gatehouse URL (GATEHOUSE_URL, else the saved login, else "+defaultServer+")")
		f.StringVar(&g.key, "key", "", "API key (GATEHOUSE_KEY, else the saved login)")
		f.StringVarP(&g.output, "output", "o", "table", "output format: table or json (the server's JSON)")
		root.AddCommand(c)
	}
}

// run adapts a command body: it checks the output format, and turns server
// errors into messages a person can act on, naming the command's own flags.
func (g *cli) run(fn func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if g.output != "table" && g.output != "json" {
			return fmt.Errorf("--output %q: want table or json", g.output)
		}
		return g.humanError(cmd.Flags(), fn(cmd.Context(), args))
	}
}

// fileConfig is the saved login, $XDG_CONFIG_HOME/gatehouse/config.json.
type fileConfig struct {
	Server string `json:"server"`
	Key    string `json:"key"`
	Org    string `json:"org,omitempty"` // the key's only organization, the default of --org
}

// savedOrg is the default of --org: the organization of the saved login's
// key when it sees exactly one, and no other key is given in the environment.
var savedOrg string

func loginOrg() string {
	fc, err := readConfig()
	if err != nil || (os.Getenv("GATEHOUSE_KEY") != "" && os.Getenv("GATEHOUSE_KEY") != fc.Key) {
		return ""
	}
	return fc.Org
}

func configPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the configuration directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "gatehouse", "config.json"), nil
}

// readConfig reads the saved login; a missing file is an empty configuration.
func readConfig() (fileConfig, error) {
	var fc fileConfig
	path, err := configPath()
	if err != nil {
		return fc, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fc, nil
	}
	if err != nil {
		return fc, err
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fc, fmt.Errorf("%s is not valid JSON (%v); run gatehouse login again", path, err)
	}
	return fc, nil
}

var errNoKey = errors.New(`no API key: pass --key, set GATEHOUSE_KEY, or save one with "gatehouse login --server URL --key KEY"
  an Organization Admin can make you a key with "gatehouse keys create --org ORG --user YOU";
  the platform operator's key is printed when the server first starts`)

// connect builds the client from flags, then the environment, then the saved login.
func (g *cli) connect() (*ghttp.Client, error) {
	if g.client != nil {
		return g.client, nil
	}
	server, key := g.server, g.key
	if server == "" {
		server = os.Getenv("GATEHOUSE_URL")
	}
	if key == "" {
		key = os.Getenv("GATEHOUSE_KEY")
	}
	if server == "" || key == "" {
		fc, err := readConfig()
		if err != nil {
			return nil, err
		}
		// The saved key belongs to the saved server: never send it elsewhere.
		if key == "" && (server == "" || strings.TrimRight(server, "/") == strings.TrimRight(fc.Server, "/")) {
			key = fc.Key
		}
		server = first(server, fc.Server)
	}
	server = first(server, defaultServer)
	if err := checkServerURL(server); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errNoKey
	}
	g.client = ghttp.NewClient(server, key, nil)
	g.client.CLI = true
	return g.client, nil
}

// first returns the first non-empty string.
func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkServerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server %q: want a URL such as %s", s, defaultServer)
	}
	return nil
}

// call sends one request and keeps the answer as the server sent it.
func (g *cli) call(ctx context.Context, method, path string, in any) (json.RawMessage, error) {
	c, err := g.connect()
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	return raw, c.Do(ctx, method, path, in, &raw)
}

// callInto sends one request and decodes the answer into out.
func (g *cli) callInto(ctx context.Context, method, path string, in, out any) error {
	c, err := g.connect()
	if err != nil {
		return err
	}
	return c.Do(ctx, method, path, in, out)
}

// humanError rewrites an error for the terminal: the server's detail, one
// line per invalid field (as the command's flag when it has one), and a hint
// for the errors a person can fix on their side.
func (g *cli) humanError(flags *pflag.FlagSet, err error) error {
	var ae *ghttp.APIError
	var ne net.Error
	var oe *net.OpError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		var b strings.Builder
		b.WriteString(first(ae.Detail, ae.Code))
		for _, name := range ae.FieldNames() {
			field := name
			if flag := strings.ReplaceAll(name, "_", "-"); flags.Lookup(flag) != nil {
				field = "--" + flag
			}
			fmt.Fprintf(&b, "\n  %s: %s", field, ae.Fields[name])
		}
		b.WriteString(g.hints(flags, ae))
		switch {
		case ae.Status == http.StatusUnauthorized:
			b.WriteString("\n  the key was refused: pass a valid one with --key or GATEHOUSE_KEY, or save one with \"gatehouse login\"")
		case ae.Status >= 500 && ae.RequestID != "":
			b.WriteString("\n  request id (for the server's logs): " + ae.RequestID)
		}
		return errors.New(b.String())
	case errors.As(err, &oe) && oe.Op == "dial":
		return fmt.Errorf("cannot reach Gatehouse at %s (%v)\n  is the server running? point --server or GATEHOUSE_URL at it", g.client.BaseURL, oe.Err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("Gatehouse at %s did not answer in time (%v)\n  is the server overloaded, or --server pointing elsewhere?", g.client.BaseURL, err)
	}
	return err
}

func (g *cli) loginCmd() *cobra.Command {
	var fc fileConfig
	cmd := &cobra.Command{
		Use:   "login --server URL --key KEY",
		Short: "Check a server URL and API key and save them for the other commands",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		if err := checkServerURL(fc.Server); err != nil {
			return err
		}
		g.server, g.key = fc.Server, fc.Key
		var orgs struct {
			Items []struct {
				Slug string `json:"slug"`
			} `json:"items"`
		}
		if err := g.callInto(ctx, "GET", "/v1/orgs", nil, &orgs); err != nil {
			return err
		}
		slugs := make([]string, len(orgs.Items))
		for i, o := range orgs.Items {
			slugs[i] = o.Slug
		}
		if fc.Org = ""; len(slugs) == 1 {
			fc.Org = slugs[0]
		}
		path, err := writeConfig(fc)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.out, "Saved %s and its key in %s.\nThe key sees %d organization(s): %s\n",
			fc.Server, path, len(slugs), strings.Join(slugs, ", "))
		if fc.Org != "" {
			fmt.Fprintf(g.out, "--org defaults to %s.\n", fc.Org)
		}
		return nil
	})
	cmd.Flags().StringVar(&fc.Server, "server", "", "Gatehouse URL, such as "+defaultServer)
	cmd.Flags().StringVar(&fc.Key, "key", "", "API key")
	_ = cmd.MarkFlagRequired("server")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// writeConfig saves the login readable by its owner only: it holds a key.
func writeConfig(fc fileConfig) (string, error) {
	path, err := configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(fc, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	if err := f.Chmod(0o600); err != nil { // an older file may have been readable by others
		f.Close()
		return "", err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// hints point from an error to the command that lists the valid choices.
func (g *cli) hints(flags *pflag.FlagSet, ae *ghttp.APIError) string {
	var out string
	fields := ae.FieldNames()
	if slices.ContainsFunc(fields, func(f string) bool { return f == "capability" || strings.HasPrefix(f, "grants.") }) {
		out += "\n  the capabilities there are: gatehouse capabilities list"
	}
	if ae.Code == "role_not_found" || slices.Contains(fields, "role") {
		out += g.usableRoles(flags)
	}
	return out
}

// usableRoles names the roles that may be assigned in the command's scope.
func (g *cli) usableRoles(flags *pflag.FlagSet) string {
	s := scope{org: flagValue(flags, "org"), ws: flagValue(flags, "workspace")}
	if s.org == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	roles, err := listInto[*gh.Role](ctx, g, s.path()+"/roles", url.Values{"usable": {"true"}})
	if err != nil || len(roles) == 0 {
		return ""
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return "\n  roles usable in " + s.where() + ": " + strings.Join(names, ", ")
}

func flagValue(flags *pflag.FlagSet, name string) string {
	if f := flags.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}
