package http

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/signin"
)

// sessionCookie names the session cookie; csrfHeader carries the CSRF token.
const (
	sessionCookie = "gatehouse_session"
	csrfHeader    = "X-CSRF-Token"
)

// SigninOptions configure signing in over HTTP.
type SigninOptions struct {
	// SecureCookies marks the session cookie Secure; set it whenever clients
	// reach the service over TLS (directly or through a proxy).
	SecureCookies bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

// EnableSignin adds the sign-in endpoints and cookie sessions.
func (s *Server) EnableSignin(svc *signin.Service, o SigninOptions) {
	s.signin, s.signinOpts = svc, o
	s.registerSignin()
	s.registerNotify()
}

// clientIP is the caller's address: the peer's, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not one.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(h); err != nil {
			break // a malformed entry: believe nothing before it
		}
		if !s.trusted(h) {
			return h
		}
		host = h
	}
	return host
}

func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range s.signinOpts.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (s *Server) client(r *http.Request) signin.Client {
	return signin.Client{IP: s.clientIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r)}
}

type sessionKey struct{}

// sessionOf is the session a request was authenticated with, if any.
func sessionOf(r *http.Request) *gh.Session {
	sess, _ := r.Context().Value(sessionKey{}).(*gh.Session)
	return sess
}

// gateOK lists, for sessions that are not fully signed in, the endpoints they may use.
var gateOK = map[signin.Gate][]string{
	signin.GateMFA: {"POST /v1/login/mfa", "POST /v1/login/mfa/code", "POST /v1/logout", "GET /v1/me"},
	signin.GateEnrol: {"POST /v1/me/mfa/totp", "POST /v1/me/mfa/totp/confirm", "GET /v1/me/mfa", "PUT /v1/me/mfa/email",
		"POST /v1/me/mfa/sms", "POST /v1/me/mfa/sms/confirm", "POST /v1/logout", "GET /v1/me"},
	signin.GatePassword: {"POST /v1/me/password", "POST /v1/logout", "GET /v1/me"},
}

var errGate = map[signin.Gate]*gh.Error{
	signin.GateMFA:      gh.Errorf(gh.KindUnauthenticated, "mfa_required", "enter the code of your authenticator app at /v1/login/mfa"),
	signin.GateEnrol:    gh.Errorf(gh.KindForbidden, "mfa_enrolment_required", "your organization asks for a second factor: set one up at /v1/me/mfa/totp"),
	signin.GatePassword: gh.Errorf(gh.KindForbidden, "password_change_required", "change your password at /v1/me/password first"),
}

// authenticateSession signs a request in with its session cookie. Requests
// that change something must carry the session's CSRF token.
func (s *Server) authenticateSession(r *http.Request, pattern string) (*directory.Actor, *http.Request, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || s.signin == nil {
		return nil, r, gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "sign in, or send an API key as Authorization: Bearer <key>")
	}
	a, sess, gate, err := s.signin.Authenticate(r.Context(), c.Value, s.client(r))
	if err != nil {
		return nil, r, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !signin.CheckCSRF(sess, r.Header.Get(csrfHeader)) {
		return nil, r, gh.Errorf(gh.KindForbidden, "csrf", "send the CSRF token you got at sign-in in the "+csrfHeader+" header")
	}
	if gate != signin.GateFull {
		allowed := false
		for _, p := range gateOK[gate] {
			allowed = allowed || p == pattern
		}
		if !allowed {
			return nil, r, errGate[gate]
		}
	}
	a.Source.RequestID = requestID(r)
	return a, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)), nil
}

// setSession sends the session cookie: HttpOnly, SameSite=Lax, Secure behind TLS.
func (s *Server) setSession(w http.ResponseWriter, token gh.Secret, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token.Reveal(), Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.signinOpts.SecureCookies})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.signinOpts.SecureCookies})
}

// loginAnswer is what a sign-in step answers; the session itself is the cookie.
type loginAnswer struct {
	SessionID              string `json:"session_id"`
	CSRFToken              string `json:"csrf_token"`
	MFARequired            bool   `json:"mfa_required"`
	MFAEnrolmentRequired   bool   `json:"mfa_enrolment_required"`
	PasswordChangeRequired bool   `json:"password_change_required"`
	// MFAMethods are what the second step takes: totp, email, sms.
	MFAMethods []string `json:"mfa_methods,omitempty"`
}

