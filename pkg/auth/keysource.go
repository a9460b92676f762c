package auth

import (
	"context"
	"crypto"
	"fmt"
)

// keySource finds the key to verify a user token whose header names kid
// (possibly empty) and alg. It returns a crypto.PublicKey or, when several
// keys qualify, a jwt.VerificationKeySet. Errors wrap ErrAlgorithm or
// ErrKeyUnavailable.
type keySource interface {
	verificationKey(ctx context.Context, kid, alg string) (any, error)
}

// staticKey is a single configured key; kid is ignored because there is
// nothing to choose between.
type staticKey struct {
	key crypto.PublicKey
}

func (s staticKey) verificationKey(_ context.Context, _, alg string) (any, error) {
	if !keyAllowsAlg(s.key, alg) {
		return nil, fmt.Errorf("%w: %s does not match the configured %T", ErrAlgorithm, alg, s.key)
	}
	return s.key, nil
}
