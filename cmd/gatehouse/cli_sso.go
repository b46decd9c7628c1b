package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/sso"
)

// clientSecretEnv passes an OIDC client secret without putting it on the
// command line, where other users of the machine and the shell's history
// would see it.
const clientSecretEnv = "GATEHOUSE_IDP_CLIENT_SECRET"

func (g *cli) idpCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "idp", Aliases: []string{"identity-providers"},
		Short: "Identity providers (OIDC or SAML) that sign in the people of an organization, or of one workspace with --workspace"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(
		g.verb("list", "List identity providers", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", s.path()+"/identity-providers", nil, func(w io.Writer, l directory.List[*sso.ProviderView]) {
				rows := make([][]string, len(l.Items))
				for i, p := range l.Items {
					rows[i] = []string{p.Name, string(p.Type), enabled(p.Disabled), yesNo(p.JIT), string(p.ID)}
				}
				table(w, "No identity providers in "+s.where()+".", []string{"NAME", "TYPE", "STATUS", "JIT", "ID"}, rows)
			})
		}),
		g.verb("show ID", "Show an identity provider and the addresses its own admin must enter", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "GET", s.path()+"/identity-providers/"+esc(args[0]), nil, func(w io.Writer, p sso.ProviderView) {
				printProvider(w, &p)
			})
		}),
		g.idpAdd(s),
		g.idpUpdate(s),
		g.verb("remove ID", "Remove an identity provider (its users keep their accounts)", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "DELETE", s.path()+"/identity-providers/"+esc(args[0]), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Removed identity provider %s.\n", args[0])
			})
		}),
		g.idpTest(s),
		g.idpAttempts(s),
	)
	return cmd
}