func (s *Server) started(w http.ResponseWriter, st *signin.Started) {
	s.setSession(w, st.Token, st.Session.ExpiresAt)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, loginAnswer{SessionID: st.Session.ID, CSRFToken: st.CSRF.Reveal(), MFARequired: st.MFARequired,
		MFAEnrolmentRequired: st.MFAEnrolment, PasswordChangeRequired: st.MustChangePassword, MFAMethods: st.MFAMethods})
}

// Request and answer bodies of the sign-in endpoints.
type (
	codeInput struct {
		Code string `json:"code"`
	}
	codeRequest struct {
		Method string `json:"method"` // email or sms
	}
	phoneInput struct {
		Phone string `json:"phone"` // international, e.g. +44 7700 900123
	}
	emailCodesInput struct {
		Enabled bool `json:"enabled"`
	}
	passwordChange struct {
		CurrentPassword string `json:"current_password"`
		Password        string `json:"password"`
	}
	reauthInput struct {
		Password string `json:"password"`
		Code     string `json:"code,omitempty"`
	}
	resetRequest struct {
		Org   string `json:"org,omitempty"`
		Email string `json:"email"`
	}
	meAnswer struct {
		User         *gh.User    `json:"user"`
		Org          *gh.Org     `json:"org"`
		MFAEnrolled  bool        `json:"mfa_enrolled"`
		RecoveryLeft int         `json:"recovery_codes_left"`
		Session      *gh.Session `json:"session,omitempty"`
	}
	sessionList struct {
		Items []*gh.Session `json:"items"`
	}
	totpEnrolment struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
		QRPNG  string `json:"qr_png_base64"`
	}
	recoveryCodes struct {
		Codes []string `json:"recovery_codes"`
	}
	acceptedAnswer struct {
		UserID gh.UserID `json:"user_id"`
		Email  string    `json:"email"`
	}
	mailList struct {
		Items []*gh.Mail `json:"items"`
	}
	passkeyList struct {
		Items []gh.Passkey `json:"items"`
	}
	// invitation is one person (the user's fields), or a list with one role and group for all.
	invitation struct {
		directory.UserInput
		signin.InviteList
	}
	webhookSecret struct {
		Secret   string      `json:"secret"`
		Revision gh.Revision `json:"revision"`
	}
)

func reveal(ss []gh.Secret) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Reveal()
	}
	return out
}

