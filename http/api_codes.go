package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// The one-time codes by email and SMS: sent during a sign-in's second step,
// and set up from the account's own second-factor endpoints.

// registerCodes adds the endpoints that set up codes by email and SMS.
func (s *Server) registerCodes() {
	s.handle("GET", "/v1/me/mfa", s.mine(s.myFactors))
	s.handle("PUT", "/v1/me/mfa/email", s.mine(s.setEmailCodes))
	s.handle("POST", "/v1/me/mfa/sms", s.mine(s.beginSMS))
	s.handle("POST", "/v1/me/mfa/sms/confirm", s.mine(s.confirmSMS))
	s.handle("DELETE", "/v1/me/mfa/sms", s.mine(s.removeSMS))
}

// sendCode sends a code for the second step of the session's sign-in.
func (s *Server) sendCode(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in codeRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, _ := r.Cookie(sessionCookie)
	if c == nil {
		return gh.Errorf(gh.KindUnauthenticated, "invalid_credentials", "sign in first")
	}
	sent, err := s.signin.SendCode(r.Context(), c.Value, in.Method, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, sent)
	return nil
}

func (s *Server) myFactors(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	f, err := s.signin.SecondFactors(r.Context(), a.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) setEmailCodes(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in emailCodesInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.signin.SetEmailCodes(r.Context(), a, in.Enabled); err != nil {
		return err
	}
	return s.myFactors(w, r, a)
}

func (s *Server) beginSMS(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in phoneInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	sent, err := s.signin.BeginSMS(r.Context(), a, in.Phone, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, sent)
	return nil
}

func (s *Server) confirmSMS(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	var in codeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.signin.ConfirmSMS(r.Context(), a, in.Code, s.client(r)); err != nil {
		return err
	}
	return s.myFactors(w, r, a)
}

func (s *Server) removeSMS(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
	if err := s.signin.RemoveSMS(r.Context(), a); err != nil {
		return err
	}
	return s.myFactors(w, r, a)
}
