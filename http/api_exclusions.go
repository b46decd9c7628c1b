package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// registerExclusions serves exclusions at organization scope (its admins,
// one workspace or all) and at workspace scope (also the workspace's managers).
func (s *Server) registerExclusions() {
	const base = "/exclusions"
	s.both("GET", base, s.inScope(func(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
		es, err := s.dir.ListExclusions(a, sc)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, directory.List[*gh.Exclusion]{Items: nonNil(es)})
		return nil
	}))
	s.both("POST", base, s.inScope(createOf(func(c call, in directory.ExclusionInput) (*gh.Exclusion, gh.Revision, error) {
		return s.dir.Exclude(c.r.Context(), c.a, c.sc, in)
	})))
	s.both("GET", base+"/{id}", s.inScope(getOf(func(c call) (*gh.Exclusion, error) {
		return s.dir.GetExclusion(c.a, c.sc, gh.ExclusionID(c.id()))
	})))
	s.both("DELETE", base+"/{id}", s.inScope(deleteOf(func(c call, _ gh.Revision) (gh.Revision, error) {
		return s.dir.LiftExclusion(c.r.Context(), c.a, c.sc, gh.ExclusionID(c.id()))
	})))
}