func enabled(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// printProvider shows a provider's settings, then what the provider's own
// admin needs to register Gatehouse there.
func printProvider(w io.Writer, p *sso.ProviderView) {
	home := "organization " + string(p.Org)
	if p.Workspace != "" {
		home = "workspace " + string(p.Workspace)
	}
	pairs := []string{"Name", p.Name, "ID", string(p.ID), "Type", string(p.Type), "Signs in", "the users of " + home,
		"Status", enabled(p.Disabled), "JIT", yesNo(p.JIT) + " (creates users at their first sign-in)", "Trust MFA", yesNo(p.TrustMFA)}
	if o := p.OIDC; o != nil {
		pairs = append(pairs, "Issuer", o.Issuer, "Client ID", o.ClientID, "Scopes", strings.Join(o.Scopes, " "),
			"Email claim", o.Claims.Email, "Name claim", o.Claims.Name, "Groups claim", o.Claims.Groups)
	}
	if sm := p.SAML; sm != nil {
		pairs = append(pairs, "IdP entity ID", sm.EntityID, "Metadata URL", sm.MetadataURL,
			"Email attribute", sm.Attributes.Email, "Name attribute", sm.Attributes.Name, "Groups attribute", sm.Attributes.Groups,
			"IdP-initiated", yesNo(sm.AllowIdPInitiated))
	}
	pairs = append(pairs, "Created", day(p.CreatedAt))
	fields(w, pairs...)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Enter at the identity provider:")
	if p.Type == gh.ProviderOIDC {
		fields(w, "  Redirect URI", p.RedirectURI)
	} else {
		fields(w, "  ACS URL", p.ACSURL, "  SP entity ID", p.EntityID, "  SP metadata", p.EntityID)
	}
	fields(w, "  Sign-in start URL", p.StartURL)
}

// providerFlags are the settings add and update share.
type providerFlags struct {
	typ, name, issuer, clientID, secret, secretFile string
	emailClaim, nameClaim, groupsClaim              string
	metadataFile, metadataURL                       string
	emailAttr, nameAttr, groupsAttr                 string
	scopes                                          []string
	jit, trustMFA, disabled, idpInitiated           bool
}

func (pf *providerFlags) bind(f *pflag.FlagSet, add bool) {
	if add {
		f.StringVar(&pf.typ, "type", "", "oidc or saml")
	}
	f.StringVar(&pf.name, "name", "", "the name on the sign-in button")
	f.BoolVar(&pf.jit, "jit", false, "create users at their first sign-in (without it only existing users are admitted)")
	f.BoolVar(&pf.trustMFA, "trust-mfa", false, "take the provider's word that it asked for a second factor")
	f.BoolVar(&pf.disabled, "disabled", false, "sign nobody in through it (--disabled=false enables it)")
	f.StringVar(&pf.issuer, "issuer", "", "OIDC: the issuer URL (its discovery must answer)")
	f.StringVar(&pf.clientID, "client-id", "", "OIDC: the client id registered at the provider")
	f.StringVar(&pf.secret, "client-secret", "", "OIDC: the client secret (prefer --client-secret-file or "+clientSecretEnv+")")
	f.StringVar(&pf.secretFile, "client-secret-file", "", "OIDC: read the client secret from this file")
	f.StringArrayVar(&pf.scopes, "scope", nil, "OIDC: a scope to ask for besides openid, repeatable")
	f.StringVar(&pf.emailClaim, "email-claim", "", "OIDC: the claim with the email (default email)")
	f.StringVar(&pf.nameClaim, "name-claim", "", "OIDC: the claim with the display name (default name)")
	f.StringVar(&pf.groupsClaim, "groups-claim", "", "OIDC: the claim with the groups (default groups)")
	f.StringVar(&pf.metadataFile, "metadata-file", "", "SAML: the IdP's metadata XML file")
	f.StringVar(&pf.metadataURL, "metadata-url", "", "SAML: the IdP's metadata URL (https)")
	f.StringVar(&pf.emailAttr, "email-attr", "", "SAML: the attribute with the email (default: the NameID when an email)")
	f.StringVar(&pf.nameAttr, "name-attr", "", "SAML: the attribute with the display name")
	f.StringVar(&pf.groupsAttr, "groups-attr", "", "SAML: the attribute with the groups")
	f.BoolVar(&pf.idpInitiated, "allow-idp-initiated", false, "SAML: admit sign-ins started at the IdP (no request of ours)")
}

var (
	oidcFlags = []string{"issuer", "client-id", "client-secret", "client-secret-file", "scope", "email-claim", "name-claim", "groups-claim"}
	samlFlags = []string{"metadata-file", "metadata-url", "email-attr", "name-attr", "groups-attr", "allow-idp-initiated"}
)

func providerFlagNames() []string {
	return append(append([]string{"name", "jit", "trust-mfa", "disabled"}, oidcFlags...), samlFlags...)
}

// apply sets in's fields from the flags given, leaving the others as they
// are, after checking that they fit the provider's type.
func (pf *providerFlags) apply(f *pflag.FlagSet, in *sso.ProviderInput) error {
	foreign, kind := samlFlags, "an OIDC"
	if in.Type == gh.ProviderSAML {
		foreign, kind = oidcFlags, "a SAML"
	}
	for _, name := range foreign {
		if f.Changed(name) {
			return usagef("--%s does not apply to %s provider", name, kind)
		}
	}
	if f.Changed("metadata-file") && f.Changed("metadata-url") {
		return usagef("give --metadata-file or --metadata-url, not both")
	}
	if n := countChanged(f, "client-secret", "client-secret-file"); n > 1 {
		return usagef("give --client-secret or --client-secret-file, not both")
	}
	set := func(name string, dst *string, v string) {
		if f.Changed(name) {
			*dst = v
		}
	}
	setB := func(name string, dst *bool, v bool) {
		if f.Changed(name) {
			*dst = v
		}
	}
	set("name", &in.Name, pf.name)
	setB("jit", &in.JIT, pf.jit)
	setB("trust-mfa", &in.TrustMFA, pf.trustMFA)
	setB("disabled", &in.Disabled, pf.disabled)
	switch in.Type {
	case gh.ProviderOIDC:
		set("issuer", &in.Issuer, pf.issuer)
		set("client-id", &in.ClientID, pf.clientID)
		set("email-claim", &in.Claims.Email, pf.emailClaim)
		set("name-claim", &in.Claims.Name, pf.nameClaim)
		set("groups-claim", &in.Claims.Groups, pf.groupsClaim)
		if f.Changed("scope") {
			in.Scopes = pf.scopes
		}
		secret, err := pf.clientSecret(f)
		if err != nil {
			return err
		}
		in.ClientSecret = secret
	case gh.ProviderSAML:
		if f.Changed("metadata-file") {
			b, err := os.ReadFile(pf.metadataFile)
			if err != nil {
				return fmt.Errorf("--metadata-file: %w", err)
			}
			in.MetadataXML, in.MetadataURL = string(b), ""
		}
		if f.Changed("metadata-url") {
			in.MetadataURL, in.MetadataXML = pf.metadataURL, "" // fetched again
		}
		set("email-attr", &in.Attributes.Email, pf.emailAttr)
		set("name-attr", &in.Attributes.Name, pf.nameAttr)
		set("groups-attr", &in.Attributes.Groups, pf.groupsAttr)
		setB("allow-idp-initiated", &in.AllowIdPInitiated, pf.idpInitiated)
	}
	return nil
}

// clientSecret is the secret of --client-secret, --client-secret-file or
// the environment, in that order; empty keeps the provider's own.
func (pf *providerFlags) clientSecret(f *pflag.FlagSet) (string, error) {
	switch {
	case f.Changed("client-secret"):
		return pf.secret, nil
	case f.Changed("client-secret-file"):
		b, err := os.ReadFile(pf.secretFile)
		if err != nil {
			return "", fmt.Errorf("--client-secret-file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("--client-secret-file %s is empty", pf.secretFile)
		}
		return s, nil
	}
	return strings.TrimSpace(os.Getenv(clientSecretEnv)), nil
}

func countChanged(f *pflag.FlagSet, names ...string) int {
	n := 0
	for _, name := range names {
		if f.Changed(name) {
			n++
		}
	}
	return n
}

func (g *cli) idpAdd(s *scope) *cobra.Command {
	pf := &providerFlags{}
	cmd := &cobra.Command{
		Use:   "add --type oidc|saml --name NAME",
		Short: "Add an identity provider (an OIDC issuer must answer discovery, SAML metadata must parse)",
		Long: `Add an identity provider.

OIDC: --issuer URL --client-id ID, and the client secret from --client-secret-file,
` + clientSecretEnv + ` or --client-secret.
SAML: --metadata-file PATH or --metadata-url URL.

The answer shows the redirect URI (OIDC) or the ACS URL and SP entity ID (SAML)
to enter at the identity provider.`,
		Args: cobra.NoArgs,
	}
	pf.bind(cmd.Flags(), true)
	cmd.RunE = g.run(func(ctx context.Context, _ []string) error {
		f := cmd.Flags()
		in := sso.ProviderInput{Type: gh.ProviderType(pf.typ)}
		switch {
		case pf.typ == "":
			return usagef("--type is required: oidc or saml")
		case in.Type != gh.ProviderOIDC && in.Type != gh.ProviderSAML:
			return usagef("--type %q: want oidc or saml", pf.typ)
		case strings.TrimSpace(pf.name) == "":
			return usagef("--name is required: the name people see on the sign-in button")
		case in.Type == gh.ProviderOIDC && pf.issuer == "":
			return usagef("an OIDC provider needs --issuer, its issuer URL (such as https://login.example.com)")
		case in.Type == gh.ProviderOIDC && pf.clientID == "":
			return usagef("an OIDC provider needs --client-id, the client registered for Gatehouse there")
		case in.Type == gh.ProviderSAML && countChanged(f, "metadata-file", "metadata-url") == 0:
			return usagef("a SAML provider needs --metadata-file PATH or --metadata-url URL, the IdP's metadata")
		}
		if err := pf.apply(f, &in); err != nil {
			return err
		}
		return send(ctx, g, "POST", s.path()+"/identity-providers", in, func(w io.Writer, p sso.ProviderView) {
			fmt.Fprintf(w, "Added %s provider %q (%s) to %s.\n\n", strings.ToUpper(string(p.Type)), p.Name, p.ID, s.where())
			printProvider(w, &p)
		})
	})
	return cmd
}

func (g *cli) idpUpdate(s *scope) *cobra.Command {
	pf := &providerFlags{}
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change an identity provider's settings (those not given stay as they are)",
		Args:  cobra.ExactArgs(1),
	}
	pf.bind(cmd.Flags(), false)
	cmd.RunE = g.run(func(ctx context.Context, args []string) error {
		f := cmd.Flags()
		if countChanged(f, providerFlagNames()...) == 0 && os.Getenv(clientSecretEnv) == "" {
			return usagef("nothing to change: give the settings to change, such as --name or --disabled")
		}
		c, err := g.connect()
		if err != nil {
			return err
		}
		cur, rev, err := c.IdentityProvider(ctx, s.org, s.ws, args[0])
		if err != nil {
			return err
		}
		in := inputOf(cur)
		if err := pf.apply(f, &in); err != nil {
			return err
		}
		p, err := c.ReplaceIdentityProvider(ctx, s.org, s.ws, args[0], in, rev)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return show(g, raw, func(w io.Writer, p sso.ProviderView) {
			fmt.Fprintf(w, "Updated identity provider %q (%s).\n\n", p.Name, p.ID)
			printProvider(w, &p)
		})
	})
	return cmd
}

// inputOf is the input that would set a provider as it is (its secrets
// left out: the server keeps them).
func inputOf(p *sso.ProviderView) sso.ProviderInput {
	in := sso.ProviderInput{Type: p.Type, Name: p.Name, JIT: p.JIT, TrustMFA: p.TrustMFA, Disabled: p.Disabled}
	if o := p.OIDC; o != nil {
		in.Issuer, in.ClientID, in.Scopes, in.Claims = o.Issuer, o.ClientID, o.Scopes, o.Claims
	}
	if sm := p.SAML; sm != nil {
		in.MetadataXML, in.MetadataURL, in.Attributes, in.AllowIdPInitiated = sm.MetadataXML, sm.MetadataURL, sm.Attributes, sm.AllowIdPInitiated
	}
	return in
}

func (g *cli) idpTest(s *scope) *cobra.Command {
	var claimsFile, samlFile string
	cmd := g.verb("test ID --claims FILE.json | --saml-response FILE",
		"Show what a provider's answer would do: accepted or why not, the user, the groups and the access (nothing is changed; exit 1 when rejected)",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			var in sso.BenchInput
			switch {
			case (claimsFile == "") == (samlFile == ""):
				return usagef("give --claims FILE (an ID token's claims as JSON) or --saml-response FILE (a SAML response, XML or base64), one of them")
			case claimsFile != "":
				b, err := os.ReadFile(claimsFile)
				if err != nil {
					return fmt.Errorf("--claims: %w", err)
				}
				if !json.Valid(b) {
					return fmt.Errorf("--claims %s is not JSON: give the ID token's claims as a JSON object", claimsFile)
				}
				in.Claims = b
			default:
				b, err := os.ReadFile(samlFile)
				if err != nil {
					return fmt.Errorf("--saml-response: %w", err)
				}
				in.SAMLResponse = strings.TrimSpace(string(b))
			}
			raw, err := g.call(ctx, "POST", s.path()+"/identity-providers/"+esc(args[0])+"/test", in)
			if err != nil {
				return err
			}
			var res sso.BenchResult
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("read the server's answer: %w", err)
			}
			if err := show(g, raw, printBench); err != nil {
				return err
			}
			if !res.Accepted {
				return errDenied
			}
			return nil
		})
	cmd.Flags().StringVar(&claimsFile, "claims", "", "a JSON file of an ID token's claims (OIDC)")
	cmd.Flags().StringVar(&samlFile, "saml-response", "", "a file with a SAML response or assertion, XML or base64 (SAML)")
	return cmd
}

