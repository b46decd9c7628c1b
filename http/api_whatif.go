package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

func (s *Server) registerWhatIf() {
	s.handle("POST", "/v1/orgs/{org}/whatif", s.inScope(s.whatIf))
}

// whatIf answers who would lose and gain what if a batch were applied. Its
// body is a batch's; it is always a dry run, so it writes nothing and takes
// no Idempotency-Key. A refused operation answers as the batch's dry run does.
func (s *Server) whatIf(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	if sc.Workspace != nil {
		return gh.Errorf(gh.KindInvalid, "invalid_input", "a what-if belongs to the organization; name workspaces in its operations")
	}
	var in batchInput
	if err := decodeWith(w, r, &in, nil); err != nil {
		return err
	}
	imp, err := s.dir.WhatIf(r.Context(), a, sc.Org, in.Operations)
	if err != nil {
		return err
	}
	imp.Results = nonNil(imp.Results)
	writeJSON(w, http.StatusOK, imp)
	return nil
}
