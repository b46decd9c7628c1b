package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth"
	"gatehouse.dev/gatehouse/console"
	"gatehouse.dev/gatehouse/dataset"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	ghttp "gatehouse.dev/gatehouse/http"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sqlite"
)

// BenchmarkUsersPage renders Settings → Users of the mssp-large organization
// (105,001 users) as its Organization Admin, searched and paged, in the
// handler (no network): the server time a person waits for. It reports the
// 95th percentile as p95-ms.
//
//	go test -run XXX -bench UsersPage -benchtime 2000x ./console/
func BenchmarkUsersPage(b *testing.B) {
	h, cookie, next := largeConsole(b)
	pages := []string{
		"/settings/users",
		"/settings/users?q=user-42",
		"/settings/users?status=active",
		"/settings/users?q=nobody-matches-this",
		"/settings/users?after=" + next,
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("GET", pages[i%len(pages)], nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d\n%s", req.URL, w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
}

// largeConsole is a node over the mssp-large profile with a console, and
// the session cookie of its first Organization Admin.
func largeConsole(b *testing.B) (http.Handler, *http.Cookie, string) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "large.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	snap := dataset.Build(dataset.Profiles["mssp-large"], 1)
	if _, err := dataset.Write(ctx, store, snap); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	dir := directory.New(store, engine.New(gh.DefaultCatalogue), log, nil)
	if err := dir.Load(ctx); err != nil {
		b.Fatal(err)
	}
	svc := signin.New(dir, store, signin.Config{Params: auth.FastParams, PublicURL: "http://127.0.0.1"}, log)
	srv := ghttp.New(dir, log)
	srv.EnableSignin(svc, ghttp.SigninOptions{})
	console.Mount(srv, dir, svc, log)

	o := dir.Index().Org(snap.Orgs[0].ID)
	var admin *gh.User
	for _, u := range snap.Users {
		if u.Org == o.ID && u.IsOrgAdmin() {
			admin = u
			break
		}
	}
	if admin == nil {
		b.Fatal("the profile has no Organization Admin")
	}
	const pw = "correct horse battery staple 9371"
	if _, err := svc.SetPassword(ctx, directory.SystemActor("bench"), directory.Scope{Org: o}, admin.ID, signin.SetPasswordInput{Password: pw}); err != nil {
		b.Fatal(err)
	}
	st, err := svc.Login(ctx, signin.LoginInput{Org: o.Slug, Email: admin.Email, Password: pw}, signin.Client{IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	if st.MFARequired || st.MFAEnrolment || st.MustChangePassword {
		b.Fatalf("the admin's session is not complete: %+v", st)
	}
	users := dir.Index().Users(o.ID, func(u *gh.User) bool { return u.Workspace == "" })
	fmt.Fprintf(b.Output(), "organization %s: %d users in all, %d of its own\n", o.Name, len(snap.Users), len(users))
	return srv.Handler(), &http.Cookie{Name: ghttp.SessionCookie, Value: st.Token.Reveal()}, string(users[len(users)/2].ID)
}
