package gatehouse

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error; the HTTP layer maps each kind to one status.
type Kind uint8

const (
	KindInternal        Kind = iota // our fault; details go to the log only
	KindInvalid                     // bad input; nothing was changed
	KindNotFound                    // absent, or belongs to another tenant
	KindConflict                    // duplicate name or email, group cycle, last admin
	KindForbidden                   // the actor may not do this
	KindPrecondition                // If-Match did not match the current revision
	KindUnauthenticated             // no or bad credentials
	KindUnavailable                 // retry later: the index is behind what was asked
	KindTooLarge                    // the request body is over the limit
	KindUnsupported                 // the body is of a media type the endpoint does not take
	KindRateLimited                 // too many attempts; retry later
	KindWrongMethod                 // the path exists, but not with this method
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "forbidden",
	"precondition_failed", "unauthenticated", "unavailable", "too_large", "unsupported_media_type", "rate_limited", "method_not_allowed"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the domain error every layer speaks.
type Error struct {
	Kind    Kind
	Code    string            // stable, clients may match on it: "group_cycle"
	Message string            // safe to show to the caller
	Fields  map[string]string // per-field messages for forms and problem+json
	Err     error             // cause, for the log
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and code with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error naming one bad field.
func Invalid(code, field, msg string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: field + " " + msg,
		Fields: map[string]string{field: msg}}
}

// NotFound returns the KindNotFound error for a kind of object ("user", "workspace").
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: strings.ReplaceAll(what, " ", "_") + "_not_found", Message: what + " not found"}
}

// Forbidden returns a KindForbidden error with a message the actor can act on.
func Forbidden(format string, args ...any) *Error {
	return Errorf(KindForbidden, "forbidden", format, args...)
}

// Internal wraps an unexpected error; its text is only logged.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// KindOf returns the kind of err; anything that is not an *Error is internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns err as an *Error, wrapping unknown errors as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Fields collects per-field validation messages and turns them into one error.
type Fields map[string]string

// Add records msg for field unless the field already has a message.
func (f Fields) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field was added, or one KindInvalid error naming them all.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: "invalid_input", Message: "some fields are invalid", Fields: f}
}
