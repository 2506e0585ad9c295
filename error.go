package ksp

import (
	"errors"
	"fmt"
	"time"
)

// Error codes of the external contract (API.md). Each maps to one HTTP status
// in the httpapi package.
const (
	EINVALID        = "invalid"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
	ENOTFOUND       = "not_found"
	ECONFLICT       = "conflict"
	ERESYNCREQUIRED = "resync_required"
	ETOOLARGE       = "too_large"
	ERATELIMITED    = "rate_limited"
	EUNAVAILABLE    = "unavailable"
	EINTERNAL       = "internal"
)

// FieldError names one input field that is wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// Line is the 1-based line of a bulk input, when the error came from one.
	Line int `json:"line,omitempty"`
}

// Error is the one error type that crosses package boundaries with a meaning
// for the caller. Anything else that reaches an adapter is internal: it is
// logged and never shown.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, for EUNAVAILABLE and ERATELIMITED, is how long the caller
	// should wait before trying again (0: the adapter's default).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("ksp: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("ksp: %s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Reason)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain, or a generic
// text for internal errors, whose details must not reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// NotFound is the answer for anything missing or invisible to the caller:
// the two are indistinguishable on purpose.
func NotFound(what string) *Error { return Errorf(ENOTFOUND, "%s not found", what) }

// Fields collects field errors during validation and turns them into one
// EINVALID error.
type Fields []FieldError

// Add records that field is wrong for reason.
func (f *Fields) Add(field, reason string) { *f = append(*f, FieldError{Field: field, Reason: reason}) }

// Err returns nil when nothing was recorded, else an EINVALID *Error whose
// message names the first field.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: fmt.Sprintf("invalid %s: %s", f[0].Field, f[0].Reason), Fields: f}
}