func (s *Server) registerSignin() {
	s.handlePublic("POST", "/v1/login", func(w http.ResponseWriter, r *http.Request) {
		var in signin.LoginInput
		err := decode(w, r, &in)
		var st *signin.Started
		if err == nil {
			st, err = s.signin.Login(r.Context(), in, s.client(r))
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		s.started(w, st)
	})
	s.handle("POST", "/v1/login/mfa", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in codeInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		c, _ := r.Cookie(sessionCookie)
		if c == nil {
			return gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "sign in first")
		}
		st, err := s.signin.LoginMFA(r.Context(), c.Value, in.Code, s.client(r))
		if err != nil {
			return err
		}
		s.started(w, st)
		return nil
	})
	s.handle("POST", "/v1/login/mfa/code", s.sendCode)
	s.registerCodes()
	s.handle("POST", "/v1/logout", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sess := sessionOf(r)
		if sess == nil {
			return gh.Errorf(gh.KindInvalid, "not_a_session", "an API key has no session to end; revoke the key instead")
		}
		if err := s.signin.Logout(r.Context(), a, sess); err != nil {
			return err
		}
		s.clearSession(w)
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	})
	s.handle("GET", "/v1/me", func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		if a.User == nil {
			return gh.Errorf(gh.KindInvalid, "not_a_user", "this key is the platform operator's, not a user's")
		}
		enrolled, left, err := s.signin.MFAStatus(r.Context(), a.User)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, meAnswer{User: a.User, Org: directory.OrgSeenBy(a, s.dir.Index().Org(a.User.Org)), MFAEnrolled: enrolled, RecoveryLeft: left, Session: sessionOf(r)})
		return nil
	})
	s.handle("GET", "/v1/me/sessions", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		list, err := s.signin.Sessions(r.Context(), a.User.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, sessionList{Items: nonNil(list)})
		return nil
	}))
	s.handle("DELETE", "/v1/me/sessions/{id}", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		if err := s.signin.EndSession(r.Context(), a, a.User, r.PathValue("id")); err != nil {
			return err
		}
		if sess := sessionOf(r); sess != nil && sess.ID == r.PathValue("id") {
			s.clearSession(w)
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}))
	s.handle("POST", "/v1/me/password", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in passwordChange
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := s.signin.ChangePassword(r.Context(), a, in.CurrentPassword, in.Password, s.client(r)); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}))
	s.handle("POST", "/v1/me/reauthenticate", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in reauthInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		sess := sessionOf(r)
		if sess == nil {
			return gh.Errorf(gh.KindInvalid, "not_a_session", "API keys need no re-authentication")
		}
		if err := s.signin.Reauthenticate(r.Context(), a, sess, in.Password, in.Code, s.client(r)); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}))
	s.handle("POST", "/v1/me/mfa/totp", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		e, err := s.signin.BeginTOTP(r.Context(), a)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, totpEnrolment{Secret: e.Secret.Reveal(), URI: e.URI.Reveal(), QRPNG: e.QRPNG})
		return nil
	}))
	s.handle("POST", "/v1/me/mfa/totp/confirm", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in codeInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		codes, err := s.signin.ConfirmTOTP(r.Context(), a, sessionOf(r), in.Code, s.client(r))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, recoveryCodes{reveal(codes)})
		return nil
	}))
	s.handle("POST", "/v1/me/passkeys/begin", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		o, err := s.signin.BeginPasskey(r.Context(), a)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, o)
		return nil
	}))
	s.handle("POST", "/v1/me/passkeys", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		var in signin.PasskeyAnswer
		if err := decode(w, r, &in); err != nil {
			return err
		}
		pk, err := s.signin.FinishPasskey(r.Context(), a, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, pk)
		return nil
	}))
	s.handle("GET", "/v1/me/passkeys", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		pks, err := s.signin.Passkeys(r.Context(), a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, passkeyList{nonNil(pks)})
		return nil
	}))
	s.handle("DELETE", "/v1/me/passkeys/{id}", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		if err := s.signin.RemovePasskey(r.Context(), a, r.PathValue("id")); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}))
	s.handlePublic("POST", "/v1/login/passkey/begin", s.public(func(w http.ResponseWriter, r *http.Request) error {
		o, err := s.signin.BeginPasskeyLogin(r.Context(), s.client(r))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, o)
		return nil
	}))
	s.handlePublic("POST", "/v1/login/passkey", s.public(func(w http.ResponseWriter, r *http.Request) error {
		var in signin.PasskeyAnswer
		if err := decode(w, r, &in); err != nil {
			return err
		}
		st, err := s.signin.FinishPasskeyLogin(r.Context(), in, s.client(r))
		if err != nil {
			return err
		}
		s.started(w, st)
		return nil
	}))
	s.handle("POST", "/v1/me/mfa/recovery-codes", s.mine(func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		codes, err := s.signin.NewRecoveryCodes(r.Context(), a)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, recoveryCodes{reveal(codes)})
		return nil
	}))

	s.both("POST", "/users/{id}/password", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in signin.SetPasswordInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		rev, err := s.signin.SetPassword(r.Context(), a, sc, gh.UserID(r.PathValue("id")), in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	}))
	s.both("POST", "/users/{id}/mfa/reset", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		rev, err := s.signin.ResetMFA(r.Context(), a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	}))
	s.both("GET", "/users/{id}/sessions", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		u, err := s.dir.ManagedUser(a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		list, err := s.signin.Sessions(r.Context(), u.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, sessionList{Items: nonNil(list)})
		return nil
	}))
	s.both("DELETE", "/users/{id}/sessions/{sid}", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		u, err := s.dir.ManagedUser(a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		if err := s.signin.EndSession(r.Context(), a, u, r.PathValue("sid")); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}))
	s.both("POST", "/invitations", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			rows, err := readUserCSV(w, r)
			if err != nil {
				return err
			}
			res, err := s.signin.InviteMany(r.Context(), a, sc, rows, r.URL.Query().Get("mode") == "valid", s.client(r))
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, res)
			return nil
		}
		var in invitation
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if len(in.Emails) > 0 || in.Role != "" || in.Group != "" || in.Workspace != "" {
			var people []directory.UserInput
			if in.Email != "" {
				people = append(people, in.UserInput)
			}
			res, err := s.signin.InviteAll(r.Context(), a, sc, in.InviteList, s.client(r), people...)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, res)
			return nil
		}
		u, rev, err := s.signin.Invite(r.Context(), a, sc, in.UserInput, s.client(r))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, u)
		return nil
	}))
	s.both("POST", "/users/bulk", s.inScope(s.bulkUsers))
	s.both("POST", "/users/{id}/invitation", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		rev, err := s.signin.Resend(r.Context(), a, sc, gh.UserID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	}))
	s.handlePublic("POST", "/v1/invitations/accept", s.public(func(w http.ResponseWriter, r *http.Request) error {
		var in signin.AcceptInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		u, err := s.signin.AcceptInvitation(r.Context(), in, s.client(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, acceptedAnswer{u.ID, u.Email})
		return nil
	}))
	s.handlePublic("POST", "/v1/password/reset", s.public(func(w http.ResponseWriter, r *http.Request) error {
		var in resetRequest
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := s.signin.RequestReset(r.Context(), in.Org, in.Email, s.client(r)); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, struct{}{}) // the same answer whether the email exists or not
		return nil
	}))
	s.handlePublic("POST", "/v1/password/reset/confirm", s.public(func(w http.ResponseWriter, r *http.Request) error {
		var in signin.AcceptInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		u, err := s.signin.ConfirmReset(r.Context(), in, s.client(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, acceptedAnswer{u.ID, u.Email})
		return nil
	}))
	s.handle("POST", "/v1/orgs/{org}/webhook/secret", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		secret, rev, err := s.signin.RotateWebhookSecret(r.Context(), a, sc.Org)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, webhookSecret{secret.Reveal(), rev})
		return nil
	}))
	s.registerPages()
	s.handle("GET", "/v1/orgs/{org}/mail/{id}", s.inScope(s.caughtMail))
	s.handle("GET", "/v1/orgs/{org}/mail", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		if err := s.dir.RequireOrgAdmin(a, sc.Org, "see the organization's outgoing mail"); err != nil {
			return err
		}
		list, err := s.dir.Store().ListMail(r.Context(), sc.Org.ID, 100)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, mailList{Items: nonNil(list)})
		return nil
	}))
}

