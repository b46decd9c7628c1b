package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/provision"
)

// EnableDirectories serves the connected directories' admin endpoints.
func (s *Server) EnableDirectories(svc *provision.Service) {
	s.prov = svc
	const base = "/directories"
	s.both("GET", base, s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		xs, err := s.dir.ListExternalDirectories(a, sc)
		if err != nil {
			return err
		}
		views := make([]*provision.View, 0, len(xs))
		for _, x := range xs {
			views = append(views, svc.View(x))
		}
		writeJSON(w, http.StatusOK, directory.List[*provision.View]{Items: views})
		return nil
	}))
	s.both("POST", base, s.inScope(createOf(func(c call, in provision.Input) (*provision.View, gh.Revision, error) {
		return svc.Create(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", base+"/{id}", s.inScope(getOf(func(c call) (*provision.View, error) {
		x, err := s.dir.GetExternalDirectory(c.a, c.sc, gh.ExternalDirectoryID(c.id()))
		if err != nil {
			return nil, err
		}
		return svc.View(x), nil
	})))
	s.both("PUT", base+"/{id}", s.inScope(updateOf(func(c call, in provision.Input, m gh.Revision) (*provision.View, gh.Revision, error) {
		return svc.Replace(c.r.Context(), c.a, c.sc, gh.ExternalDirectoryID(c.id()), in, m)
	})))
	s.both("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, _ gh.Revision) (gh.Revision, error) {
		return s.dir.DeleteExternalDirectory(c.r.Context(), c.a, c.sc, gh.ExternalDirectoryID(c.id()))
	})))
	s.both("POST", base+"/{id}/tokens", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		t, secret, rev, err := s.dir.NewDirectoryToken(r.Context(), a, sc, gh.ExternalDirectoryID(r.PathValue("id")))
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeObject(w, http.StatusCreated, rev, newToken{DirectoryToken: t, Token: secret.Reveal()})
		return nil
	}))
	s.both("GET", base+"/{id}/tokens", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		x, err := s.dir.GetExternalDirectory(a, sc, gh.ExternalDirectoryID(r.PathValue("id")))
		if err != nil {
			return err
		}
		ts, err := s.dir.Store().DirectoryTokens(r.Context(), x.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.DirectoryToken]{Items: nonNil(ts)})
		return nil
	}))
	s.both("DELETE", base+"/{id}/tokens/{token}", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		rev, err := s.dir.RevokeDirectoryToken(r.Context(), a, sc, gh.ExternalDirectoryID(r.PathValue("id")), r.PathValue("token"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	}))
	s.both("POST", base+"/{id}/sync", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		q := r.URL.Query()
		rep, err := svc.SyncNow(r.Context(), a, sc, gh.ExternalDirectoryID(r.PathValue("id")), q.Get("dry_run") == "true", q.Get("release") == "true")
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	}))
	s.both("POST", base+"/{id}/release", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		x, rev, err := s.dir.ReleaseDirectory(r.Context(), a, sc, gh.ExternalDirectoryID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, svc.View(x))
		return nil
	}))
	s.both("GET", base+"/{id}/history", s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		evs, err := svc.History(r.Context(), a, sc, gh.ExternalDirectoryID(r.PathValue("id")))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.Event]{Items: nonNil(evs)})
		return nil
	}))
}

// Provisioning returns the connected directories' service, nil when off.
func (s *Server) Provisioning() *provision.Service { return s.prov }

// newToken is a SCIM token with its secret, shown once.
type newToken struct {
	*gh.DirectoryToken
	Token string `json:"token"`
}
