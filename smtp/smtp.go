// Package smtp delivers the messages of the transactional outbox (gatehouse.Mail) to an SMTP
// relay. A Client is built once from GATEHOUSE_SMTP_URL and opens one short-lived connection
// per message, so it holds no connection state and is safe for concurrent use. Send reports
// through Permanent whether a failure is worth retrying.
package smtp

import (
	"crypto/tls"
	"errors"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	gomail "github.com/wneessen/go-mail"
)

const (
	// DefaultFrom is the sender used when New is given none.
	DefaultFrom = "Gatehouse <no-reply@localhost>"

	// Timeout bounds one Send as a whole: dial, TLS, authentication and transfer.
	Timeout = 15 * time.Second

	urlSetting  = "GATEHOUSE_SMTP_URL"
	fromSetting = "GATEHOUSE_SMTP_FROM"
)

// Client sends mail through one SMTP relay. Its zero value is not usable; build it with New.
type Client struct {
	host        string // as in the URL, also the TLS server name
	port        int
	implicitTLS bool // smtps: TLS from the first byte
	starttls    string
	user, pass  string
	from        *mail.Address
	idDomain    string // right-hand side of generated Message-IDs
	tlsConfig   *tls.Config
}

// New returns a Client for the relay at rawURL, sending as from ("" means DefaultFrom).
//
// rawURL has the form smtp://[user:pass@]host[:port][?starttls=MODE] (port 25 by default)
// or smtps://[user:pass@]host[:port] (implicit TLS, port 465 by default). MODE is
// "opportunistic" (the default: STARTTLS when the server offers it), "required" (fail unless
// the connection is upgraded) or "never". Credentials are only sent by a mechanism that
// suits the connection: PLAIN and LOGIN only under TLS.
//
// A malformed URL or sender is a KindInvalid error naming GATEHOUSE_SMTP_URL or
// GATEHOUSE_SMTP_FROM; its text never contains the password.
func New(rawURL, from string) (*Client, error) {
	c, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if from == "" {
		from = DefaultFrom
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, gh.Invalid("invalid_setting", fromSetting, "is not an email address: "+err.Error())
	}
	c.from = addr
	c.idDomain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return c, nil
}

// parseURL reads every part of the URL, refusing what it does not understand rather than
// ignoring it: a typo in a setting should stop the start-up, not weaken TLS silently.
func parseURL(rawURL string) (*Client, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, invalidURL("is not set; want smtp://host:port or smtps://host:port")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not err itself: *url.Error quotes the whole URL, password included.
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return nil, invalidURL("is not a URL: " + err.Error())
	}
	c := &Client{host: u.Hostname(), starttls: "opportunistic"}
	switch u.Scheme {
	case "smtp":
		c.port = 25
	case "smtps":
		c.port, c.implicitTLS = 465, true
	default:
		return nil, invalidURL(`must start with smtp:// or smtps://, not "` + u.Scheme + `:"`)
	}
	if u.Opaque != "" || c.host == "" {
		return nil, invalidURL("has no host; want " + u.Scheme + "://host:port")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return nil, invalidURL("must not have a path or fragment")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, invalidURL(`has a bad port "` + p + `"`)
		}
		c.port = n
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.pass, _ = u.User.Password()
		if c.user == "" || c.pass == "" {
			return nil, invalidURL("must give both a user name and a password, or neither")
		}
	}
	if err := c.parseQuery(u.Query()); err != nil {
		return nil, err
	}
	c.tlsConfig = &tls.Config{ServerName: c.host, MinVersion: tls.VersionTLS12}
	return c, nil
}

func (c *Client) parseQuery(q url.Values) error {
	for key, vals := range q {
		if key != "starttls" {
			return invalidURL(`has an unknown parameter "` + key + `"; only starttls is known`)
		}
		if len(vals) != 1 {
			return invalidURL("must give starttls once")
		}
	}
	if !q.Has("starttls") {
		return nil
	}
	if c.implicitTLS {
		return invalidURL("must not set starttls with smtps://, which is TLS from the start")
	}
	switch mode := q.Get("starttls"); mode {
	case "opportunistic", "required", "never":
		c.starttls = mode
	default:
		return invalidURL(`has starttls="` + mode + `"; want opportunistic, required or never`)
	}
	return nil
}

func invalidURL(msg string) error { return gh.Invalid("invalid_setting", urlSetting, msg) }

// String returns the relay's URL without the password, for start-up logs.
func (c *Client) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.host, strconv.Itoa(c.port))}
	if c.implicitTLS {
		u.Scheme = "smtps"
	} else if c.starttls != "opportunistic" {
		u.RawQuery = "starttls=" + c.starttls
	}
	if c.user != "" {
		u.User = url.User(c.user)
	}
	return u.String()
}

func (c *Client) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// tlsPolicy maps the STARTTLS mode to go-mail's policy. With smtps the connection is TLS
// already and go-mail must not ask for STARTTLS; "opportunistic" makes it skip the upgrade
// but still notice the TLS state, which decides whether PLAIN may be used.
func (c *Client) tlsPolicy() gomail.TLSPolicy {
	switch c.starttls {
	case "required":
		return gomail.TLSMandatory
	case "never":
		return gomail.NoTLS
	}
	return gomail.TLSOpportunistic
}
