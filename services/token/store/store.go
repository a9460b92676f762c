// Package store defines the token service's storage: API token records,
// found by token id, with an index of each device's tokens and one of
// pending grace-period ends. The bbolt implementation lives in boltstore;
// storetest is the conformance suite every implementation must pass.
package store

import (
	"context"
	"time"
)

// Token is the stored record of an API token. It holds keyed hashes of
// secrets, never a secret. Zero times mean "not set".
type Token struct {
	ID          string // public token id, the last segment of Name
	Name        string // organizations/{o}/devices/{d}/apiTokens/{id}
	Device      string // organizations/{o}/devices/{d}
	DisplayName string
	Creator     string // email of the user who created it
	Hint        string // last characters of the current secret, shown in listings

	CreateTime time.Time
	ExpireTime time.Time
	RotateTime time.Time
	RevokeTime time.Time

	LastUseTime    time.Time
	LastUseAddress string

	// Current verifies the current secret.
	Current SecretHash
	// Previous verifies the secret replaced by the last rotation until
	// GraceEnd; nil when there is none.
	Previous *PreviousSecret
}

// SecretHash is HMAC-SHA256(secret) under the server hash key KeyID.
type SecretHash struct {
	Hash  []byte
	KeyID string
}

// PreviousSecret is a rotated-out secret still accepted until GraceEnd.
type PreviousSecret struct {
	SecretHash
	GraceEnd time.Time
}

// Position is where a device listing resumes: after the token created at
// CreateTime with ID.
type Position struct {
	CreateTime time.Time
	ID         string
}

// Use is the latest observed use of a token.
type Use struct {
	Time    time.Time
	Address string
}

// Store keeps token records.
//
// Errors: errs.ErrNotFound for a missing token, errs.ErrAlreadyExists for a
// taken id, errs.ErrFailedPrecondition for an update that changes the id,
// name, device or create time; errors returned by the caller's admit or
// mutate functions come back unchanged and nothing is written.
type Store interface {
	// CreateToken stores a new token. admit sees the device's unrevoked
	// tokens in the same transaction and may refuse the new one (e.g. a
	// per-device limit) by returning an error.
	CreateToken(ctx context.Context, t *Token, admit func(existing []*Token) error) error
	// GetToken returns the token with id.
	GetToken(ctx context.Context, id string) (*Token, error)
	// ListDeviceTokens returns up to limit of the device's tokens, oldest
	// first, starting after the position (zero: from the start) and keeping
	// only those for which keep (if not nil) returns true.
	ListDeviceTokens(ctx context.Context, device string, after Position, limit int, keep func(*Token) bool) ([]*Token, error)
	// UpdateToken applies mutate to the stored token atomically and returns
	// the result.
	UpdateToken(ctx context.Context, id string, mutate func(*Token) error) (*Token, error)
	// DeleteDeviceTokens removes every token of the device and returns them.
	DeleteDeviceTokens(ctx context.Context, device string) ([]*Token, error)
	// RecordUses stores the latest use of many tokens in one transaction.
	// Unknown ids are skipped, and a use older than the stored one is
	// ignored.
	RecordUses(ctx context.Context, uses map[string]Use) error
	// NextGraceEnd returns the earliest pending grace end, if any.
	NextGraceEnd(ctx context.Context) (time.Time, bool, error)
	// EndGraces drops the previous secret of every token whose grace ended
	// at or before now, and returns those tokens.
	EndGraces(ctx context.Context, now time.Time) ([]*Token, error)
}
