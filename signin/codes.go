package signin

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
)

// Texter sends a text message through the operator's SMS gateway; id is
// unique per message. Errors are the user's to see (KindUnavailable).
type Texter interface {
	Text(ctx context.Context, to, message, id string) error
}

const (
	codeTTL   = 10 * time.Minute // how long a code sent by email or SMS works
	codeTries = 5                // wrong tries before a code is dropped
)

// CodeSent says where a one-time code went, masked, and until when it works.
type CodeSent struct {
	Method    string    `json:"method"`
	SentTo    string    `json:"sent_to"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Factors are a user's second factors, as the user may see them.
type Factors struct {
	TOTP       bool     `json:"totp"`
	EmailCodes bool     `json:"email_codes"`
	Phone      string   `json:"sms_phone,omitempty"` // masked
	SMSPending bool     `json:"sms_pending"`         // a phone is being added: its code was texted
	Passkeys   int      `json:"passkeys"`
	Methods    []string `json:"mfa_methods"` // what the second step of a sign-in offers now
	// Allowed are the methods the organization's policy allows and this
	// deployment can deliver, for the enrolment pages.
	Allowed []string `json:"allowed_methods"`
}

// secondFactors lists what the second step of u's sign-in offers: TOTP
// when set up, and codes by email and SMS when set up, allowed by the
// policy, deliverable, and not refused by a strong-MFA requirement.
func (s *Service) secondFactors(u *gh.User, cred *gh.Credential) []string {
	var ms []string
	if cred.TOTPConfirmed {
		ms = append(ms, gh.MFAMethodTOTP)
	}
	p := s.policy(u.Org)
	if p.StrongMFARequired(s.dir.Index().Administers(u.ID)) {
		return ms
	}
	if cred.EmailCodes && p.AllowsMFA(gh.MFAMethodEmail) {
		ms = append(ms, gh.MFAMethodEmail)
	}
	if cred.Phone != "" && s.smsAllowed(p) {
		ms = append(ms, gh.MFAMethodSMS)
	}
	return ms
}

func (s *Service) smsAllowed(p gh.SecurityPolicy) bool {
	return s.cfg.SMS != nil && p.AllowsMFA(gh.MFAMethodSMS)
}

// SecondFactors tells a user which second factors it has and may add.
func (s *Service) SecondFactors(ctx context.Context, u *gh.User) (*Factors, error) {
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	f := &Factors{TOTP: cred.TOTPConfirmed, EmailCodes: cred.EmailCodes, Phone: maskPhone(cred.Phone),
		Passkeys: len(cred.Passkeys), Methods: nonNilList(s.secondFactors(u, cred)),
		SMSPending: cred.Code != nil && cred.Code.Channel == gh.CodeSMSEnrol && s.dir.Now().Before(cred.Code.ExpiresAt)}
	p := s.policy(u.Org)
	for _, m := range p.MFAMethods {
		if m != gh.MFAMethodSMS || s.smsAllowed(p) {
			f.Allowed = append(f.Allowed, m)
		}
	}
	return f, nil
}

// Allows reports whether the user may set up method (for templates).
func (f *Factors) Allows(method string) bool { return slices.Contains(f.Allowed, method) }

// Offers reports whether a sign-in's second step offers method (for templates).
func (f *Factors) Offers(method string) bool { return slices.Contains(f.Methods, method) }

// PendingFactors lists what the second step of a session waiting for it
// offers; nil for any other session, or none.
func (s *Service) PendingFactors(ctx context.Context, sessToken string) []string {
	sess, err := s.store.SessionByHash(ctx, auth.HashToken(sessToken))
	if err != nil || !sess.MFAPending {
		return nil
	}
	u := s.dir.Index().User(sess.User)
	if u == nil {
		return nil
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil
	}
	return s.secondFactors(u, cred)
}

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// SendCode sends a sign-in code by method (email or sms) for a session
// waiting for its second factor. An unknown or finished session answers
// like any failed sign-in. Errors: KindInvalid (field method) when the
// method is not offered to this user, KindRateLimited, KindUnavailable when
// the SMS gateway fails (logged; nothing was sent).
func (s *Service) SendCode(ctx context.Context, sessToken, method string, c Client) (*CodeSent, error) {
	sess, err := s.store.SessionByHash(ctx, auth.HashToken(sessToken))
	if err != nil || !sess.MFAPending {
		return nil, errSignIn
	}
	u := s.dir.Index().User(sess.User)
	if !s.mayEnter(u, c.IP) {
		return nil, errSignIn
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	if (method != gh.MFAMethodEmail && method != gh.MFAMethodSMS) || !slices.Contains(s.secondFactors(u, cred), method) {
		return nil, gh.Invalid("method_not_offered", "method", "is not offered for this sign-in")
	}
	channel, to := gh.CodeEmail, u.Email
	if method == gh.MFAMethodSMS {
		channel, to = gh.CodeSMS, cred.Phone
	}
	return s.sendCode(ctx, userActor(u, c), u, c, channel, to)
}

// sendCode makes a code, delivers it to `to` by channel and keeps its hash in
// place of any code sent before. A text goes out before the code is kept, so
// a gateway failure keeps nothing and records nothing but the log line.
func (s *Service) sendCode(ctx context.Context, a *directory.Actor, u *gh.User, c Client, channel, to string) (*CodeSent, error) {
	if err := s.allowSend(ctx, c, u, to); err != nil {
		return nil, err
	}
	code, hash := auth.NewOTP(u.ID)
	id := gh.NewID("otp")
	if channel != gh.CodeEmail {
		msg := fmt.Sprintf("%s is your %s code. It works once, for %d minutes.", code.Reveal(), s.cfg.Issuer, int(codeTTL.Minutes()))
		if err := s.cfg.SMS.Text(ctx, to, msg, id); err != nil {
			s.log.Error("sms gateway", "org_id", u.Org, "user_id", u.ID, "err", err)
			return nil, err
		}
	}
	sent := &CodeSent{Method: gh.MFAMethodEmail, SentTo: maskEmail(to)}
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		sent.ExpiresAt = ch.Now().Add(codeTTL)
		cred.Code = &gh.OneTimeCode{Hash: hash, Channel: channel, ExpiresAt: sent.ExpiresAt, TriesLeft: codeTries}
		switch channel {
		case gh.CodeEmail:
			s.queue(ch, u.Org, to, "mfa_code", "Your sign-in code", emailCodeText(code, s.cfg.Issuer))
			ch.Record(u.Org, u.Workspace, "mfa.email_code.send", userTarget(u))
		case gh.CodeSMS:
			sent.Method, sent.SentTo = gh.MFAMethodSMS, maskPhone(to)
			ch.Record(u.Org, u.Workspace, "mfa.sms_code.send", userTarget(u))
		case gh.CodeSMSEnrol:
			sent.Method, sent.SentTo, cred.Code.Phone = gh.MFAMethodSMS, maskPhone(to), to
			ch.Record(u.Org, u.Workspace, "mfa.sms.enrol_start", userTarget(u))
		}
		return s.putCred(ch.Vault(), cred)
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}

// allowSend applies the limits on sending codes: per client address, per
// user, and per destination, so that neither one account nor one mailbox
// or phone can be flooded.
func (s *Service) allowSend(ctx context.Context, c Client, u *gh.User, to string) error {
	now := s.dir.Now()
	if err := s.allow(ctx, c, ""); err != nil {
		return err
	}
	if !s.codeUser.allow(ctx, string(u.ID), now) || !s.codeTo.allow(ctx, strings.ToLower(to), now) {
		return gh.Errorf(gh.KindRateLimited, "too_many_codes", "a code was sent just now; wait a minute before asking for another")
	}
	return nil
}

func emailCodeText(code gh.Secret, issuer string) string {
	return fmt.Sprintf("Your %s sign-in code is\n\n    %s\n\nIt works once, for %d minutes. If you did not just sign in, "+
		"someone knows your password: change it and tell your administrator.\n", issuer, code.Reveal(), int(codeTTL.Minutes()))
}

// useCode spends the pending code of one of channels if code is it. A wrong
// code uses up a try, and the last try drops the code; an expired one is
// dropped. The caller stores cred in the same transaction.
func useCode(cred *gh.Credential, code string, now time.Time, channels ...string) (channel string, ok bool) {
	pc := cred.Code
	if pc == nil || !slices.Contains(channels, pc.Channel) {
		return "", false
	}
	if !now.Before(pc.ExpiresAt) {
		cred.Code = nil
		return "", false
	}
	if auth.CheckOTP(pc.Hash, cred.User, code) {
		cred.Code = nil
		return pc.Channel, true
	}
	if pc.TriesLeft--; pc.TriesLeft <= 0 {
		cred.Code = nil
	}
	return "", false
}

// signInChannels are the code channels u's second step accepts now.
func (s *Service) signInChannels(u *gh.User, cred *gh.Credential) []string {
	var chs []string
	for _, m := range s.secondFactors(u, cred) {
		switch m {
		case gh.MFAMethodEmail:
			chs = append(chs, gh.CodeEmail)
		case gh.MFAMethodSMS:
			chs = append(chs, gh.CodeSMS)
		}
	}
	return chs
}

// phonePattern is an E.164 number: a plus and 8 to 15 digits, no leading zero.
var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// normalPhone drops the spaces, hyphens, dots and brackets people write numbers with.
func normalPhone(p string) string {
	return strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "").Replace(strings.TrimSpace(p))
}

// BeginSMS starts adding a phone as a second factor: a code is texted to
// it, and ConfirmSMS with that code makes it the user's. Errors:
// KindForbidden (mfa_method_not_allowed) when the policy or the deployment
// offers no SMS, (session_required, reauthentication_required) for an API
// key or an old session: a stolen key must not become a way to sign in, KindInvalid (field phone), KindConflict when a phone is
// set up already, KindRateLimited, KindUnavailable when the gateway fails.
func (s *Service) BeginSMS(ctx context.Context, a *directory.Actor, phone string, c Client) (*CodeSent, error) {
	if err := inBrowser(a, "adding a phone"); err != nil {
		return nil, err
	}
	u := a.User
	if !s.smsAllowed(s.policy(u.Org)) {
		return nil, gh.Errorf(gh.KindForbidden, "mfa_method_not_allowed", "codes by text message are not offered here")
	}
	phone = normalPhone(phone)
	if !phonePattern.MatchString(phone) {
		return nil, gh.Invalid("invalid_phone", "phone", "must be an international number such as +44 7700 900123")
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, err
	}
	if cred.Phone != "" {
		return nil, gh.Errorf(gh.KindConflict, "sms_enrolled", "a phone is set up already; remove it first")
	}
	return s.sendCode(ctx, a, u, c, gh.CodeSMSEnrol, phone)
}

// ConfirmSMS makes the phone BeginSMS texted the user's second factor, with
// the code it received. Errors: KindConflict when no phone is being added,
// KindInvalid (field code) for a wrong or expired code.
func (s *Service) ConfirmSMS(ctx context.Context, a *directory.Actor, code string, c Client) error {
	if err := inBrowser(a, "adding a phone"); err != nil {
		return err
	}
	u := a.User
	if err := s.allow(ctx, c, "mfa/"+string(u.ID)); err != nil {
		return err
	}
	var wrong bool
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cred.Code == nil || cred.Code.Channel != gh.CodeSMSEnrol {
			return gh.Errorf(gh.KindConflict, "no_pending_enrolment", "add a phone first (POST /v1/me/mfa/sms)")
		}
		phone := cred.Code.Phone
		if _, ok := useCode(cred, code, ch.Now(), gh.CodeSMSEnrol); !ok {
			wrong = true // the try is spent: kept, and the answer is a field error
			ch.Record(u.Org, u.Workspace, "mfa.sms.enrol_failure", userTarget(u))
			return s.putCred(ch.Vault(), cred)
		}
		cred.Phone = phone
		ch.Record(u.Org, u.Workspace, "mfa.sms.enrol", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	if err == nil && wrong {
		return gh.Invalid("wrong_code", "code", "is not the code we texted, or it has expired")
	}
	return err
}

// RemoveSMS removes the user's phone (a sensitive action, from a browser
// session). Errors:
// KindNotFound when none is set up.
func (s *Service) RemoveSMS(ctx context.Context, a *directory.Actor) error {
	if err := inBrowser(a, "removing a second factor"); err != nil {
		return err
	}
	u := a.User
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cred.Phone == "" {
			return gh.NotFound("phone")
		}
		cred.Phone = ""
		ch.Record(u.Org, u.Workspace, "mfa.sms.remove", userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	return err
}

// SetEmailCodes turns codes by email to the user's own address on or off
// (a sensitive action, from a browser session, as for passkeys). Errors:
// KindForbidden: session_required, reauthentication_required, or
// mfa_method_not_allowed when turning them on and the policy does not allow them.
func (s *Service) SetEmailCodes(ctx context.Context, a *directory.Actor, on bool) error {
	if err := inBrowser(a, "changing your second factors"); err != nil {
		return err
	}
	u := a.User
	if on && !s.policy(u.Org).AllowsMFA(gh.MFAMethodEmail) {
		return gh.Errorf(gh.KindForbidden, "mfa_method_not_allowed", "your organization does not allow codes by email")
	}
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cred.EmailCodes == on {
			return nil
		}
		cred.EmailCodes = on
		ch.Record(u.Org, u.Workspace, map[bool]string{true: "mfa.email_codes.on", false: "mfa.email_codes.off"}[on], userTarget(u))
		return s.putCred(ch.Vault(), cred)
	})
	return err
}

// maskEmail shows enough of an address to recognise it: n•••@acme.example.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 1 {
		return "•••"
	}
	return e[:1] + "•••" + e[at:]
}

// maskPhone shows a number's last two digits: •••••••23.
func maskPhone(p string) string {
	if len(p) < 4 {
		return ""
	}
	return strings.Repeat("•", len(p)-2) + p[len(p)-2:]
}