func printBench(w io.Writer, r sso.BenchResult) {
	if r.Accepted {
		fmt.Fprintln(w, "accepted")
	} else {
		fmt.Fprintln(w, "rejected")
		if rj := r.Rejection; rj != nil {
			fields(w, "  check", rj.Check, "  detail", rj.Detail)
		}
	}
	if as := r.Assertion; as != nil {
		fmt.Fprintln(w, "\nThe provider says:")
		fields(w, "  Subject", as.Subject, "  Email", as.Email, "  Email verified", yesNo(as.EmailVerified), "  Name", as.Name,
			"  Groups", strings.Join(as.Groups, ", "), "  MFA", yesNo(as.MFA))
	}
	out := r.Outcome
	if out == nil || out.Federation == nil {
		return
	}
	fmt.Fprintln(w)
	if u := out.User; u != nil {
		how := "matches the existing user"
		switch {
		case out.Created:
			how = "creates the user"
		case out.Linked:
			how = "links by email the existing user"
		}
		fmt.Fprintf(w, "User: %s %s", how, u.Email)
		if u.ID != "" && !out.Created {
			fmt.Fprintf(w, " (%s)", u.ID)
		}
		fmt.Fprintln(w)
	}
	if out.GroupsUnknown {
		fmt.Fprintln(w, "Groups: the provider did not list them (too many); memberships stay as they are")
	} else {
		fields(w, "Groups joined", groupNames(out.Joined), "Groups left", groupNames(out.Left), "Unmapped groups", strings.Join(out.Unmapped, ", "))
	}
	rows := make([][]string, len(out.Access))
	for i, a := range out.Access {
		rows[i] = []string{a.Workspace, a.Role, a.Via}
	}
	fmt.Fprintln(w, "\nAccess after this sign-in:")
	table(w, "  none", []string{"WORKSPACE", "ROLE", "VIA"}, rows)
}

