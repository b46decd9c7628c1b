package http

import (
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

type (
	// batchInput is a batch of changes to one organization.
	batchInput struct {
		Operations []directory.BatchOp `json:"operations"`
		DryRun     bool                `json:"dry_run,omitempty"`
	}
	// batchAnswer says what each operation did, at the batch's revision.
	batchAnswer struct {
		BatchID  string                  `json:"batch_id"`
		DryRun   bool                    `json:"dry_run,omitempty"`
		Revision gh.Revision             `json:"revision"`
		Results  []directory.BatchResult `json:"results"`
	}
	// opProblem is why one operation of a refused batch failed.
	opProblem struct {
		Index  int               `json:"index"`
		Status int               `json:"status"`
		Code   string            `json:"code"`
		Detail string            `json:"detail"`
		Fields map[string]string `json:"fields,omitempty"`
	}
)

func (s *Server) registerBatch() {
	s.handle("POST", "/v1/orgs/{org}/batch", s.inScope(s.batch))
}

// batch applies up to directory.MaxBatch operations all or nothing.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	if sc.Workspace != nil {
		return gh.Errorf(gh.KindInvalid, "invalid_input", "a batch belongs to the organization; name workspaces in its operations")
	}
	var in batchInput
	if err := decodeWith(w, r, &in, nil); err != nil {
		return err
	}
	id := gh.NewID("bat")
	results, rev, err := s.dir.ApplyBatch(r.Context(), a, sc.Org, id, in.Operations, in.DryRun)
	if err != nil {
		return err
	}
	if results == nil {
		results = []directory.BatchResult{}
	}
	writeJSON(w, http.StatusOK, batchAnswer{BatchID: id, DryRun: in.DryRun, Revision: rev, Results: results})
	return nil
}

// opProblems lists the failed operations of a refused batch as problems.
func opProblems(be *directory.BatchError) []opProblem {
	out := make([]opProblem, len(be.Failed))
	for i, f := range be.Failed {
		p := opProblem{Index: f.Index, Status: Status(f.Err), Code: f.Err.Code, Detail: f.Err.Message, Fields: f.Err.Fields}
		if f.Err.Kind == gh.KindInternal {
			p.Code, p.Detail = "internal", "something went wrong on our side"
		}
		out[i] = p
	}
	return out
}
