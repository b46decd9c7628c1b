package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// The user's own ways in besides this browser: its other sessions, and its
// personal API keys (a key's secret is shown once, on the page that made it).

// endSession ends one of the user's other sessions.
func (c *Console) endSession(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	if id == v.sess.ID {
		return gh.Errorf(gh.KindInvalid, "current_session", "this is the session you are using; sign out instead")
	}
	if err := c.signin.EndSession(context.WithoutCancel(r.Context()), v.actor, v.Me, id); err != nil {
		return err
	}
	return done(w, r, "/account", "The session is ended.")
}

// endOtherSessions signs the user out everywhere but here.
func (c *Console) endOtherSessions(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := context.WithoutCancel(r.Context())
	list, err := c.signin.Sessions(ctx, v.Me.ID)
	if err != nil {
		return err
	}
	n := 0
	for _, s := range list {
		if s.ID == v.sess.ID {
			continue
		}
		// Another request may have ended it meanwhile: that is what we want.
		if err := c.signin.EndSession(ctx, v.actor, v.Me, s.ID); err != nil && gh.KindOf(err) != gh.KindNotFound {
			return err
		}
		n++
	}
	return done(w, r, "/account", "Signed out everywhere else: "+plural(n, "session", "sessions")+" ended.")
}

// keyPage shows a new key's secret, once.
type keyPage struct {
	Key    *gh.APIKey
	Secret string
}

// createKey makes a personal API key acting as the user.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, v *view) error {
	in := directory.KeyInput{Name: r.PostForm.Get("name")}
	if d := strings.TrimSpace(r.PostForm.Get("expires")); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			formError(v, gh.Invalid("invalid_input", "expires", "is not a date"))
			return c.showAccount(r, v)
		}
		in.ExpiresAt = &t
	}
	k, secret, _, err := c.dir.CreateKey(r.Context(), v.actor, v.Org, v.Me.ID, in)
	if err != nil {
		formError(v, err)
		return c.showAccount(r, v)
	}
	v.Section = "account"
	v.Crumbs = []crumb{{"My account", "/account"}}
	v.Notice = "Key " + k.Name + " is made. Copy its secret now: it is not shown again."
	v.show("account_key.html", "Your new API key", keyPage{Key: k, Secret: secret.Reveal()})
	return nil
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := c.dir.RevokeKey(r.Context(), v.actor, v.Org, v.Me.ID, gh.KeyID(r.PathValue("id"))); err != nil {
		return err
	}
	return done(w, r, "/account", "The key is revoked.")
}
