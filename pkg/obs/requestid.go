package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// RequestIDHeader is the HTTP header and gRPC metadata key of request ids.
const RequestIDHeader = "x-request-id"

// acceptable reports whether a client-chosen request id (for correlating
// its own logs) is short and harmless in logs: 1-64 of [A-Za-z0-9._:-].
// A byte loop, not a regexp: it runs on every request and every hop.
func acceptable(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

type requestIDKey struct{}

// NewRequestID returns a random 128-bit request id in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// AcceptRequestID returns id if it is acceptable, else a new one.
func AcceptRequestID(id string) string {
	if acceptable(id) {
		return id
	}
	return NewRequestID()
}

// WithRequestID stores the request id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
