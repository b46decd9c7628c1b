package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// The directory's endpoints come in five shapes — list, create, get, update,
// delete — in the scope their path names. These adapters do the decoding,
// If-Match, paging and encoding once, so each endpoint is one call.

// scopeHandler is an endpoint working in the organization (and workspace) its path names.
type scopeHandler func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error

// inScope resolves {org} and {ws} before calling h; another tenant's are "not found".
func (s *Server) inScope(h scopeHandler) handler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor) error {
		sc, err := s.scope(r, a)
		if err != nil {
			return err
		}
		return h(w, r, a, sc)
	}
}

// versioned is an object whose revision is its ETag.
type versioned interface{ Rev() gh.Revision }

// call is the request as the service methods need it.
type call struct {
	r  *http.Request
	a  *directory.Actor
	sc directory.Scope
}

func listOf[T any](fn func(c call, p directory.Page) (directory.List[T], error)) scopeHandler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		p, err := page(r)
		if err != nil {
			return err
		}
		l, err := fn(call{r, a, sc}, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, l)
		return nil
	}
}

func createOf[In any, Out any](fn func(c call, in In) (Out, gh.Revision, error)) scopeHandler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in In
		if err := decode(w, r, &in); err != nil {
			return err
		}
		out, rev, err := fn(call{r, a, sc}, in)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusCreated, rev, out)
		return nil
	}
}

func getOf[Out versioned](fn func(c call) (Out, error)) scopeHandler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		out, err := fn(call{r, a, sc})
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, out.Rev(), out)
		return nil
	}
}

func updateOf[In any, Out any](fn func(c call, in In, ifMatch gh.Revision) (Out, gh.Revision, error)) scopeHandler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		var in In
		m, err := decodePatch(w, r, &in)
		if err != nil {
			return err
		}
		out, rev, err := fn(call{r, a, sc}, in, m)
		if err != nil {
			return err
		}
		writeObject(w, http.StatusOK, rev, out)
		return nil
	}
}

func deleteOf(fn func(c call, ifMatch gh.Revision) (gh.Revision, error)) scopeHandler {
	return func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		m, err := ifMatch(r)
		if err != nil {
			return err
		}
		rev, err := fn(call{r, a, sc}, m)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, revisionBody{rev})
		return nil
	}
}

// id and query shorten the endpoint functions.
func (c call) id() string            { return c.r.PathValue("id") }
func (c call) query(k string) string { return c.r.URL.Query().Get(k) }
