package console

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	gh "gatehouse.dev/gatehouse"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/signin"
)

// The second factor: setting up an authenticator app (begin, scan or type
// the secret, confirm with a code, keep the recovery codes shown once), new
// recovery codes, and removing a passkey. The secret and its otpauth URI go
// only to the page and the QR image, never into a log or a URL.

// setupPage is what a gated session lands on: the one step it still lacks.
type setupPage struct {
	Password bool       // the password must be changed
	Enrol    *enrolment // an authenticator app is being set up
}

// enrolment is a begun, unconfirmed authenticator app, as the page shows it.
type enrolment struct {
	Secret string // grouped by four for typing
}

// setup shows a gated session its step; a full session has nothing to do here.
func (c *Console) setup(w http.ResponseWriter, r *http.Request, v *view) error {
	if !v.Gated() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return c.showSetup(r, v)
}

func (c *Console) showSetup(r *http.Request, v *view) error {
	p := setupPage{Password: v.gate == signin.GatePassword}
	title := "Change your password"
	if v.gate == signin.GateEnrol {
		title = "Set up an authenticator app"
		p.Enrol = c.pending(r, v)
	}
	v.show("account_setup.html", title, p)
	return nil
}

// pending is the user's begun enrolment, or nil.
func (c *Console) pending(r *http.Request, v *view) *enrolment {
	e, err := c.signin.PendingTOTP(r.Context(), v.actor)
	if err != nil {
		return nil
	}
	return &enrolment{Secret: grouped(e.Secret.Reveal())}
}

func grouped(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mfa is the enrolment page of a signed-in user who has no app yet.
func (c *Console) mfa(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.gate == signin.GateEnrol {
		http.Redirect(w, r, "/account/setup", http.StatusSeeOther)
		return nil
	}
	enrolled, _, err := c.signin.MFAStatus(r.Context(), v.Me)
	if err != nil {
		return err
	}
	if enrolled {
		return done(w, r, "/account", "Your authenticator app is set up already; an admin can reset it if you lost it.")
	}
	return c.showMFA(r, v)
}

func (c *Console) showMFA(r *http.Request, v *view) error {
	v.Section = "account"
	v.Crumbs = []crumb{{"My account", "/account"}}
	v.show("account_mfa.html", "Set up an authenticator app", setupPage{Enrol: c.pending(r, v)})
	return nil
}

// beginMFA makes a new secret (replacing a begun one) and shows it.
func (c *Console) beginMFA(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := c.signin.BeginTOTP(r.Context(), v.actor); err != nil {
		return err
	}
	to := "/account/mfa"
	if v.Gated() {
		to = "/account/setup"
	}
	return done(w, r, to, "Scan the code, or type the key, into your authenticator app.")
}

// mfaQR is the begun enrolment's QR code. It carries the secret: never cached.
func (c *Console) mfaQR(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.signin.PendingTOTP(r.Context(), v.actor)
	if err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(e.QRPNG)
	if err != nil {
		return gh.Internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(png)
	return nil
}

// codesPage shows recovery codes, once.
type codesPage struct {
	Codes []string
	Next  string // where to go on
	First bool   // the app was just set up
}

// confirmMFA turns the app on with a first code and shows the recovery codes.
func (c *Console) confirmMFA(w http.ResponseWriter, r *http.Request, v *view) error {
	codes, err := c.signin.ConfirmTOTP(r.Context(), v.actor, v.sess, strings.TrimSpace(r.PostForm.Get("code")), c.web.ClientOf(r))
	if err != nil {
		formError(v, err)
		if v.Gated() {
			return c.showSetup(r, v)
		}
		return c.showMFA(r, v)
	}
	next := "/account"
	if v.Gated() {
		next = "/"
	}
	v.Notice = "Your authenticator app is set up. From now on, signing in asks for its code."
	return c.showCodes(v, codes, next, true)
}

func (c *Console) showCodes(v *view, codes []gh.Secret, next string, first bool) error {
	p := codesPage{Next: next, First: first}
	for _, s := range codes {
		p.Codes = append(p.Codes, s.Reveal())
	}
	if !v.Gated() {
		v.Section = "account"
		v.Crumbs = []crumb{{"My account", "/account"}}
	}
	v.show("account_codes.html", "Your recovery codes", p)
	return nil
}

// newRecoveryCodes replaces the recovery codes and shows the new ones, once.
func (c *Console) newRecoveryCodes(w http.ResponseWriter, r *http.Request, v *view) error {
	codes, err := c.signin.NewRecoveryCodes(r.Context(), v.actor)
	if err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	v.Notice = "New recovery codes are made; the old ones no longer work."
	return c.showCodes(v, codes, "/account", false)
}

// beginPasskey answers assets/passkeys.js with a registration challenge
// (JSON, for navigator.credentials.create), or with what stands in the way.
func (c *Console) beginPasskey(w http.ResponseWriter, r *http.Request, v *view) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	o, err := c.signin.BeginPasskey(r.Context(), v.actor)
	if err != nil {
		e := gh.AsError(err)
		if e.Kind == gh.KindInternal {
			c.log.Error("console", "err", err, "path", r.URL.Path, "request_id", ghttp.RequestID(r))
			e = gh.Errorf(gh.KindInternal, "internal", "something went wrong on our side; try again in a moment")
		}
		w.WriteHeader(ghttp.Status(e))
		return json.NewEncoder(w).Encode(map[string]string{"error": e.Message})
	}
	return json.NewEncoder(w).Encode(o)
}

// addPasskey keeps the passkey the browser made, named by the person.
func (c *Console) addPasskey(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	in := signin.PasskeyAnswer{Ceremony: f.Get("ceremony"), Name: f.Get("name"), Credential: json.RawMessage(f.Get("credential"))}
	pk, err := c.signin.FinishPasskey(r.Context(), v.actor, in)
	if err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "Passkey "+pk.Name+" is added. You can sign in with it alone.")
}

func (c *Console) removePasskey(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.signin.RemovePasskey(r.Context(), v.actor, r.PathValue("id")); err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	return done(w, r, "/account", "The passkey is removed.")
}
