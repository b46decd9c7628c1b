// Package signin is how people sign in to Gatehouse: passwords, a second
// factor, sessions, invitations and password resets, under each
// organization's security policy. It keeps secrets in the store's vault and
// records every security event in the audit log through the directory, in
// the same transaction as the change that causes it.
package signin

import (
	"context"
	"github.com/go-webauthn/webauthn/webauthn"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/notify"
)

// Config is what the service needs beyond the directory.
type Config struct {
	Params    auth.Params   // argon2id cost of new hashes; auth.DefaultParams in production
	PublicURL string        // the only source of links in emails, e.g. https://gatehouse.example.com
	Issuer    string        // the name authenticator apps show; "Gatehouse" when empty
	InviteTTL time.Duration // how long an invitation link works; 7 days when zero
	ResetTTL  time.Duration // how long a reset link works; 1 hour when zero
	StepUp    time.Duration // how recent a sign-in sensitive actions need; 15 minutes when zero
	// SMS texts one-time codes through the operator's gateway; nil: no
	// gateway, and codes by text message are not offered.
	SMS Texter
	// Sealer encrypts TOTP seeds, phone numbers and webhook keys before they are stored.
	Sealer auth.Sealer
	// FailureFloor is the least time a failed sign-in takes, so that the
	// bookkeeping of a known account's failure (a write) cannot be told, by
	// timing, from an unknown one. Zero: no floor (tests).
	FailureFloor time.Duration
	// DirectoryPassword, when set, checks the password of a user whose
	// directory checks passwords itself (an LDAP bind): checked is false
	// when u's directory does not, and the stored hash decides instead.
	// An error is the directory's failure to answer, not a wrong password.
	DirectoryPassword func(ctx context.Context, u *gh.User, password string) (checked, ok bool, err error)
}

// Service signs people in.
type Service struct {
	dir   *directory.Directory
	store gh.Store
	cfg   Config
	log   *slog.Logger

	byIP      *limit        // sign-in, reset and invitation attempts per client address
	byAccount *limit        // sign-in and reset attempts per organization and email
	sensitive *limit        // other sensitive actions per account
	codeUser  *limit        // one-time codes sent per user
	codeTo    *limit        // one-time codes sent per address or phone number
	wake      chan struct{} // nudges the outbox worker after mail is queued
	// hashing bounds the password hashes computed at once for callers not
	// signed in: each takes ~19 MiB and tens of milliseconds, so a flood of
	// sign-ins from many addresses waits here instead of exhausting the node.
	hashing chan struct{}
	wa      *webauthn.WebAuthn // the passkeys' relying party; nil without a usable public URL
	notes   *notify.Service    // the one path of notifications and notices
}

// New returns the service and hooks it into the directory, so that changes
// that matter to an organization's security contacts notify them.
func New(dir *directory.Directory, store gh.Store, cfg Config, log *slog.Logger) *Service {
	if cfg.Issuer == "" {
		cfg.Issuer = "Gatehouse"
	}
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 7 * 24 * time.Hour
	}
	if cfg.ResetTTL == 0 {
		cfg.ResetTTL = time.Hour
	}
	if cfg.StepUp == 0 {
		cfg.StepUp = 15 * time.Minute
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{dir: dir, store: store, cfg: cfg, log: log,
		byIP:      newLimit("ip", 3*time.Second, 20, store, log),
		byAccount: newLimit("account", 6*time.Second, 10, store, log),
		sensitive: newLimit("sensitive", 3*time.Second, 20, store, log),
		codeUser:  newLimit("code_user", time.Minute, 3, store, log),
		codeTo:    newLimit("code_to", time.Minute, 3, store, log),
		wake:      make(chan struct{}, 1),
		// Hashing is CPU work: more at once than twice the cores only queues it.
		hashing: make(chan struct{}, 2*runtime.NumCPU())}
	s.wa = newWebAuthn(cfg.PublicURL, cfg.Issuer)
	s.notes = notify.New(dir, store, log, s.poke)
	dir.BeforeCommit = s.notifyContacts
	dir.DeliverNotices = s.notes.Deliver
	dir.OnAnnounce = s.notes.Announced
	return s
}

// Notes returns the notification service the sign-in service delivers through.
func (s *Service) Notes() *notify.Service { return s.notes }

// hashSlot waits for a turn to hash a password; release it when done.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, gh.Errorf(gh.KindUnavailable, "busy", "too many sign-ins at once; try again")
	}
}

// MailQueued signals each time mail has been queued, for the outbox worker.
func (s *Service) MailQueued() <-chan struct{} { return s.wake }

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Client is where a request comes from.
type Client struct {
	IP        string
	UserAgent string
	RequestID string
}

func (c Client) source(via string) gh.Source {
	ua := c.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	return gh.Source{IP: c.IP, UserAgent: ua, RequestID: c.RequestID, Via: via}
}

// errSignIn is the one answer to every failed sign-in, whatever failed: an
// unknown organization or email, a wrong password or code, a disabled or
// locked account, an address outside the allowed ranges.
var errSignIn = gh.Errorf(gh.KindUnauthenticated, "invalid_credentials",
	"the email, password or code is not right, or this account cannot sign in from here")

// ErrSignIn is the one answer to every failed sign-in, whatever failed.
var ErrSignIn = errSignIn

var errTooMany = gh.Errorf(gh.KindRateLimited, "too_many_attempts", "too many attempts; wait a minute and try again")

