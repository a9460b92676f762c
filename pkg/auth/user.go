package auth

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// UserVerifier verifies user JWTs (OIDC-style access or ID tokens) issued by
// the configured identity provider.
type UserVerifier struct {
	keys   keySource
	parser *jwt.Parser
}

// NewUserVerifier validates cfg and prepares its key source. With
// DiscoverOIDC it fetches the provider metadata now, so a misconfigured
// issuer fails at startup; JWKS keys are fetched on first use.
func NewUserVerifier(ctx context.Context, cfg UserVerifierConfig) (*UserVerifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("auth: user verifier config: %w", err)
	}
	keys, err := cfg.keySource(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: user verifier config: %w", err)
	}
	return &UserVerifier{
		keys: keys,
		parser: jwt.NewParser(
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
		),
	}, nil
}

// Verify checks raw (the bare JWT, without "Bearer ") and returns the user it
// identifies. Errors wrap one of the package's sentinel errors.
func (v *UserVerifier) Verify(ctx context.Context, raw string) (Principal, error) {
	var claims userClaims
	tok, err := v.parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		return v.keyFor(ctx, t)
	})
	if err != nil {
		return Principal{}, classifyParseError(err, tok)
	}
	return claims.principal()
}

// keyFor decides the algorithm from our allow-list and the key's type, never
// from the token alone: that is what stops "alg":"none" and HMAC-with-the-
// public-key forgeries.
func (v *UserVerifier) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if !userAlgorithms[alg] {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	kid, _ := t.Header["kid"].(string)
	return v.keys.verificationKey(ctx, kid, alg)
}

type userClaims struct {
	jwt.RegisteredClaims
	Email         string        `json:"email"`
	EmailVerified *flexibleBool `json:"email_verified,omitempty"`
}

func (c userClaims) principal() (Principal, error) {
	email := NormalizeEmail(c.Email)
	if email == "" {
		return Principal{}, fmt.Errorf("%w: email", ErrMissingClaim)
	}
	// Absent email_verified is accepted: many providers only issue verified
	// addresses and omit the claim. An explicit false is never trusted.
	if c.EmailVerified != nil && !bool(*c.EmailVerified) {
		return Principal{}, fmt.Errorf("%w: email %q is not verified", ErrMissingClaim, email)
	}
	p := Principal{Kind: KindUser, Email: email}
	if err := p.Valid(); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// flexibleBool accepts JSON booleans and the strings "true"/"false", which
// some providers (e.g. Cognito) emit for email_verified.
type flexibleBool bool

func (b *flexibleBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v {
	case true, "true":
		*b = true
	case false, "false":
		*b = false
	default:
		return fmt.Errorf("expected a boolean, got %s", data)
	}
	return nil
}
