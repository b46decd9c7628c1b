package http

import (
	"errors"
	"log/slog"
	"net/http"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
)

// statusOf is the one mapping from domain error kinds to HTTP statuses.
var statusOf = map[gh.Kind]int{
	gh.KindInternal:        http.StatusInternalServerError,
	gh.KindInvalid:         http.StatusBadRequest,
	gh.KindNotFound:        http.StatusNotFound,
	gh.KindConflict:        http.StatusConflict,
	gh.KindForbidden:       http.StatusForbidden,
	gh.KindPrecondition:    http.StatusPreconditionFailed,
	gh.KindUnauthenticated: http.StatusUnauthorized,
	gh.KindUnavailable:     http.StatusServiceUnavailable,
	gh.KindTooLarge:        http.StatusRequestEntityTooLarge,
	gh.KindUnsupported:     http.StatusUnsupportedMediaType,
	gh.KindRateLimited:     http.StatusTooManyRequests,
	gh.KindWrongMethod:     http.StatusMethodNotAllowed,
}

// Status returns the HTTP status for an error; protocol handlers with their
// own error bodies (SCIM) use it too.
func Status(err error) int {
	if s, ok := statusOf[gh.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document with Gatehouse's stable code and field messages.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Code      string            `json:"code"`
	Detail    string            `json:"detail,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	// Users are the outcomes of a bulk action refused all or nothing.
	Users []directory.BulkItem `json:"users,omitempty"`
	// Operations are the failed operations of a refused batch.
	Operations []OpProblem `json:"operations,omitempty"`
}

// writeError renders err as application/problem+json. Internal errors are
// logged here, where they become a 500, and the caller sees a generic message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problemOf(r, err)
	if p.Code == "internal" {
		log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = encodeJSON(w, p)
}

// problemOf is the problem document of err, an internal error's details left out.
func problemOf(r *http.Request, err error) Problem {
	e := gh.AsError(err)
	status := Status(e)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		e, status = gh.Errorf(gh.KindTooLarge, "body_too_large", "the request body is larger than %d bytes", mbe.Limit), http.StatusRequestEntityTooLarge
	}
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: e.Code,
		Detail: e.Message, Fields: e.Fields, RequestID: requestID(r)}
	var br *directory.BulkRefused
	if errors.As(err, &br) {
		p.Users = br.Result.Items
	}
	var be *directory.BatchError
	if errors.As(err, &be) {
		p.Operations = opProblems(be)
	}
	if e.Kind == gh.KindInternal {
		p.Code, p.Detail = "internal", "something went wrong on our side; the request id identifies it in our logs"
	}
	return p
}
