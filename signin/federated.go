package signin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// errSSORequired answers a right password where the home signs in through
// its identity provider only. The caller proved the password, so naming
// the rule tells nothing about who exists.
var errSSORequired = gh.Errorf(gh.KindForbidden, "sso_required",
	"this account signs in through single sign-on only; use your identity provider")

// maxAssertionLife bounds how long an assertion id is remembered when the
// provider gave no expiry, and how long a replay is refused.
const maxAssertionLife = 24 * time.Hour

// SignInFederated starts a session for what provider p asserted, once its
// protocol checks passed and the answer was charged to its address
// (AllowAnswer): the directory finds, links or creates the
// account and sets its mapped groups, in the same transaction as the
// session. A refusal is audited with its reason (for the provider's
// admins) and answered as a plain failed sign-in.
func (s *Service) SignInFederated(ctx context.Context, p *gh.IdentityProvider, as *gh.Assertion, c Client) (*Started, *directory.Federation, error) {
	// The address was charged when the answer arrived (AllowAnswer); each
	// person has an allowance of their own, never the whole provider one.
	if !s.byAccount.allow(ctx, "idp/"+string(p.ID)+"/"+as.Subject, s.dir.Now()) {
		return nil, nil, errTooMany
	}
	st := &Started{}
	var fed *directory.Federation
	_, err := s.dir.Change(ctx, directory.ProviderActor(p, c.source("sso")), func(ch *directory.Change) error {
		if err := s.once(ch, p, as); err != nil {
			return err
		}
		f, err := ch.Federate(p, as)
		if err != nil {
			return err
		}
		fed = f
		return s.startFederated(ctx, ch, p, as, f, c, st)
	})
	if err != nil {
		return nil, nil, s.federationFailed(ctx, p, as, c, err)
	}
	return st, fed, nil
}

// AllowAnswer charges a provider's answer to the address that sent it,
// before anything of it is read or written: answers come from anyone, and
// every refused one is audited, so past the address's allowance of
// sign-in attempts they are turned away unread.
func (s *Service) AllowAnswer(ctx context.Context, c Client) error {
	return s.allow(ctx, c, "")
}

// once refuses an assertion id seen before, on any node.
func (s *Service) once(ch *directory.Change, p *gh.IdentityProvider, as *gh.Assertion) error {
	if as.ID == "" {
		return nil
	}
	until := as.Expires
	if until.IsZero() || until.After(ch.Now().Add(maxAssertionLife)) {
		until = ch.Now().Add(maxAssertionLife)
	}
	fresh, err := ch.Vault().SeenOnce("sso/"+string(p.ID)+"/"+as.ID, until, ch.Now())
	if err != nil {
		return err
	}
	if !fresh {
		return gh.Reject("replay", "assertion "+as.ID+" was used before")
	}
	return nil
}

// startFederated applies the home's second-factor rule and starts the
// session. A provider's MFA counts only when it says so and the provider
// is trusted to; otherwise Gatehouse asks for its own, as after a password.
func (s *Service) startFederated(ctx context.Context, ch *directory.Change, p *gh.IdentityProvider, as *gh.Assertion, f *directory.Federation, c Client, st *Started) error {
	u := f.User
	if !s.mayEnter(u, c.IP) {
		return gh.Reject("not_admitted", "the account is not active here or the address "+c.IP+" is outside its allowed ranges")
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return err
	}
	pol := s.policy(u.Org)
	trusted := p.TrustMFA && as.MFA
	if !trusted {
		st.MFAMethods = s.secondFactors(u, cred)
	}
	st.MFARequired = len(st.MFAMethods) > 0
	st.MFAEnrolment = !trusted && !st.MFARequired && pol.MFARequired(s.dir.Index().Administers(u.ID))
	if err := s.startSession(ctx, ch, u, c, st, pol); err != nil {
		return err
	}
	ch.ActAs(u)
	ev := ch.Record(u.Org, u.Workspace, "login.sso", gh.Target{Type: gh.KindProvider, ID: string(p.ID)})
	ev.Detail = fmt.Sprintf("%s signed in through %s (subject %s; provider MFA %v, trusted %v)", u.Email, p.Name, as.Subject, as.MFA, p.TrustMFA)
	// The admins learn here which of the provider's groups no group follows.
	switch {
	case f.GroupsUnknown:
		ev.Detail += "; the provider did not list the groups (overage), memberships left as they were"
	case len(f.Unmapped) > 0:
		ev.Detail += "; groups no group follows: " + strings.Join(f.Unmapped, ", ")
	}
	ev.Detail = trim(ev.Detail, 1000)
	return nil
}