// MailKeeper is the mail catcher of a demo server: what it was sent, bodies included.
type MailKeeper interface {
	Caught(org gh.OrgID, id string) (*gh.Mail, bool)
}

// KeepMail lets Org Admins read the text of the mail a demo server caught
// (GET /v1/orgs/{org}/mail/{id}); without it that endpoint answers 404.
func (s *Server) KeepMail(k MailKeeper) { s.mailKeeper = k }

// caughtMail shows one message with its body, when a catcher kept it.
func (s *Server) caughtMail(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	if err := s.dir.RequireOrgAdmin(a, sc.Org, "read the organization's mail"); err != nil {
		return err
	}
	if s.mailKeeper == nil {
		return gh.Errorf(gh.KindNotFound, "mail_not_kept", "this server sends mail to its SMTP server and keeps no copy; only serve --demo without SMTP keeps messages to read")
	}
	m, ok := s.mailKeeper.Caught(sc.Org.ID, r.PathValue("id"))
	if !ok {
		return gh.Errorf(gh.KindNotFound, "mail_not_found", "no such message was caught; it may still wait in the outbox (gatehouse mail list), or be older than the last 200")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, caughtMail{Mail: m, Body: m.Body})
	return nil
}

// caughtMail is a message with its text, which may hold a one-time link.
type caughtMail struct {
	*gh.Mail
	Body string `json:"body"`
}

// mine wraps endpoints about the signed-in user itself.
func (s *Server) mine(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		if a.User == nil {
			return gh.Errorf(gh.KindInvalid, "not_a_user", "this key is the platform operator's, not a user's")
		}
		return h(w, r, a)
	}
}

// public adapts an error-returning handler that needs no key.
func (s *Server) public(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	}
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
