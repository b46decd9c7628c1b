package http

import (
	"net/http"

	"gatehouse.dev/gatehouse/directory"
)

// bulkUsers applies one action to the users a selection names, or with
// preview says what it would do, user by user.
func (s *Server) bulkUsers(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	var in directory.BulkInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := s.signin.Bulk(r.Context(), a, sc, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
