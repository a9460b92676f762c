package auth

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Dev mode replaces the identity provider with a local Ed25519 key kept in
// the data directory, so a developer can mint their own user tokens.
const (
	DevIssuer   = "tollgate-dev"
	DevAudience = "tollgate"
)

const (
	devKeyID      = "dev"
	defaultDevTTL = time.Hour
)

// DevKeyPath is where dev mode keeps its user-token signing key.
func DevKeyPath(dataDir string) string {
	return filepath.Join(dataDir, "dev", "user-signing-key.pem")
}

// MintDevToken signs a user token for email that DevVerifierConfig accepts.
// ttl <= 0 means one hour.
func MintDevToken(key ed25519.PrivateKey, email string, ttl time.Duration) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("auth: dev signing key is not a valid Ed25519 key")
	}
	p := Principal{Kind: KindUser, Email: NormalizeEmail(email)}
	if err := p.Valid(); err != nil {
		return "", fmt.Errorf("auth: dev token for %q: %w", email, err)
	}
	if ttl <= 0 {
		ttl = defaultDevTTL
	}
	now := time.Now()
	claims := userClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    DevIssuer,
			Audience:  jwt.ClaimStrings{DevAudience},
			Subject:   p.Email,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Email: p.Email,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = devKeyID
	signed, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("auth: signing dev token: %w", err)
	}
	return signed, nil
}

// DevVerifierConfig verifies tokens from MintDevToken.
func DevVerifierConfig(pub ed25519.PublicKey) UserVerifierConfig {
	return UserVerifierConfig{Issuer: DevIssuer, Audience: DevAudience, PublicKey: pub}
}