func groupNames(gs []*gh.Group) string {
	names := make([]string, len(gs))
	for i, gr := range gs {
		names[i] = gr.Name
	}
	return strings.Join(names, ", ")
}

func (g *cli) idpAttempts(s *scope) *cobra.Command {
	var limit int
	cmd := g.verb("attempts ID [--limit N]", "List the last sign-ins through a provider, newest first, refused ones with the check that failed",
		cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			if limit < 0 || limit > 200 {
				return usagef("--limit %d: want 1 to 200", limit)
			}
			path := s.path() + "/identity-providers/" + esc(args[0]) + "/attempts"
			if limit > 0 {
				path += "?" + url.Values{"limit": {strconv.Itoa(limit)}}.Encode()
			}
			return send(ctx, g, "GET", path, nil, func(w io.Writer, l directory.List[*gh.Event]) {
				rows := make([][]string, len(l.Items))
				for i, ev := range l.Items {
					rows[i] = []string{ev.Time.Local().Format("2006-01-02 15:04:05"), attemptAction(ev.Action), ev.Detail}
				}
				table(w, "No sign-ins through "+args[0]+" yet.", []string{"TIME", "RESULT", "DETAIL"}, rows)
			})
		})
	cmd.Flags().IntVar(&limit, "limit", 0, "how many (default 50, at most 200)")
	return cmd
}

