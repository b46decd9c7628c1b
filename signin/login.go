package signin

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
)

// LoginInput is a sign-in with email and password, at an organization (by its
// slug) or, when Org is empty, wherever the email is unambiguous. Emails are
// unique per home, so one address may hold accounts in the organization and
// in workspaces: Workspace (a slug; "-" for the organization itself) picks
// one, and without it the password decides (see Login).
type LoginInput struct {
	Org       string `json:"org"`
	Workspace string `json:"workspace,omitempty"`
	Email     string `json:"email"`
	Password  string `json:"password"`
}

// Started is a new session: its token and CSRF token are shown once.
type Started struct {
	Token   gh.Secret
	CSRF    gh.Secret
	Session *gh.Session
	// MFARequired: the session works for nothing but /v1/login/mfa until a code is given.
	MFARequired bool
	// MFAMethods are the second factors that step offers (totp, email, sms).
	MFAMethods []string
	// MFAEnrolment: the policy asks for a second factor this user has not set up
	// yet; the session works only for enrolling one.
	MFAEnrolment bool
	// MustChangePassword: a temporary or expired password; only a change is possible.
	MustChangePassword bool
}

// maxHomes bounds the accounts one sign-in tries: each costs a password hash.
const maxHomes = 4

// findUsers returns the people an email may sign in as: those of the
// organization (all of them when orgRef is empty and the email is in one
// organization only), narrowed to one home by wsRef. Service accounts sign in
// with keys only and are left out.
func (s *Service) findUsers(orgRef, wsRef, email string) []*gh.User {
	idx := s.dir.Index()
	var us []*gh.User
	if orgRef != "" {
		o := idx.OrgBySlug(strings.ToLower(strings.TrimSpace(orgRef)))
		if o == nil {
			return nil
		}
		us = idx.UsersByEmail(o.ID, email)
	} else {
		for _, o := range idx.Orgs(func(*gh.Org) bool { return true }) {
			if found := idx.UsersByEmail(o.ID, email); len(found) > 0 {
				if len(us) > 0 {
					return nil // the same email in two organizations: the slug is needed
				}
				us = found
			}
		}
	}
	us = slices.DeleteFunc(us, func(u *gh.User) bool { return u.IsService() || !inHome(idx, u, wsRef) })
	if len(us) > maxHomes {
		us = us[:maxHomes]
	}
	return us
}

// inHome reports whether u lives in the home wsRef names ("" for any).
func inHome(idx *engine.Index, u *gh.User, wsRef string) bool {
	switch wsRef = strings.ToLower(strings.TrimSpace(wsRef)); wsRef {
	case "":
		return true
	case "-":
		return u.IsOrg()
	}
	w := idx.Workspace(u.Workspace)
	return w != nil && (w.Slug == wsRef || string(w.ID) == wsRef)
}

