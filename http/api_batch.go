package http

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

type (
	// batchInput is a batch of changes to one organization.
	batchInput struct {
		Operations []directory.BatchOp `json:"operations"`
		DryRun     bool                `json:"dry_run,omitempty"`
	}
	// BatchAnswer says what each operation did, at the batch's revision.
	BatchAnswer struct {
		BatchID  string                  `json:"batch_id"`
		DryRun   bool                    `json:"dry_run,omitempty"`
		Revision gh.Revision             `json:"revision"`
		Results  []directory.BatchResult `json:"results"`
	}
	// OpProblem is why one operation of a refused batch failed; Index is its
	// place in the batch, from 0.
	OpProblem struct {
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

// batch applies up to directory.MaxBatch operations all or nothing. With an
// Idempotency-Key, its answer is kept with it (see keptFor).
func (s *Server) batch(w http.ResponseWriter, r *http.Request, a *directory.Actor, sc directory.Scope) error {
	if sc.Workspace != nil {
		return gh.Errorf(gh.KindInvalid, "invalid_input", "a batch belongs to the organization; name workspaces in its operations")
	}
	var in batchInput
	if err := decodeWith(w, r, &in, nil); err != nil {
		return err
	}
	k, err := s.keeperOf(r, a, sc.Org.ID, in)
	if err != nil {
		return err
	}
	if k.answer != nil {
		return k.replay(w)
	}
	k.batchID = gh.NewID("bat")
	var keep directory.Keeper
	if k.key != "" {
		keep = k
	}
	results, rev, err := s.dir.ApplyBatch(r.Context(), a, sc.Org, k.batchID, in.Operations, in.DryRun, keep)
	var refused *directory.BatchError
	switch {
	case errors.Is(err, errKept): // kept by a request that committed while this one waited
		return k.replay(w)
	case err != nil && !errors.As(err, &refused):
		return err
	case k.answer != nil: // kept with the batch: answered as kept
		writeKept(w, k.answer)
		return nil
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, BatchAnswer{BatchID: k.batchID, DryRun: in.DryRun, Revision: rev, Results: nonNil(results)})
	return nil
}

// The answer to a batch sent with an Idempotency-Key is kept 24 hours for
// its organization, in the batch's own transaction: a crash cannot apply a
// batch without keeping its answer, or keep one for a batch not applied. A
// retry by the same caller with the same body is answered what was kept
// (Idempotent-Replayed: true) and applies nothing; the key with another body
// or from another caller is refused (409 idempotency_key_reused). A refused
// batch's answer is kept too: the retry of a refusal is the same refusal,
// even if the directory has changed since (a corrected batch takes a new
// key). Answers the batch's rules did not decide — malformed or unauthorized
// requests, errors of ours — are not kept; a dry run ignores its key.
const keptFor = 24 * time.Hour

var (
	keyRE   = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)
	errKept = errors.New("an answer is kept under this idempotency key")
)

// keeper is a batch's Idempotency-Key and the answer kept under it; it is
// the directory.Keeper of the batch.
type keeper struct {
	r       *http.Request
	org     gh.OrgID
	now     time.Time
	key     string // "" when the request has none, or is a dry run
	digest  string // of the caller and the body: a retry must match it
	batchID string
	answer  *gh.KeptAnswer // what this request or an earlier one kept
}

// keeperOf reads a request's Idempotency-Key and the answer kept under it, if any.
func (s *Server) keeperOf(r *http.Request, a *directory.Actor, org gh.OrgID, in batchInput) (*keeper, error) {
	k := &keeper{r: r, org: org, now: s.dir.Now()}
	vals, ok := r.Header["Idempotency-Key"]
	if !ok {
		return k, nil
	}
	if len(vals) != 1 || !keyRE.MatchString(vals[0]) {
		return nil, gh.Invalid("invalid_idempotency_key", "Idempotency-Key", "must be 1 to 200 visible ASCII characters, sent once")
	}
	if in.DryRun {
		return k, nil
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, gh.Internal(err)
	}
	caller := "operator"
	if a.User != nil {
		caller = string(a.User.ID)
	}
	sum := sha256.Sum256(append([]byte(caller+"\n"), body...))
	k.key, k.digest = vals[0], hex.EncodeToString(sum[:])
	kept, err := s.dir.Store().KeptAnswer(r.Context(), org, k.key, k.now)
	switch {
	case gh.KindOf(err) == gh.KindNotFound:
		return k, nil
	case err != nil:
		return nil, err
	}
	k.answer = kept
	return k, nil
}

// Kept ends the batch when an answer was kept under its key while it waited.
func (k *keeper) Kept(v gh.VaultTx) error {
	kept, err := v.KeptAnswer(k.org, k.key, k.now)
	switch {
	case gh.KindOf(err) == gh.KindNotFound:
		return nil
	case err != nil:
		return err
	}
	k.answer = kept
	return errKept
}

// Keep keeps the batch's answer, as it will be sent.
func (k *keeper) Keep(v gh.VaultTx, results []directory.BatchResult, rev gh.Revision, refused *directory.BatchError) error {
	var status int
	var body any
	if refused != nil {
		p := problemOf(k.r, refused)
		status, body = p.Status, p
	} else {
		status, body = http.StatusOK, BatchAnswer{BatchID: k.batchID, Revision: rev, Results: nonNil(results)}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return gh.Internal(err)
	}
	kept := &gh.KeptAnswer{Org: k.org, Key: k.key, Request: k.digest, Status: status, Body: append(raw, '\n'),
		CreatedAt: k.now, ExpiresAt: k.now.Add(keptFor)}
	if err := v.KeepAnswer(kept, k.now); err != nil {
		return err
	}
	k.answer = kept
	return nil
}

// replay answers what was kept under the key, if it was kept for this request.
func (k *keeper) replay(w http.ResponseWriter) error {
	if k.answer.Request != k.digest {
		return gh.Errorf(gh.KindConflict, "idempotency_key_reused",
			"this Idempotency-Key was used for another request in the last 24 hours; use a new key for a new request")
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeKept(w, k.answer)
	return nil
}

// writeKept sends a kept answer.
func writeKept(w http.ResponseWriter, a *gh.KeptAnswer) {
	ct := "application/json"
	if a.Status >= 400 {
		ct = "application/problem+json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// opProblems lists the failed operations of a refused batch as problems.
func opProblems(be *directory.BatchError) []OpProblem {
	out := make([]OpProblem, len(be.Failed))
	for i, f := range be.Failed {
		p := OpProblem{Index: f.Index, Status: Status(f.Err), Code: f.Err.Code, Detail: f.Err.Message, Fields: f.Err.Fields}
		if f.Err.Kind == gh.KindInternal {
			p.Code, p.Detail = "internal", "something went wrong on our side"
		}
		out[i] = p
	}
	return out
}
