package signin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// Passkeys (WebAuthn): a signed-in person registers a key held by their
// device; later they sign in with it alone, without email or password. The
// device checks the person before it signs (user verification is required),
// so a passkey sign-in satisfies a policy that asks for MFA. The WebAuthn
// library checks the ceremony; Gatehouse keeps the challenges (once each,
// for five minutes, in the store so any node can finish what another began)
// and the keys, with the rest of a user's sign-in material.

const (
	ceremonyTTL = 5 * time.Minute
	maxPasskeys = 10
)

var errNoPasskeys = gh.Errorf(gh.KindUnavailable, "passkeys_unavailable",
	"passkeys need GATEHOUSE_PUBLIC_URL set to the address people reach Gatehouse at")

// newWebAuthn is the relying party for the public URL: its host is the
// passkeys' scope and its origin the only one accepted. nil when the URL
// cannot name one (passkeys are then unavailable).
func newWebAuthn(publicURL, name string) *webauthn.WebAuthn {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") || net.ParseIP(u.Hostname()) != nil {
		return nil // browsers refuse an IP address as the relying party's id
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: name, RPOrigins: []string{u.Scheme + "://" + u.Host}})
	if err != nil {
		return nil
	}
	return wa
}

// inBrowser lets only a recent browser session change a person's passkeys:
// an API key, stolen, must not turn into a way to sign in as its owner.
func inBrowser(a *directory.Actor, what string) error {
	if a.Session == "" {
		return gh.Errorf(gh.KindForbidden, "session_required", "%s needs a signed-in browser session, not an API key", what)
	}
	return stale(a, what)
}

// passkeyUser is a user as the WebAuthn library sees it. The user handle is
// the user's id: opaque, stable, and free of personal data.
type passkeyUser struct {
	u     *gh.User
	creds []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte   { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string {
	return strings.TrimSpace(p.u.GivenName + " " + p.u.FamilyName)
}
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func passkeyUserOf(u *gh.User, cred *gh.Credential) (*passkeyUser, error) {
	pu := &passkeyUser{u: u}
	for _, pk := range cred.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(pk.Key, &c); err != nil {
			return nil, gh.Internal(err)
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, nil
}

// Options are what the browser passes to navigator.credentials (create or
// get), and the ceremony to name when sending back the device's answer.
type Options struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

// saveCeremony keeps the library's session data under a new ceremony id.
func (s *Service) saveCeremony(ctx context.Context, kind string, user gh.UserID, sd *webauthn.SessionData, publicKey any) (*Options, error) {
	data, err := json.Marshal(sd)
	if err != nil {
		return nil, gh.Internal(err)
	}
	pk, err := json.Marshal(publicKey)
	if err != nil {
		return nil, gh.Internal(err)
	}
	c := &gh.Ceremony{ID: gh.NewID("cer"), Kind: kind, User: user, Data: data, ExpiresAt: s.dir.Now().Add(ceremonyTTL)}
	if err := s.store.VaultUpdate(ctx, func(v gh.VaultTx) error { return v.PutCeremony(c, s.dir.Now()) }); err != nil {
		return nil, err
	}
	return &Options{Ceremony: c.ID, PublicKey: pk}, nil
}

// BeginPasskey starts registering a passkey for the signed-in person; it
// needs a recent sign-in, like every change to a person's sign-in material.
func (s *Service) BeginPasskey(ctx context.Context, a *directory.Actor) (*Options, error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	if err := inBrowser(a, "adding a passkey"); err != nil {
		return nil, err
	}
	u := a.User
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(cred.Passkeys) >= maxPasskeys {
		return nil, gh.Errorf(gh.KindConflict, "too_many_passkeys", "an account holds at most %d passkeys; remove one first", maxPasskeys)
	}
	pu, err := passkeyUserOf(u, cred)
	if err != nil {
		return nil, err
	}
	creation, sd, err := s.wa.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}),
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()))
	if err != nil {
		return nil, gh.Internal(err)
	}
	return s.saveCeremony(ctx, gh.CeremonyRegister, u.ID, sd, creation.Response)
}

// PasskeyAnswer is what the browser sends back from navigator.credentials.
type PasskeyAnswer struct {
	Ceremony   string          `json:"ceremony"`
	Name       string          `json:"name,omitempty"` // registration only: how the person calls this device
	Credential json.RawMessage `json:"credential"`
}