// Login checks a password and starts a session. Every failure gives the same
// error after the same work, so nothing tells whether an account exists.
func (s *Service) Login(ctx context.Context, in LoginInput, c Client) (st *Started, err error) {
	us := s.findUsers(in.Org, in.Workspace, in.Email)
	account := accountKey(in.Org, in.Email)
	if len(us) == 1 {
		account = "user/" + string(us[0].ID) // one allowance per account, however it is named
	}
	if err := s.allow(ctx, c, account); err != nil {
		return nil, err
	}
	start := time.Now() // real time: the floor is about what a caller can measure
	defer func() {
		if err != nil && s.cfg.FailureFloor > 0 {
			time.Sleep(s.cfg.FailureFloor - time.Since(start))
		}
	}()
	release, err := s.hashSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	u, cred, rehash, err := s.verifyAmong(ctx, us, in.Password, c)
	if err != nil {
		return nil, err
	}
	if !s.mayEnter(u, c.IP) {
		return nil, s.failed(ctx, u, c, false)
	}
	breakGlass, err := s.localSignIn(ctx, u, c)
	if err != nil {
		return nil, err
	}
	newHash := ""
	if rehash {
		if newHash, err = s.cfg.Params.Hash(in.Password); err != nil {
			return nil, err
		}
	}
	p := s.policy(u.Org)
	st = &Started{}
	refused := false
	_, err = s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
		cur, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if ch.Now().Before(cur.LockedUntil) || cur.PasswordVersion != cred.PasswordVersion {
			refused = true // locked, or the password changed, since it was checked
			return nil
		}
		cur.FailedAttempts, cur.LockedUntil = 0, time.Time{}
		if newHash != "" {
			cur.PasswordHash = newHash // new cost parameters; not a new password
		}
		if err := s.putCred(ch.Vault(), cur); err != nil {
			return err
		}
		st.MFAMethods = s.secondFactors(u, cur)
		st.MFARequired = len(st.MFAMethods) > 0
		st.MFAEnrolment = !st.MFARequired && p.MFARequired(s.dir.Index().Administers(u.ID))
		st.MustChangePassword = mustChange(cur, p, ch.Now())
		if err := s.startSession(ctx, ch, u, c, st, p); err != nil {
			return err
		}
		action := "login.success"
		if st.MFARequired {
			action = "login.password_ok"
		}
		ch.Record(u.Org, u.Workspace, action, userTarget(u))
		if breakGlass {
			s.breakGlass(ch, u, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused {
		return nil, s.failed(ctx, u, c, false)
	}
	return st, nil
}

// verifyAmong checks the password against each account the email names. The
// expensive check runs outside the write lock; what it decided is applied
// later, against the credential as it is then. No match counts a failure
// against every account; more than one asks for the home — safe to say, as
// the caller has just proved it knows the password of each.
func (s *Service) verifyAmong(ctx context.Context, us []*gh.User, password string, c Client) (*gh.User, *gh.Credential, bool, error) {
	if len(us) == 0 {
		s.cfg.Params.DummyVerify(password) // the same time as a real check
		return nil, nil, false, errSignIn
	}
	var match, known []*gh.User
	var creds []*gh.Credential
	var rehash bool
	for _, u := range us {
		cred, err := s.store.Credential(ctx, u.ID)
		if err != nil && gh.KindOf(err) != gh.KindNotFound {
			return nil, nil, false, err
		}
		if cred == nil { // a directory's people may have no credential yet
			cred = &gh.Credential{User: u.ID, Org: u.Org}
		}
		checked, ok, re, err := s.verifyPassword(ctx, u, cred.PasswordHash, password)
		if err != nil {
			return nil, nil, false, err
		}
		if !checked {
			continue
		}
		known = append(known, u)
		if ok {
			match, creds, rehash = append(match, u), append(creds, cred), re
		}
	}
	switch len(match) {
	case 0:
		for _, u := range known {
			if err := s.failed(ctx, u, c, true); gh.KindOf(err) != gh.KindUnauthenticated {
				return nil, nil, false, err
			}
		}
		return nil, nil, false, errSignIn
	case 1:
		return match[0], creds[0], rehash, nil
	}
	return nil, nil, false, s.homeRequired(match)
}

// verifyPassword checks u's password: by u's directory when it checks
// passwords itself (never against a stored hash then), else against hash.
// checked is false when u has no password to check: a failure is not
// counted against it.
func (s *Service) verifyPassword(ctx context.Context, u *gh.User, hash, password string) (checked, ok, rehash bool, err error) {
	if s.cfg.DirectoryPassword != nil {
		if checked, ok, err := s.cfg.DirectoryPassword(ctx, u, password); checked || err != nil {
			return true, ok, false, err
		}
	}
	if hash == "" {
		s.cfg.Params.DummyVerify(password) // the same time as a real check
		return false, false, false, nil
	}
	ok, rehash, err = auth.Verify(hash, password, s.cfg.Params)
	return true, ok, rehash, err
}

// homeRequired asks which of the accounts the password opened to sign in to.
func (s *Service) homeRequired(us []*gh.User) error {
	homes := make([]string, 0, len(us))
	for _, u := range us {
		if w := s.dir.Index().Workspace(u.Workspace); w != nil {
			homes = append(homes, w.Slug)
		} else {
			homes = append(homes, "-")
		}
	}
	return &gh.Error{Kind: gh.KindConflict, Code: "home_required",
		Message: "this email and password open accounts in several places; sign in again naming one in workspace (\"-\" for the organization): " + strings.Join(homes, ", "),
		Fields:  map[string]string{"workspace": "one of " + strings.Join(homes, ", ")}}
}

// mustChange reports a temporary or expired password. Only a password
// Gatehouse holds expires: people whose directory checks their password
// have none to change here.
func mustChange(c *gh.Credential, p gh.SecurityPolicy, now time.Time) bool {
	return c.MustChange || (p.PasswordExpiryDays > 0 && c.PasswordHash != "" && now.After(c.PasswordSetAt.AddDate(0, 0, p.PasswordExpiryDays)))
}

// failed records a failed attempt against a known account and, when counts,
// counts it, locking the account at the policy's threshold. The credential is
// read inside the write transaction, which every writer waits for, so
// attempts made in parallel all count. It answers like any other failure.
func (s *Service) failed(ctx context.Context, u *gh.User, c Client, counts bool) error {
	_, err := s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
		if counts {
			cred, err := s.credential(ctx, u)
			if err != nil {
				return err
			}
			if err := s.countFailure(ch, u, cred, c); err != nil {
				return err
			}
		}
		ch.Record(u.Org, u.Workspace, "login.failure", userTarget(u))
		return nil
	})
	if err != nil {
		return err
	}
	return errSignIn
}