// stale refuses sensitive actions to a session that signed in too long ago
// (taking over another account needs as fresh a sign-in as making a key).
func stale(a *directory.Actor, what string) error {
	if a.StaleSession {
		return gh.Errorf(gh.KindForbidden, "reauthentication_required",
			"%s needs a recent sign-in: confirm your password (and code) at /v1/me/reauthenticate, then try again", what)
	}
	return nil
}

// Throttle limits other sensitive endpoints (API key creation) per account,
// with a budget of their own so they never use up anyone's sign-in attempts.
func (s *Service) Throttle(ctx context.Context, account string) error {
	if !s.sensitive.allow(ctx, account, s.dir.Now()) {
		return errTooMany
	}
	return nil
}

// allow applies the per-address and per-account limits.
func (s *Service) allow(ctx context.Context, c Client, account string) error {
	now := s.dir.Now()
	if !s.byIP.allow(ctx, c.IP, now) || (account != "" && !s.byAccount.allow(ctx, account, now)) {
		return errTooMany
	}
	return nil
}

func accountKey(org, email string) string {
	return strings.ToLower(strings.TrimSpace(org)) + "/" + gh.NormalizeEmail(email)
}

// policy returns the effective policy of an organization.
func (s *Service) policy(org gh.OrgID) gh.SecurityPolicy {
	if o := s.dir.Index().Org(org); o != nil {
		return o.Policy.WithDefaults()
	}
	return gh.SecurityPolicy{}.WithDefaults()
}

// mayEnter reports whether u may sign in, or go on working, from ip: an
// active user of an active organization, at an address both its ranges allow.
func (s *Service) mayEnter(u *gh.User, ip string) bool {
	if u == nil || u.Status != gh.StatusActive {
		return false
	}
	o := s.dir.Index().Org(u.Org)
	return o != nil && o.Active() && gh.AllowedFrom(o.Policy.AllowedCIDRs, ip) && gh.AllowedFrom(u.AllowedCIDRs, ip)
}

// userActor is the actor of events about a user's own sign-in.
func userActor(u *gh.User, c Client) *directory.Actor {
	return &directory.Actor{User: u, Source: c.source("signin")}
}

func userTarget(u *gh.User) gh.Target { return gh.Target{Type: gh.KindUser, ID: string(u.ID)} }

// link makes an absolute link under the public URL; never from the request's Host.
func (s *Service) link(path string, token gh.Secret) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + path + "?token=" + url.QueryEscape(token.Reveal())
}

// credential reads a user's credential, or an empty one when it has none,
// with its TOTP seed unsealed.
func (s *Service) credential(ctx context.Context, u *gh.User) (*gh.Credential, error) {
	c, err := s.store.Credential(ctx, u.ID)
	if gh.KindOf(err) == gh.KindNotFound {
		return &gh.Credential{User: u.ID, Org: u.Org}, nil
	}
	if err != nil {
		return nil, err
	}
	if c.TOTPSecret, err = s.cfg.Sealer.Open(c.TOTPSecret); err != nil {
		return nil, err
	}
	if c.Phone, err = s.cfg.Sealer.Open(c.Phone); err != nil {
		return nil, err
	}
	if c.Code != nil {
		if c.Code.Phone, err = s.cfg.Sealer.Open(c.Code.Phone); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// putCred stores a credential with its TOTP seed and phone numbers sealed.
func (s *Service) putCred(v gh.VaultTx, c *gh.Credential) error {
	stored := *c
	stored.TOTPSecret = s.cfg.Sealer.Seal(c.TOTPSecret)
	stored.Phone = s.cfg.Sealer.Seal(c.Phone)
	if c.Code != nil {
		code := *c.Code
		code.Phone = s.cfg.Sealer.Seal(code.Phone)
		stored.Code = &code
	}
	return v.PutCredential(&stored)
}

// checkPassword applies the baseline and the organization's policy. Every
// way a password is set (changed, set by an admin, temporary, from an
// invitation or a reset link) comes through here.
func (s *Service) checkPassword(u *gh.User, cred *gh.Credential, pw string) error {
	p := s.policy(u.Org)
	prev := cred.History
	if cred.PasswordHash != "" {
		prev = append([]string{cred.PasswordHash}, prev...)
	}
	var orgNames []string
	if o := s.dir.Index().Org(u.Org); o != nil {
		orgNames = []string{o.Name, o.Slug}
	}
	return auth.CheckPassword(pw, auth.PasswordPolicy{MinLength: p.PasswordMinLength, MinLengthWithoutMFA: p.PasswordMinLengthWithoutMFA,
		Complexity: p.PasswordComplexity, History: p.PasswordHistory},
		auth.PasswordContext{Email: u.Email, Names: []string{u.GivenName, u.FamilyName}, OrgNames: orgNames,
			HasMFA: cred.TOTPConfirmed, PreviousHashes: prev},
		s.cfg.Params)
}

// setPassword stores a new password hash, keeping the policy's history, and
// bumps the version so every session made with the old one can be told apart.
func (s *Service) setPassword(u *gh.User, cred *gh.Credential, pw string, now time.Time, temporary bool) error {
	hash, err := s.cfg.Params.Hash(pw)
	if err != nil {
		return err
	}
	if cred.PasswordHash != "" {
		cred.History = append([]string{cred.PasswordHash}, cred.History...)
	}
	if n := s.policy(u.Org).PasswordHistory; len(cred.History) > n {
		cred.History = cred.History[:n]
	}
	cred.PasswordHash, cred.PasswordSetAt, cred.MustChange = hash, now, temporary
	cred.FailedAttempts, cred.LockedUntil = 0, time.Time{}
	cred.PasswordVersion++
	return nil
}
