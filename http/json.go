package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// maxBody bounds every JSON request body; CSV imports have their own bound.
const maxBody = 1 << 20

// decode reads exactly one JSON object into dst, refusing unknown fields,
// trailing data, wrong content types and bodies over maxBody.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeWith(w, r, dst, nil)
}

// decodeWith is decode with a fast path: fast, when given, decodes the plain
// common form of a body and reports false for anything else, which then goes
// through encoding/json (and its error messages) as usual.
func decodeWith(w http.ResponseWriter, r *http.Request, dst any, fast func([]byte) bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return gh.Errorf(gh.KindUnsupported, "unsupported_media_type", "send the body as application/json")
		}
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if fast != nil && fast(body) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body must hold exactly one JSON object")
	}
	return nil
}

// readBody reads the whole body, up to maxBody, into a buffer sized by Content-Length when it is known.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, maxBody)
	if n := r.ContentLength; n > 0 && n <= maxBody {
		buf := make([]byte, n)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, bodyError(err)
		}
		return buf, nil
	}
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, bodyError(err)
	}
	return buf, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return gh.Errorf(gh.KindTooLarge, "body_too_large", "the request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the request body is empty; send a JSON object")
	case errors.As(err, &se):
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return gh.Invalid("malformed_body", field, fmt.Sprintf("must be a JSON %s", te.Type.Kind()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return gh.Invalid("unknown_field", name, "is not a known field")
	}
	return gh.Errorf(gh.KindInvalid, "malformed_body", "the body could not be read: %v", err)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSON sends v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = encodeJSON(w, v)
}

// writeObject sends an object with its revision as ETag, so a client can
// update it with If-Match.
func writeObject(w http.ResponseWriter, status int, rev gh.Revision, v any) {
	w.Header().Set("ETag", etag(rev))
	writeJSON(w, status, v)
}

func etag(rev gh.Revision) string { return `"` + strconv.FormatInt(int64(rev), 10) + `"` }

// ifMatch reads the If-Match header: 0 when absent or "*".
func ifMatch(r *http.Request) (gh.Revision, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, gh.Invalid("invalid_if_match", "If-Match", `must be an ETag this API returned, such as "42"`)
	}
	return gh.Revision(n), nil
}

// revisionBody is what deletions and other changes without an object return.
type revisionBody struct {
	Revision gh.Revision `json:"revision"`
}
