// Package errs holds the domain error vocabulary shared by every Tollgate
// store and service, and the one place where those errors become gRPC
// statuses (see status.go).
//
// Stores and services return the sentinels below, wrapped with context
// (fmt.Errorf("organization %q: %w", name, errs.ErrNotFound)) or as a
// *Reasoned error when the client needs a specific, documented reason
// (CANNOT_ADD_SELF, IMMUTABLE_FIELD, ...). Any other error is internal: its
// text is logged, never sent to the client.
package errs

import "errors"

// Sentinels, one per standard gRPC code a domain error can map to.
var (
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrResourceExhausted  = errors.New("resource exhausted")
	ErrAborted            = errors.New("aborted")
	ErrUnavailable        = errors.New("unavailable")
)

// Reasoned is a domain error with a documented machine-readable reason
// (the ErrorInfo reason clients branch on) and a message safe to show.
type Reasoned struct {
	Kind     error             // one of the sentinels above
	Reason   string            // UPPER_SNAKE_CASE, documented in docs/api-errors.md
	Message  string            // shown to the client
	Field    string            // the request field at fault, if any
	Metadata map[string]string // extra ErrorInfo metadata, if any
}

func (e *Reasoned) Error() string { return e.Message }

// Unwrap makes errors.Is(err, errs.ErrNotFound) work on reasoned errors.
func (e *Reasoned) Unwrap() error { return e.Kind }

// New returns a reasoned error of the given kind.
func New(kind error, reason, message string) *Reasoned {
	return &Reasoned{Kind: kind, Reason: reason, Message: message}
}

// Invalid returns an INVALID_ARGUMENT error about one request field.
func Invalid(field, reason, message string) *Reasoned {
	return &Reasoned{Kind: ErrInvalidArgument, Reason: reason, Message: message, Field: field}
}

// With returns a copy of e with one more metadata entry.
func (e *Reasoned) With(key, value string) *Reasoned {
	c := *e
	c.Metadata = make(map[string]string, len(e.Metadata)+1)
	for k, v := range e.Metadata {
		c.Metadata[k] = v
	}
	c.Metadata[key] = value
	return &c
}
