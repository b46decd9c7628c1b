package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
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
		return jsonError(body, err)
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

func bodyError(err error) error { return jsonError(nil, err) }

// jsonError says what is wrong with a body in the words of JSON, never Go's,
// and where (line and column) when the body is malformed.
func jsonError(body []byte, err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var ge *gh.Error
	switch {
	case errors.As(err, &mbe):
		return gh.Errorf(gh.KindTooLarge, "body_too_large", "the request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(body)) == 0:
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body is not valid JSON: it ends too soon (%s)", where(body, int64(len(body))))
	case errors.As(err, &se):
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body is not valid JSON: %s at %s", se.Error(), where(body, se.Offset-1))
	case errors.As(err, &te):
		if te.Field == "" {
			return gh.Errorf(gh.KindInvalid, "malformed_body", "the body must be %s, not %s", jsonKind(te.Type), article(te.Value))
		}
		return gh.Invalid("malformed_body", te.Field, fmt.Sprintf("must be %s, not %s", jsonKind(te.Type), article(te.Value)))
	case errors.As(err, &ge):
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body could not be read: %s", ge.Message)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return gh.Invalid("unknown_field", name, "is not a known field")
	}
	if strings.HasPrefix(err.Error(), "json: ") { // the decoder's own words name Go types
		return gh.Errorf(gh.KindInvalid, "malformed_body", "the body could not be read as JSON")
	}
	return gh.Errorf(gh.KindInvalid, "malformed_body", "the body could not be read: %v", err)
}

// where turns a byte offset into "line L, column C" (both from 1).
func where(body []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jsonKind names what JSON value a Go type reads.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another kind of value"
}

// article names the JSON value the decoder found ("string", "number 1.5").
func article(v string) string {
	switch {
	case v == "object", v == "array":
		return "an " + v
	case strings.HasPrefix(v, "number"):
		return "a " + v
	case v == "bool":
		return "true or false"
	}
	return "a " + v
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