// countFailure adds one failed attempt to cred, inside ch; the caller read cred in ch.
func (s *Service) countFailure(ch *directory.Change, u *gh.User, cred *gh.Credential, c Client) error {
	p := s.policy(u.Org)
	now := ch.Now()
	if now.Before(cred.LockedUntil) {
		return nil // already locked: the lock does not grow
	}
	cred.FailedAttempts++
	if cred.FailedAttempts == max(2, p.LockoutThreshold/2) && cred.FailedAttempts < p.LockoutThreshold {
		s.tellContacts(ch, u.Org, "repeated_failures", "Repeated failed sign-ins: "+u.Email,
			fmt.Sprintf("%d failed sign-ins in a row for %s; the last from %s.", cred.FailedAttempts, u.Email, c.IP))
	}
	if cred.FailedAttempts >= p.LockoutThreshold {
		cred.FailedAttempts, cred.LockedUntil = 0, now.Add(time.Duration(p.LockoutMinutes)*time.Minute)
		ch.Record(u.Org, u.Workspace, "login.lockout", userTarget(u))
		s.tellContacts(ch, u.Org, "lockout", "Account locked: "+u.Email,
			fmt.Sprintf("After repeated failed sign-ins, %s is locked for %d minutes.\nLast attempt from %s.", u.Email, p.LockoutMinutes, c.IP))
	}
	return s.putCred(ch.Vault(), cred)
}

// startSession makes a session (ending the oldest, or refusing, at the
// policy's limit) and fills st with its one-time secrets.
func (s *Service) startSession(ctx context.Context, ch *directory.Change, u *gh.User, c Client, st *Started, p gh.SecurityPolicy) error {
	existing, err := s.store.Sessions(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(existing) >= p.MaxSessions {
		if p.SessionLimit == gh.SessionRefuse {
			return gh.Errorf(gh.KindConflict, "session_limit", "you are signed in %d times already; sign out elsewhere first", len(existing))
		}
		sort.Slice(existing, func(i, j int) bool { return existing[i].CreatedAt.Before(existing[j].CreatedAt) })
		for _, old := range existing[:len(existing)-p.MaxSessions+1] {
			if err := ch.Vault().DeleteSession(u.Org, old.ID); err != nil {
				return err
			}
			ch.Record(u.Org, u.Workspace, "session.end", gh.Target{Type: "session", ID: old.ID})
		}
	}
	now := ch.Now()
	token, hash := auth.NewToken()
	csrf, csrfHash := auth.NewToken()
	sess := &gh.Session{ID: gh.NewID("ses"), TokenHash: hash, CSRFHash: csrfHash, User: u.ID, Org: u.Org,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Duration(p.SessionAbsoluteHours) * time.Hour),
		MFAPending: st.MFARequired, IP: c.IP, UserAgent: trim(c.UserAgent, 300), Device: device(c.UserAgent)}
	if !st.MFARequired {
		sess.StepUpAt = now
	}
	st.Token, st.CSRF, st.Session = token, csrf, sess
	if err := ch.Vault().PutSession(sess); err != nil {
		return err
	}
	return s.notes.SignedIn(ch, u, c.IP, sess.Device)
}

