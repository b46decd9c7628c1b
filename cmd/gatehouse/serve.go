package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/console"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/ldap"
	"gatehouse.dev/gatehouse/outbox"
	"gatehouse.dev/gatehouse/provision"
	"gatehouse.dev/gatehouse/scim"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/smtp"
	"gatehouse.dev/gatehouse/sso"
	"gatehouse.dev/gatehouse/webhook"
)

// Main is one running Gatehouse node: store, directory, index and HTTP server.
// Tests build the same Main with a temporary store and 127.0.0.1:0.
type Main struct {
	Config Config
	Out    io.Writer // where first-start secrets and the demo guide are printed
	Log    *slog.Logger

	// Params are the password hashing costs; auth.DefaultParams when zero (tests lower them).
	Params auth.Params
	// FailureFloor is the least time a failed sign-in takes (see signin.Config).
	FailureFloor time.Duration

	// LDAPOptions are the LDAP syncs' connection options (tests set a
	// dialer or TLS roots).
	LDAPOptions ldap.Options
	// SSOClient makes the calls to identity providers; tests set one that
	// trusts their providers. Nil: a client with a timeout.
	SSOClient *http.Client
	// Now is the directory's clock, which sign-in reads too; tests move it
	// to make accounts old. Nil: time.Now.
	Now func() time.Time

	store    gh.Store
	signin   *signin.Service
	sso      *sso.Service
	prov     *provision.Service
	dir      *directory.Directory
	server   *ghttp.Server
	http     *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Run opens the store, loads the index, and starts serving. It returns once
// the node is ready; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	store, err := openStore(ctx, m.Config.Store)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	m.store = store
	m.dir = directory.New(store, engine.New(gh.DefaultCatalogue), m.Log, m.Now)
	m.server = ghttp.New(m.dir, m.Log)
	params := m.Params
	if params == (auth.Params{}) {
		params = auth.DefaultParams
	}
	start := time.Now()
	if err := m.dir.Load(ctx); err != nil {
		return fmt.Errorf("load the index: %w", err)
	}
	m.Log.Info("index loaded", "revision", m.dir.Index().Revision(), "duration_ms", time.Since(start).Milliseconds())
	// Listen before making the operator key: a new key is printed only
	// once, and a busy port must not make that one print go to waste.
	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w (another gatehouse running? choose another address with --addr)", m.Config.Addr, err)
	}
	secret, err := m.dir.EnsureOperatorKey(ctx, m.Config.OperatorKey)
	if err != nil {
		return fmt.Errorf("operator key: %w", err)
	}
	if secret != "" {
		fmt.Fprintf(m.Out, "\nOperator API key (shown once; keep it safe):\n\n  %s\n\n", secret.Reveal())
	}
	public := m.Config.publicURL(m.listener.Addr().String())
	var sealer auth.Sealer
	if m.Config.SecretKey != "" {
		sealer, _ = auth.NewSealer(m.Config.SecretKey) // Validate checked it
	} else {
		m.Log.Warn("no GATEHOUSE_SECRET_KEY: TOTP seeds, webhook keys, identity providers' secrets and LDAP bind passwords are stored unencrypted in the database")
	}
	if why := passkeysOff(public); why != "" {
		m.Log.Warn("passkeys are off: " + why)
	}
	m.prov = provision.New(m.dir, provision.Config{PublicURL: public, Sealer: sealer, LDAP: m.LDAPOptions}, m.Log)
	m.signin = signin.New(m.dir, store, signin.Config{Params: params, PublicURL: public, FailureFloor: m.FailureFloor, Sealer: sealer,
		DirectoryPassword: m.prov.CheckPassword, SMS: m.Config.texter()}, m.Log) // LDAP directories that allow it check their people's passwords
	proxies, _ := m.Config.proxies()
	m.server.EnableSignin(m.signin, ghttp.SigninOptions{SecureCookies: strings.HasPrefix(public, "https://"), TrustedProxies: proxies})
	m.sso = sso.New(m.dir, m.signin, sso.Config{PublicURL: public, Sealer: sealer,
		HTTPClient: m.SSOClient, LookupTXT: lookupTXT(m.Config.DNSResolver)}, m.Log)
	m.server.EnableSSO(m.sso)
	m.server.EnableDirectories(m.prov)
	scim.New(m.dir, m.Log).Mount(m.server)
	console.Mount(m.server, m.dir, m.signin, m.Log)
	if m.Config.Demo {
		if err := seedDemo(ctx, m.dir, m.signin, m.Out, m.Addr(), m.Config.Store); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	route := outbox.Route{Kinds: map[string]outbox.Sender{
		webhook.Kind: &webhook.Sender{Vault: store, Now: time.Now, AllowPrivate: m.Config.WebhookPrivate, Unseal: sealer.Open}}}
	if m.Config.SMTPURL != "" {
		c, err := smtp.New(m.Config.SMTPURL, m.Config.MailFrom)
		if err != nil {
			return err
		}
		route.Mail = c
	} else if m.Config.Demo {
		// A demo keeps its mail for the person trying it (gatehouse mail show);
		// a real server never does, since the messages hold one-time links.
		c := outbox.NewCatcher(200)
		route.Mail = c
		m.server.KeepMail(c)
		m.Log.Info("demo without GATEHOUSE_SMTP_URL: mail is kept in memory; read it with gatehouse mail list and gatehouse mail show ID")
	} else {
		m.Log.Warn("no GATEHOUSE_SMTP_URL: invitations and resets wait in the outbox until one is set")
	}
	m.http = &http.Server{Handler: m.server.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	var wake <-chan struct{}
	if n, ok := store.(gh.Notifier); ok && !m.Config.NoListen {
		if wake, err = n.Listen(fctx); err != nil {
			cancel()
			return fmt.Errorf("listen for other nodes' changes: %w", err)
		}
	}
	w := &outbox.Worker{Vault: store, Sender: route, Now: time.Now, Log: m.Log,
		Permanent: func(err error) bool { return smtp.Permanent(err) || webhook.Permanent(err) }}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		w.Run(fctx, 5*time.Second, m.signin.MailQueued())
	}()
	m.wg.Add(3)
	go func() {
		defer m.wg.Done()
		m.refreshMetadata(fctx)
	}()
	go func() {
		defer m.wg.Done()
		m.sweepRules(fctx)
	}()
	go func() {
		defer m.wg.Done()
		m.prov.Run(fctx) // scheduled LDAP syncs
	}()
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("serve", "err", err)
		}
	}()
	go func() {
		defer m.wg.Done()
		m.dir.Follow(fctx, m.Config.Follow, wake)
	}()
	if m.Config.DebugAddr != "" {
		go m.serveDebug()
	}
	m.server.SetReady(true)
	m.Log.Info("serving", "addr", m.Addr(), "store", storeKind(m.Config.Store))
	return nil
}