// federationFailed records a refused sign-in against the provider, with
// the check that failed, and answers like any failed sign-in. Errors that
// are not refusals (a store failure) pass through.
func (s *Service) federationFailed(ctx context.Context, p *gh.IdentityProvider, as *gh.Assertion, c Client, cause error) error {
	var rj *gh.Rejection
	if !errors.As(cause, &rj) {
		if k := gh.KindOf(cause); k == gh.KindConflict || k == gh.KindInternal || k == gh.KindUnavailable {
			return cause
		}
		rj = gh.Reject("refused", cause.Error())
	}
	s.RecordFederationFailure(ctx, p, who(as), rj, c)
	return errSignIn
}

// RecordFederationFailure audits a refused answer of p: the provider's
// admins read the check and its detail in the troubleshooting list.
func (s *Service) RecordFederationFailure(ctx context.Context, p *gh.IdentityProvider, subject string, rj *gh.Rejection, c Client) {
	_, err := s.dir.Change(ctx, directory.ProviderActor(p, c.source("sso")), func(ch *directory.Change) error {
		ev := ch.Record(p.Org, p.Workspace, "login.sso_failure."+rj.Check, gh.Target{Type: gh.KindProvider, ID: string(p.ID)})
		ev.Detail = trim(subject+rj.Detail, 1000)
		return nil
	})
	if err != nil {
		s.log.Error("record a refused sign-in", "provider", p.ID, "err", err)
	}
	s.log.Info("sign-in through identity provider refused", "provider", p.ID, "check", rj.Check, "detail", rj.Detail)
}

// who names the person an assertion was about, for the troubleshooting log.
func who(as *gh.Assertion) string {
	if as == nil {
		return ""
	}
	switch {
	case as.Email != "":
		return as.Email + ": "
	case as.Subject != "":
		return "subject " + as.Subject + ": "
	}
	return ""
}

// localSignIn applies the home's password rule to a sign-in with a
// password or passkey that has just been proven: refused where the home is
// SSO only, unless u is one of its break-glass accounts.
func (s *Service) localSignIn(ctx context.Context, u *gh.User, c Client) (breakGlass bool, err error) {
	allowed, bg := s.dir.PasswordRule(u)
	if allowed {
		return bg, nil
	}
	_, err = s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
		ch.Record(u.Org, u.Workspace, "login.sso_required", userTarget(u))
		return nil
	})
	if err != nil {
		return false, err
	}
	return false, errSSORequired
}

// breakGlass makes a break-glass sign-in loud: its own audit event and a
// notice to the security contacts, in the sign-in's transaction.
func (s *Service) breakGlass(ch *directory.Change, u *gh.User, c Client) {
	ev := ch.Record(u.Org, u.Workspace, "login.break_glass", userTarget(u))
	ev.Detail = "a break-glass account signed in without single sign-on from " + c.IP
	s.tellContacts(ch, u.Org, "break_glass", "Break-glass sign-in: "+u.Email,
		fmt.Sprintf("%s signed in with a local credential while sign-in is SSO only.\nFrom %s (%s).", u.Email, c.IP, c.UserAgent))
	s.log.Warn("break-glass sign-in", "user", u.ID, "org", u.Org, "ip", c.IP)
}
