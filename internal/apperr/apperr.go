// Package apperr is Ordergraph's one application error type: a machine-readable code,
// a message safe to show a user, and (for invalid input) the field at fault.
//
// Domain packages return these; the GraphQL error presenter maps Code to
// extensions.code. Any other error is INTERNAL: logged with the request id, never shown.
package apperr

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Code is a stable, machine-readable error code (GraphQL extensions.code).
type Code string

// The codes clients can rely on (see ../shared/API.md).
const (
	Unauthenticated   Code = "UNAUTHENTICATED"
	Forbidden         Code = "FORBIDDEN"
	NotFound          Code = "NOT_FOUND"
	BadUserInput      Code = "BAD_USER_INPUT"
	Conflict          Code = "CONFLICT"
	InsufficientStock Code = "INSUFFICIENT_STOCK"
	RateLimited       Code = "RATE_LIMITED"
	Internal          Code = "INTERNAL"
	// BadRequest is a request the HTTP transport cannot take: another method or
	// media type, a body that is not JSON, a mutation sent by GET.
	BadRequest Code = "BAD_REQUEST"
	// PersistedQueryNotFound asks an Apollo client to send the query with its hash
	// (automatic persisted queries).
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
)

// MaxEcho is how much of a client's input an error message may repeat: Truncate cuts
// what is echoed, and the error presenter cuts whole messages at MaxMessage.
const (
	MaxEcho    = 100
	MaxMessage = 1000
)

// Truncate returns s cut to at most max bytes on a rune boundary, with "…" appended
// when anything was cut, so that an error never repeats an arbitrarily large input.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Error is an error meant for the API's caller.
type Error struct {
	Code    Code
	Message string
	// Field names the input field at fault (dotted path, e.g. "input.lines.2.quantity").
	Field string
	// Details carries extra machine-readable data (e.g. the SKUs that are short).
	Details map[string]any
}

// Error formats the code, message and field for logs; clients see them separately.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, &Error{Code: X}) match any error with code X.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Field == ""
}

// Sentinels for errors.Is checks on the code alone.
var (
	ErrNotFound  = &Error{Code: NotFound}
	ErrConflict  = &Error{Code: Conflict}
	ErrForbidden = &Error{Code: Forbidden}
)

// ErrUserGone answers a valid token whose user no longer exists: a credential that no
// longer works, not a missing object.
var ErrUserGone = New(Unauthenticated, "this token's user no longer exists; log in again")

// New returns an error with the given code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input in field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing object. Another store's object is reported the same way.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// Conflictf reports a clash with existing state.
func Conflictf(format string, args ...any) *Error { return New(Conflict, format, args...) }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns err's code, or Internal for errors that are not *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}
