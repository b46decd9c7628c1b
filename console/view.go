package console

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/signin"
)

// view is what every page template reads: who is signed in, where they are,
// the page's own data and the outcome of the last action.
type view struct {
	Title   string
	Section string  // the navigation entry to highlight
	Crumbs  []crumb // the way back, from the place's root
	Me      *gh.User
	Org     *gh.Org
	Home    *gh.Workspace // a workspace user's own workspace
	Admin   bool          // an Organization Admin
	Token   string        // the form token every form carries
	Notice  string
	Error   string
	Data    any
	// Operator is set on the platform operator's pages, which have no user.
	Operator bool
	Unread   int // the person's unread notifications, for the header

	actor  *directory.Actor
	sess   *gh.Session
	gate   signin.Gate
	page   string
	status int
}

type crumb struct{ Label, Href string }

// place is a workspace the user can reach, with their role there.
type place struct {
	ID, Name, Role string
}

func (c *Console) newView(w http.ResponseWriter, r *http.Request, a *directory.Actor, sess *gh.Session) *view {
	v := &view{Me: a.User, actor: a, sess: sess, Token: c.web.FormToken(w, r)}
	v.Org = c.dir.Index().Org(a.User.Org)
	if a.User.Workspace != "" {
		v.Home = c.dir.Index().Workspace(a.User.Workspace)
	}
	v.Admin = a.User.IsOrgAdmin()
	v.Notice = flash(w, r)
	return v
}

// flash reads and clears the notice a redirect carried.
func flash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg, _ := url.QueryUnescape(ck.Value)
	return msg
}

// show picks the page to render.
func (v *view) show(page, title string, data any) {
	v.page, v.Title, v.Data = page, title, data
}

// scope is where the signed-in user's own directory lives.
func (v *view) scope() directory.Scope { return directory.Scope{Org: v.Org, Workspace: v.Home} }

const flashCookie = "gatehouse_flash"

// done redirects after a successful form (post, redirect, get), carrying
// what happened to the next page in a short-lived cookie.
func done(w http.ResponseWriter, r *http.Request, to, notice string) error {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(notice), Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// message is an error as the person reads it, field by field when it names fields.
func message(e *gh.Error) string {
	if len(e.Fields) == 0 {
		return upper(e.Message)
	}
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, strings.ReplaceAll(f, "_", " ")+" "+e.Fields[f])
	}
	return upper(strings.Join(parts, "; ")) + "."
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// formError shows a form again with what was wrong, in the error's status.
func formError(v *view, err error) {
	e := gh.AsError(err)
	v.Error, v.status = message(e), ghttp.Status(e)
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"ago":   ago,
	"join":  strings.Join,
	"title": upper,
	"query": func(kv ...string) template.URL { // builds ?a=b&c=d from pairs, skipping empty values
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				q.Set(kv[i], kv[i+1])
			}
		}
		return template.URL("?" + q.Encode())
	},
	"plural": plural,
	"deref":  func(t *time.Time) time.Time { return *t },
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
