package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
)

// RequestIDHeader is the HTTP header and gRPC metadata key of request ids.
const RequestIDHeader = "x-request-id"

// A client may choose its request id (for correlating its own logs) as long
// as it is short and harmless in logs; anything else is replaced.
var acceptableRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

type requestIDKey struct{}

// NewRequestID returns a random 128-bit request id in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// AcceptRequestID returns id if it is acceptable, else a new one.
func AcceptRequestID(id string) string {
	if acceptableRequestID.MatchString(id) {
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