// LoginMFA completes a sign-in with a TOTP code, a recovery code or a code
// sent by email or SMS (SendCode), whichever u may use now. The
// session gets new tokens, so one seen before the second factor is useless after.
func (s *Service) LoginMFA(ctx context.Context, sessToken, code string, c Client) (*Started, error) {
	hash := auth.HashToken(sessToken)
	first, err := s.store.SessionByHash(ctx, hash)
	if err != nil || !first.MFAPending {
		return nil, errSignIn
	}
	u := s.dir.Index().User(first.User)
	if u == nil || u.Status != gh.StatusActive {
		return nil, errSignIn
	}
	if err := s.allow(ctx, c, "mfa/"+string(u.ID)); err != nil {
		return nil, err
	}
	// Session and credential are read again inside the write transaction, so
	// that one code sent on many requests at once is accepted once.
	st, bad := &Started{}, false
	_, err = s.dir.Change(ctx, userActor(u, c), func(ch *directory.Change) error {
		sess, err := s.store.SessionByHash(ctx, hash)
		if err != nil || !sess.MFAPending {
			bad = true
			return nil
		}
		cred, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		now := ch.Now()
		if len(s.secondFactors(u, cred)) == 0 || now.Before(cred.LockedUntil) {
			bad = true
			ch.Record(u.Org, u.Workspace, "login.failure", userTarget(u))
			return nil
		}
		used := ""
		if step, ok := auth.CheckTOTP(cred.TOTPSecret, code, now, cred.TOTPLastStep); ok && cred.TOTPConfirmed {
			cred.TOTPLastStep, used = step, "totp"
		} else if rest, ok := auth.UseRecoveryCode(cred.RecoveryHashes, code); ok {
			cred.RecoveryHashes, used = rest, "recovery_code"
		} else if channel, ok := useCode(cred, code, now, s.signInChannels(u, cred)...); ok {
			used = channel
		} else {
			bad = true
			ch.Record(u.Org, u.Workspace, "login.failure", userTarget(u))
			return s.countFailure(ch, u, cred, c)
		}
		cred.FailedAttempts = 0
		if err := s.putCred(ch.Vault(), cred); err != nil {
			return err
		}
		token, tokenHash := auth.NewToken()
		csrf, csrfHash := auth.NewToken()
		sess.TokenHash, sess.CSRFHash, sess.MFAPending = tokenHash, csrfHash, false
		sess.StepUpAt, sess.LastSeenAt = now, now
		st.Token, st.CSRF, st.Session = token, csrf, sess
		st.MustChangePassword = mustChange(cred, s.policy(u.Org), now)
		if err := ch.Vault().PutSession(sess); err != nil {
			return err
		}
		ch.Record(u.Org, u.Workspace, "login.success", userTarget(u))
		switch used {
		case "recovery_code":
			ch.Record(u.Org, u.Workspace, "mfa.recovery_code.use", userTarget(u))
		case gh.CodeEmail, gh.CodeSMS:
			ch.Record(u.Org, u.Workspace, "mfa."+used+"_code.use", userTarget(u))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if bad {
		return nil, errSignIn
	}
	return st, nil
}

// Gate is how far a session may go.
type Gate int

const (
	GateFull      Gate = iota // everything the user may do
	GateMFA                   // only the second factor (/v1/login/mfa)
	GateEnrol                 // only enrolling a second factor the policy asks for
	GatePassword              // only changing a temporary or expired password
	GateSignedOut             // not signed in
)

// Authenticate finds the session of a cookie and the actor it stands for.
// Expired, idle, ended sessions, disabled users, suspended organizations and
// addresses outside the allowed ranges are all errSignIn.
func (s *Service) Authenticate(ctx context.Context, token string, c Client) (*directory.Actor, *gh.Session, Gate, error) {
	sess, err := s.store.SessionByHash(ctx, auth.HashToken(token))
	if err != nil {
		return nil, nil, GateSignedOut, errSignIn
	}
	u := s.dir.Index().User(sess.User)
	o := s.dir.Index().Org(sess.Org)
	now := s.dir.Now()
	if o == nil || !s.mayEnter(u, c.IP) {
		return nil, nil, GateSignedOut, errSignIn
	}
	p := o.Policy.WithDefaults()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > time.Duration(p.SessionIdleMinutes)*time.Minute {
		_ = s.store.VaultUpdate(ctx, func(v gh.VaultTx) error { return v.DeleteSession(sess.Org, sess.ID) })
		return nil, nil, GateSignedOut, errSignIn
	}
	if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
		s.log.Warn("touch session", "err", err)
	}
	a := &directory.Actor{User: u, Session: sess.ID, Source: c.source("console"),
		StaleSession: now.Sub(sess.StepUpAt) > s.cfg.StepUp}
	gate := GateFull
	if sess.MFAPending {
		return a, sess, GateMFA, nil
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return nil, nil, GateSignedOut, err
	}
	switch {
	case len(s.secondFactors(u, cred)) == 0 && p.MFARequired(s.dir.Index().Administers(u.ID)):
		gate = GateEnrol
	case mustChange(cred, p, now):
		gate = GatePassword
	}
	return a, sess, gate, nil
}

// CheckCSRF compares a request's CSRF token with its session's.
func CheckCSRF(sess *gh.Session, token string) bool {
	return token != "" && auth.HashToken(token) == sess.CSRFHash
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, a *directory.Actor, sess *gh.Session) error {
	_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
		ch.Record(sess.Org, a.User.Workspace, "session.end", gh.Target{Type: "session", ID: sess.ID})
		return ch.Vault().DeleteSession(sess.Org, sess.ID)
	})
	return err
}