// attemptAction names a sign-in event: success, or the check that failed.
func attemptAction(action string) string {
	if action == "login.sso" {
		return "success"
	}
	if check, ok := strings.CutPrefix(action, "login.sso_failure."); ok {
		return "failure: " + check
	}
	return strings.TrimPrefix(action, "login.")
}

func (g *cli) domainsCmd() *cobra.Command {
	s := &scope{}
	cmd := &cobra.Command{Use: "domains",
		Short: "Email domains proven by DNS: people with an email there are sent to the identity providers of the organization, or of one workspace with --workspace"}
	bindScope(cmd, s, true, false)
	cmd.AddCommand(
		g.verb("list", "List claimed domains", cobra.NoArgs, func(ctx context.Context, _ []string) error {
			return send(ctx, g, "GET", s.path()+"/domains", nil, func(w io.Writer, l directory.List[*gh.Domain]) {
				rows := make([][]string, len(l.Items))
				for i, d := range l.Items {
					status := "pending: publish TXT " + d.TXTName()
					if d.Verified() {
						status = "verified " + day(d.VerifiedAt)
					}
					rows[i] = []string{d.Name, status, string(d.ID)}
				}
				table(w, "No domains claimed in "+s.where()+".", []string{"DOMAIN", "STATUS", "ID"}, rows)
			})
		}),
		g.verb("claim DOMAIN", "Claim an email domain; prints the DNS TXT record that proves it", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			return send(ctx, g, "POST", s.path()+"/domains", map[string]string{"domain": args[0]}, func(w io.Writer, d gh.Domain) {
				fmt.Fprintf(w, "Claimed %s (%s) for %s. Publish this DNS TXT record:\n\n", d.Name, d.ID, s.where())
				fields(w, "  Name", d.TXTName(), "  Value", d.Token)
				fmt.Fprintf(w, "\nThen run: gatehouse domains verify %s %s\n", d.ID, s.flags())
			})
		}),
		g.verb("verify ID", "Look for the domain's TXT record and mark the domain proven", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			id, err := g.resolveDomain(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "POST", s.path()+"/domains/"+esc(id)+"/verify", nil, func(w io.Writer, d gh.Domain) {
				fmt.Fprintf(w, "%s is verified: people with an @%s email sign in through the identity providers of %s.\n", d.Name, d.Name, s.where())
			})
		}),
		g.verb("release ID", "Give a domain claim up", cobra.ExactArgs(1), func(ctx context.Context, args []string) error {
			id, err := g.resolveDomain(ctx, s, args[0])
			if err != nil {
				return err
			}
			return send(ctx, g, "DELETE", s.path()+"/domains/"+esc(id), nil, func(w io.Writer, _ revision) {
				fmt.Fprintf(w, "Released %s.\n", args[0])
			})
		}),
	)
	return cmd
}

// resolveDomain turns a domain name into the id of the scope's claim of it; ids pass through.
func (g *cli) resolveDomain(ctx context.Context, s *scope, ref string) (string, error) {
	if gh.HasIDPrefix(ref, "dom") {
		return ref, nil
	}
	var l directory.List[*gh.Domain]
	if err := g.callInto(ctx, "GET", s.path()+"/domains", nil, &l); err != nil {
		return "", err
	}
	for _, d := range l.Items {
		if strings.EqualFold(d.Name, ref) {
			return string(d.ID), nil
		}
	}
	return "", fmt.Errorf("%s claims no domain %q", s.where(), ref)
}

