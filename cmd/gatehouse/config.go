package main

import (
	"fmt"

	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sms"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is everything `gatehouse serve` needs. Sources, lowest to highest:
// DefaultConfig, GATEHOUSE_* environment variables, flags.
type Config struct {
	Addr        string        // listen address
	Store       string        // SQLite file path, or a postgres:// URL
	OperatorKey string        // operator API key to accept; generated and printed on first start when empty
	Demo        bool          // fill an empty store with a demo organization
	LogLevel    string        // debug, info, warn, error
	Follow      time.Duration // how often to look for events written by other nodes
	NoListen    bool          // do not wake on PostgreSQL notifications (tests of a lagging node)
	DebugAddr   string        // where to serve Go's profiler (never on the public address)

	PublicURL      string // the service's address as people reach it; the only source of links in emails
	SMTPURL        string // smtp://host:port; without it mail waits in the outbox
	MailFrom       string // the sender of Gatehouse's emails
	TrustedProxies string // comma-separated ranges whose X-Forwarded-For is believed
	WebhookPrivate bool   // let security webhooks reach loopback and private addresses
	SecretKey      string // base64 AES-256 key sealing TOTP seeds and webhook keys in the database
	// DNSResolver is the DNS server (host:port) domain proofs are looked up
	// at; the system's resolver when empty.
	DNSResolver string
	// SMSURL is the HTTP gateway one-time codes are texted through; without
	// it codes by SMS are not offered. SMSSecret signs each request to it.
	SMSURL     string
	SMSSecret  string
	SMSTimeout time.Duration // per message; 10 seconds when zero
}

// DefaultConfig runs on an embedded SQLite file in the working directory.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Store: "gatehouse.db", LogLevel: "info", Follow: time.Second}
}

// FromEnv overlays the GATEHOUSE_* environment variables.
func (c *Config) FromEnv() {
	set := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			*dst = v
		}
	}
	set("GATEHOUSE_ADDR", &c.Addr)
	set("GATEHOUSE_STORE", &c.Store)
	set("GATEHOUSE_OPERATOR_KEY", &c.OperatorKey)
	set("GATEHOUSE_LOG_LEVEL", &c.LogLevel)
	set("GATEHOUSE_PUBLIC_URL", &c.PublicURL)
	set("GATEHOUSE_SMTP_URL", &c.SMTPURL)
	set("GATEHOUSE_MAIL_FROM", &c.MailFrom)
	set("GATEHOUSE_TRUSTED_PROXIES", &c.TrustedProxies)
	c.WebhookPrivate = os.Getenv("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE") == "true"
	set("GATEHOUSE_SECRET_KEY", &c.SecretKey)
	set("GATEHOUSE_DNS_RESOLVER", &c.DNSResolver)
	set("GATEHOUSE_SMS_URL", &c.SMSURL)
	set("GATEHOUSE_SMS_SECRET", &c.SMSSecret)
	if d, err := time.ParseDuration(os.Getenv("GATEHOUSE_SMS_TIMEOUT")); err == nil {
		c.SMSTimeout = d
	}
}

// Validate names the first bad setting.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q (GATEHOUSE_ADDR, --addr): want host:port such as 127.0.0.1:8080", c.Addr)
	}
	if strings.TrimSpace(c.Store) == "" {
		return fmt.Errorf("store (GATEHOUSE_STORE, --store): want a SQLite file path or a postgres:// URL")
	}
	if c.OperatorKey != "" && len(c.OperatorKey) < 20 {
		return fmt.Errorf("operator key (GATEHOUSE_OPERATOR_KEY): must be at least 20 characters")
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if c.Follow <= 0 {
		return fmt.Errorf("follow interval must be positive")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public URL %q (GATEHOUSE_PUBLIC_URL): want http(s)://host[:port]", c.PublicURL)
		}
	}
	if _, err := c.proxies(); err != nil {
		return err
	}
	if c.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(c.DNSResolver); err != nil {
			return fmt.Errorf("DNS resolver %q (GATEHOUSE_DNS_RESOLVER): want host:port such as 10.0.0.2:53", c.DNSResolver)
		}
	}
	if c.SecretKey != "" {
		if _, err := auth.NewSealer(c.SecretKey); err != nil {
			return err
		}
	}
	return c.validateSMS()
}

// validateSMS wants an http(s) gateway URL with a secret of some length, so
// that a gateway can tell Gatehouse's requests from anyone's.
func (c *Config) validateSMS() error {
	if c.SMSURL == "" {
		return nil
	}
	if u, err := url.Parse(c.SMSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("SMS gateway URL %q (GATEHOUSE_SMS_URL, --sms-url): want http(s)://host/path", c.SMSURL)
	}
	if len(c.SMSSecret) < 16 {
		return fmt.Errorf("SMS gateway secret (GATEHOUSE_SMS_SECRET): must be at least 16 characters when GATEHOUSE_SMS_URL is set")
	}
	if c.SMSTimeout < 0 || c.SMSTimeout > time.Minute {
		return fmt.Errorf("SMS timeout %s (GATEHOUSE_SMS_TIMEOUT, --sms-timeout): want up to 1m", c.SMSTimeout)
	}
	return nil
}

// proxies parses the trusted proxy ranges.
func (c *Config) proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies (GATEHOUSE_TRUSTED_PROXIES): %q is not a range such as 10.0.0.0/8", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// publicURL is the configured public URL, or the listen address over plain
// HTTP, named localhost when it is a loopback or unspecified address:
// passkeys (WebAuthn) need a host name, never an IP address.
func (c *Config) publicURL(addr string) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(addr)
	if ip, perr := netip.ParseAddr(host); err == nil && perr == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return "http://" + net.JoinHostPort("localhost", port)
	}
	return "http://" + addr
}

// passkeysOff says why passkeys cannot work at a public URL, or "".
func passkeysOff(public string) string {
	u, err := url.Parse(public)
	if err != nil || u.Hostname() == "" {
		return "the public URL " + public + " is not a URL; set GATEHOUSE_PUBLIC_URL"
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return "the public URL " + public + " names an IP address, and browsers bind passkeys to a host name; set GATEHOUSE_PUBLIC_URL to https://your.host"
	}
	return ""
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("log level %q (GATEHOUSE_LOG_LEVEL, --log-level): want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// texter is the SMS gateway client, or nil (no SMS codes) without a gateway.
func (c *Config) texter() signin.Texter {
	if c.SMSURL == "" {
		return nil
	}
	return &sms.Client{URL: c.SMSURL, Secret: c.SMSSecret, Timeout: c.SMSTimeout}
}