// Sessions lists a user's sessions (its own, or any in scope for an admin).
func (s *Service) Sessions(ctx context.Context, u gh.UserID) ([]*gh.Session, error) {
	return s.store.Sessions(ctx, u)
}

// EndSession ends one session of user u; the caller has checked the right to.
func (s *Service) EndSession(ctx context.Context, a *directory.Actor, u *gh.User, id string) error {
	list, err := s.store.Sessions(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, sess := range list {
		if sess.ID == id {
			_, err := s.dir.Change(ctx, a, func(ch *directory.Change) error {
				ch.Record(u.Org, u.Workspace, "session.end", gh.Target{Type: "session", ID: id})
				return ch.Vault().DeleteSession(u.Org, id)
			})
			return err
		}
	}
	return gh.NotFound("session")
}

// Reauthenticate confirms the password (and a code, with MFA) of a signed-in
// user, so that sensitive actions are allowed for a while.
func (s *Service) Reauthenticate(ctx context.Context, a *directory.Actor, sess *gh.Session, password, code string, c Client) error {
	u := a.User
	if err := s.allow(ctx, c, "reauth/"+string(u.ID)); err != nil {
		return err
	}
	cred, err := s.credential(ctx, u)
	if err != nil {
		return err
	}
	checked, ok, _, err := s.verifyPassword(ctx, u, cred.PasswordHash, password)
	if gh.KindOf(err) == gh.KindUnavailable {
		return err // the directory did not answer: not a wrong password
	}
	if !checked || err != nil || !ok {
		return s.failed(ctx, u, c, true)
	}
	bad := false
	_, err = s.dir.Change(ctx, a, func(ch *directory.Change) error {
		cur, err := s.credential(ctx, u)
		if err != nil {
			return err
		}
		if cur.PasswordVersion != cred.PasswordVersion || ch.Now().Before(cur.LockedUntil) {
			bad = true
			return nil
		}
		if cur.TOTPConfirmed {
			step, ok := auth.CheckTOTP(cur.TOTPSecret, code, ch.Now(), cur.TOTPLastStep)
			if !ok {
				bad = true
				ch.Record(u.Org, u.Workspace, "login.failure", userTarget(u))
				return s.countFailure(ch, u, cur, c)
			}
			cur.TOTPLastStep = step
		}
		// The session as it is now, so that the activity this request recorded stays.
		now, err := s.store.SessionByHash(ctx, sess.TokenHash)
		if err != nil {
			return err
		}
		now.StepUpAt, now.LastSeenAt = ch.Now(), ch.Now()
		ch.Record(u.Org, u.Workspace, "login.reauthenticate", userTarget(u))
		return errorsJoin(s.putCred(ch.Vault(), cur), ch.Vault().PutSession(now))
	})
	if err != nil {
		return err
	}
	if bad {
		return errSignIn
	}
	return nil
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// device names the kind of client from its user agent, for session lists.
func device(ua string) string {
	l := strings.ToLower(ua)
	var osName, app string
	for _, o := range []struct{ key, name string }{{"iphone", "iPhone"}, {"ipad", "iPad"}, {"android", "Android"},
		{"windows", "Windows"}, {"mac os", "macOS"}, {"linux", "Linux"}} {
		if strings.Contains(l, o.key) {
			osName = o.name
			break
		}
	}
	for _, b := range []struct{ key, name string }{{"edg/", "Edge"}, {"firefox", "Firefox"}, {"chrome", "Chrome"},
		{"safari", "Safari"}, {"curl", "curl"}, {"go-http-client", "Go client"}} {
		if strings.Contains(l, b.key) {
			app = b.name
			break
		}
	}
	switch {
	case app != "" && osName != "":
		return app + " on " + osName
	case app != "":
		return app
	case osName != "":
		return osName
	}
	return "unknown device"
}