// flags are the command-line flags that name the scope.
func (s scope) flags() string {
	out := "--org " + s.org
	if s.ws != "" {
		out += " --workspace " + s.ws
	}
	return out
}

// signInRule reads --password and --break-glass into a rule, turning
// break-glass emails into the ids of the users of s.
func (g *cli) signInRule(ctx context.Context, s scope, password string, breakGlass []string) (gh.SignInRule, error) {
	rule := gh.SignInRule{BreakGlass: []gh.UserID{}}
	switch strings.ReplaceAll(password, "_", "-") {
	case "allowed":
		rule.Password = gh.PasswordAllowed
	case "sso-only":
		rule.Password = gh.PasswordSSOOnly
	case "":
		return rule, usagef("--password is required: allowed or sso-only")
	default:
		return rule, usagef("--password %q: want allowed or sso-only", password)
	}
	for _, ref := range breakGlass {
		for _, r := range strings.Split(ref, ",") {
			if r = strings.TrimSpace(r); r == "" {
				continue
			}
			id, err := g.resolveUser(ctx, s, r)
			if err != nil {
				return rule, fmt.Errorf("--break-glass: %w", err)
			}
			rule.BreakGlass = append(rule.BreakGlass, gh.UserID(id))
		}
	}
	return rule, nil
}

func printRule(w io.Writer, where string, rule gh.SignInRule, breakGlass []string) {
	what := "with a password or single sign-on"
	if rule.Password == gh.PasswordSSOOnly {
		what = "through single sign-on only"
	}
	fmt.Fprintf(w, "The users of %s sign in %s.\n", where, what)
	if len(breakGlass) > 0 {
		fmt.Fprintf(w, "Break-glass accounts (may still use a password, audited): %s\n", strings.Join(breakGlass, ", "))
	}
}

func signInFlags(cmd *cobra.Command, password *string, breakGlass *[]string) {
	cmd.Flags().StringVar(password, "password", "", "allowed or sso-only")
	cmd.Flags().StringArrayVar(breakGlass, "break-glass", nil, "a user (email or id) who may still sign in with a password when SSO only, repeatable; the list replaces the current one")
}

// workspaceSignIn sets a workspace's password rule.
func (g *cli) workspaceSignIn(s *scope) *cobra.Command {
	var password string
	var breakGlass []string
	cmd := g.verb("sign-in WORKSPACE --password allowed|sso-only [--break-glass USER...]",
		"Allow password sign-in for a workspace's users, or require its single sign-on", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			ws := scope{org: s.org, ws: args[0]}
			rule, err := g.signInRule(ctx, ws, password, breakGlass)
			if err != nil {
				return err
			}
			return send(ctx, g, "PUT", ws.path()+"/sign-in", rule, func(w io.Writer, _ gh.Workspace) {
				printRule(w, ws.where(), rule, breakGlass)
			})
		})
	signInFlags(cmd, &password, &breakGlass)
	return cmd
}

// orgSignIn sets the password rule of the organization's own users, in its policy.
func (g *cli) orgSignIn() *cobra.Command {
	var password string
	var breakGlass []string
	cmd := g.verb("sign-in ORG --password allowed|sso-only [--break-glass USER...]",
		"Allow password sign-in for an organization's own users, or require its single sign-on", cobra.ExactArgs(1),
		func(ctx context.Context, args []string) error {
			s := scope{org: args[0]}
			rule, err := g.signInRule(ctx, s, password, breakGlass)
			if err != nil {
				return err
			}
			patch := map[string]any{"policy": map[string]any{"password_sign_in": rule.Password, "break_glass": rule.BreakGlass}}
			return send(ctx, g, "PATCH", s.path(), patch, func(w io.Writer, _ orgView) {
				printRule(w, s.where(), rule, breakGlass)
			})
		})
	signInFlags(cmd, &password, &breakGlass)
	return cmd
}

// passwordRule says a home's password rule in a few words; empty for the default.
func passwordRule(r *gh.SignInRule) string {
	if r == nil || r.Password != gh.PasswordSSOOnly {
		return ""
	}
	return fmt.Sprintf("no: single sign-on only (%d break-glass accounts)", len(r.BreakGlass))
}
