package auth

import (
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Sentinel errors returned (wrapped) by the verifiers. Callers translate them
// into user-facing reasons with errors.Is; the wrapped detail is for logs.
var (
	ErrMalformed      = errors.New("auth: malformed credential")
	ErrBadSignature   = errors.New("auth: invalid signature")
	ErrAlgorithm      = errors.New("auth: signing algorithm not allowed")
	ErrExpired        = errors.New("auth: credential expired")
	ErrNotYetValid    = errors.New("auth: credential not yet valid")
	ErrWrongIssuer    = errors.New("auth: unexpected issuer")
	ErrWrongAudience  = errors.New("auth: unexpected audience")
	ErrMissingClaim   = errors.New("auth: required claim missing or unusable")
	ErrKeyUnavailable = errors.New("auth: verification key unavailable")
)

var sentinels = []error{
	ErrMalformed, ErrBadSignature, ErrAlgorithm, ErrExpired, ErrNotYetValid,
	ErrWrongIssuer, ErrWrongAudience, ErrMissingClaim, ErrKeyUnavailable,
}

// jwtErrorMapping is ordered: jwt joins several claim failures into one error,
// and the first match decides the reported reason.
var jwtErrorMapping = []struct {
	jwtErr, ours error
}{
	{jwt.ErrTokenMalformed, ErrMalformed},
	{jwt.ErrTokenSignatureInvalid, ErrBadSignature},
	{jwt.ErrTokenExpired, ErrExpired},
	{jwt.ErrTokenNotValidYet, ErrNotYetValid},
	{jwt.ErrTokenUsedBeforeIssued, ErrNotYetValid},
	{jwt.ErrTokenInvalidIssuer, ErrWrongIssuer},
	{jwt.ErrTokenInvalidAudience, ErrWrongAudience},
	{jwt.ErrTokenRequiredClaimMissing, ErrMissingClaim},
}

// classifyParseError converts an error from jwt.Parser into one wrapping
// exactly one of this package's sentinels, so callers never depend on jwt.
func classifyParseError(err error, tok *jwt.Token) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			// Raised by our own key lookup or claim checks; already classified.
			return err
		}
	}
	// The parser reports an unknown or absent "alg" as "unverifiable" before
	// any key is consulted; the only tell is that no method was resolved.
	if errors.Is(err, jwt.ErrTokenUnverifiable) && tok != nil && tok.Method == nil {
		return fmt.Errorf("%w: %v", ErrAlgorithm, err)
	}
	for _, m := range jwtErrorMapping {
		if errors.Is(err, m.jwtErr) {
			return fmt.Errorf("%w: %v", m.ours, err)
		}
	}
	// Remaining cases are claims of the wrong JSON type and similar.
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
