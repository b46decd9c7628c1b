package console

import (
	"net/http"
	"strings"
)

// Codes by email and text message as second factors, from My account:
// turning email codes on or off, adding a phone (a code is texted to it
// and typed back), removing it. The rules and the audit are signin's.

func (c *Console) codeRoutes() {
	c.post("/account/mfa/email", c.setEmailCodes)
	c.post("/account/mfa/sms", c.beginSMS)
	c.post("/account/mfa/sms/confirm", c.confirmSMS)
	c.post("/account/mfa/sms/delete", c.removeSMS)
}

func (c *Console) setEmailCodes(w http.ResponseWriter, r *http.Request, v *view) error {
	on := r.PostForm.Get("enabled") == "on"
	if err := c.signin.SetEmailCodes(r.Context(), v.actor, on); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	if on {
		return done(w, r, "/account", "Codes by email are on: signing in can send one to "+v.Me.Email+".")
	}
	return done(w, r, "/account", "Codes by email are off.")
}

func (c *Console) beginSMS(w http.ResponseWriter, r *http.Request, v *view) error {
	sent, err := c.signin.BeginSMS(r.Context(), v.actor, r.PostForm.Get("phone"), c.web.ClientOf(r))
	if err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "We texted a code to "+sent.SentTo+"; type it below to finish adding the phone.")
}

func (c *Console) confirmSMS(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.signin.ConfirmSMS(r.Context(), v.actor, strings.TrimSpace(r.PostForm.Get("code")), c.web.ClientOf(r)); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "Your phone is added: signing in can text a code to it.")
}

func (c *Console) removeSMS(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.signin.RemoveSMS(r.Context(), v.actor); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "Your phone is removed.")
}