// takeCeremony consumes a ceremony of kind: a challenge is answered once.
func (s *Service) takeCeremony(ctx context.Context, id, kind string) (*gh.Ceremony, *webauthn.SessionData, error) {
	var c *gh.Ceremony
	err := s.store.VaultUpdate(ctx, func(v gh.VaultTx) error {
		var err error
		c, err = v.TakeCeremony(id, kind, s.dir.Now())
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, gh.Internal(err)
	}
	return c, &sd, nil
}

// FinishPasskey checks the device's answer and keeps the new passkey.
func (s *Service) FinishPasskey(ctx context.Context, a *directory.Actor, in PasskeyAnswer) (*gh.Passkey, error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	if err := inBrowser(a, "adding a passkey"); err != nil {
		return nil, err
	}
	u := a.User
	name := gh.CleanName(in.Name)
	if name == "" || len(name) > 100 {
		return nil, gh.Invalid("invalid_input", "name", "name this passkey (1 to 100 characters), e.g. the device it is on")
	}
	if err := (&gh.Passkey{Name: name}).Validate(); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Credential)
	if err != nil {
		return nil, gh.Invalid("invalid_passkey", "credential", "is not a WebAuthn registration response")
	}
	c, sd, err := s.takeCeremony(ctx, in.Ceremony, gh.CeremonyRegister)
	if err != nil || c.User != u.ID {
		return nil, gh.Invalid("invalid_passkey", "ceremony", "is not a registration this account began in the last five minutes")
	}
	var out *gh.Passkey
	_, err = s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		pu, err := passkeyUserOf(u, cred)
		if err != nil {
			return err
		}
		made, err := s.wa.CreateCredential(pu, *sd, parsed)
		if err != nil {
			return gh.Invalid("invalid_passkey", "credential", "the device's answer does not match this registration")
		}
		key, err := json.Marshal(made)
		if err != nil {
			return gh.Internal(err)
		}
		pk := gh.Passkey{ID: base64.RawURLEncoding.EncodeToString(made.ID), Name: name, CreatedAt: ch.Now(), Key: key}
		if slices.ContainsFunc(cred.Passkeys, func(p gh.Passkey) bool { return p.ID == pk.ID }) {
			return gh.Errorf(gh.KindConflict, "passkey_exists", "this passkey is registered already")
		}
		cred.Passkeys = append(cred.Passkeys, pk)
		ch.Record(u.Org, u.Workspace, "passkey.add", userTarget(u))
		out = &pk
		return s.putCred(ch.Vault(), cred)
	})
	return out, err
}

// Passkeys lists the signed-in person's passkeys.
func (s *Service) Passkeys(ctx context.Context, a *directory.Actor) ([]gh.Passkey, error) {
	cred, err := s.credential(ctx, a.User)
	if err != nil {
		return nil, err
	}
	return cred.Passkeys, nil
}

// RemovePasskey deletes one of the signed-in person's passkeys (a sensitive action).
func (s *Service) RemovePasskey(ctx context.Context, a *directory.Actor, id string) error {
	if err := inBrowser(a, "removing a passkey"); err != nil {
		return err
	}
	u := a.User
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		n := len(cred.Passkeys)
		cred.Passkeys = slices.DeleteFunc(cred.Passkeys, func(p gh.Passkey) bool { return p.ID == id })
		if len(cred.Passkeys) == n {
			return gh.NotFound("passkey")
		}
		ch.Record(u.Org, u.Workspace, "passkey.remove", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	return err
}

// BeginPasskeyLogin starts a sign-in with a passkey. The device offers the
// passkeys it holds for this service; nothing is asked of the person first.
func (s *Service) BeginPasskeyLogin(ctx context.Context, c Client) (*Options, error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	if err := s.allow(ctx, c, ""); err != nil {
		return nil, err
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, gh.Internal(err)
	}
	return s.saveCeremony(ctx, gh.CeremonyLogin, "", sd, assertion.Response)
}

// FinishPasskeyLogin checks a signed challenge and starts a session. Every
// failure answers like a failed password sign-in.
func (s *Service) FinishPasskeyLogin(ctx context.Context, in PasskeyAnswer, c Client) (st *Started, err error) {
	if s.wa == nil {
		return nil, errNoPasskeys
	}
	if err := s.allow(ctx, c, ""); err != nil {
		return nil, err
	}
	start := time.Now()
	defer func() {
		if err != nil && gh.KindOf(err) == gh.KindUnauthenticated && s.cfg.FailureFloor > 0 {
			time.Sleep(s.cfg.FailureFloor - time.Since(start))
		}
	}()
	parsed, err := protocol.ParseCredentialRequestResponseBytes(in.Credential)
	if err != nil {
		return nil, errSignIn
	}
	_, sd, err := s.takeCeremony(ctx, in.Ceremony, gh.CeremonyLogin)
	if err != nil {
		return nil, errSignIn
	}
	var u *gh.User
	_, used, err := s.wa.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
		u = s.dir.Index().User(gh.UserID(handle))
		if u == nil || u.IsService() {
			u = nil
			return nil, errSignIn
		}
		cred, err := s.credential(ctx, u)
		if err != nil {
			return nil, err
		}
		return passkeyUserOf(u, cred)
	}, *sd, parsed)
	if err != nil || used.Authenticator.CloneWarning {
		if u != nil {
			return nil, s.failed(ctx, u, c, false)
		}
		return nil, errSignIn
	}
	if !s.mayEnter(u, c.IP) {
		return nil, s.failed(ctx, u, c, false)
	}
	breakGlass, err := s.localSignIn(ctx, u, c)
	if err != nil {
		return nil, err
	}
	id := base64.RawURLEncoding.EncodeToString(used.ID)
	key, err := json.Marshal(used)
	if err != nil {
		return nil, gh.Internal(err)
	}
	p := s.policy(u.Org)
	st = &Started{}
	_, err = s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
		cur, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cur.Passkeys, func(pk gh.Passkey) bool { return pk.ID == id })
		if i < 0 {
			return errSignIn // removed since it was checked
		}
		cur.Passkeys[i].Key, cur.Passkeys[i].LastUsedAt = key, ch.Now() // the new signature counter
		if err := s.putCred(ch.Vault(), cur); err != nil {
			return err
		}
		if err := s.startSession(ctx, ch, u, c, st, p); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "login.passkey", userTarget(u))
		if breakGlass {
			s.breakGlass(ch, u, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}