func storeKind(ref string) string {
	if isPostgres(ref) {
		return "postgres"
	}
	return "sqlite:" + ref
}

// Addr is the address the node listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Directory exposes the node's directory to tests.
func (m *Main) Directory() *directory.Directory { return m.dir }

// Close stops serving, waits for in-flight requests, and closes the store.
func (m *Main) Close() error {
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.http.Shutdown(ctx)
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.store != nil {
		return m.store.Close()
	}
	return nil
}

// serveDebug serves the profiler on its own address, kept off the API listener.
func (m *Main) serveDebug() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: m.Config.DebugAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		m.Log.Error("debug listener", "err", err)
	}
}

// lookupTXT reads TXT records at the configured DNS server, or the
// system's when addr is empty.
func lookupTXT(addr string) func(ctx context.Context, name string) ([]string, error) {
	if addr == "" {
		return net.DefaultResolver.LookupTXT
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return r.LookupTXT
}

// metadataEvery is how often SAML providers' metadata URLs are read again:
// IdPs publish a new certificate well ahead of using it, so a few hours
// is soon enough, and rare enough for the IdPs.
const metadataEvery = 6 * time.Hour

// refreshMetadata reads the SAML providers' metadata URLs again every
// metadataEvery until ctx ends.
func (m *Main) refreshMetadata(ctx context.Context) {
	every(ctx, metadataEvery, func() {
		if n := m.sso.RefreshMetadata(ctx); n > 0 {
			m.Log.Info("SAML metadata refreshed", "providers", n)
		}
	})
}

// every runs fn each period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// sweepRules stores, every minute, the rule groups of users whose
// certifications expired: checks answer by the clock without it, and
// answer faster with it.
func (m *Main) sweepRules(ctx context.Context) {
	every(ctx, time.Minute, func() {
		if n := m.dir.Index().Sweep(); n > 0 {
			m.Log.Info("rule groups refreshed after certifications expired", "users", n)
		}
	})
}
