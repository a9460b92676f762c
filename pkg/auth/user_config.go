package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"time"
)

const (
	defaultUserLeeway  = 30 * time.Second
	defaultHTTPTimeout = 10 * time.Second
	defaultMinRefresh  = 30 * time.Second
	defaultMaxAge      = time.Hour
)

// UserVerifierConfig configures a UserVerifier. Exactly one key source must
// be set: JWKSURL, DiscoverOIDC, PublicKeyFile or PublicKey.
type UserVerifierConfig struct {
	Issuer   string // required; must equal the "iss" claim
	Audience string // required; must be in "aud"

	// JWKSURL is a JWKS document, fetched with HTTPClient and cached; it is
	// refetched every MaxAge, and at most every MinRefresh when a token names
	// an unknown kid.
	JWKSURL string
	// DiscoverOIDC, when JWKSURL is empty, finds the JWKS through
	// Issuer+"/.well-known/openid-configuration".
	DiscoverOIDC bool
	// PublicKeyFile is one static PEM public key (RSA, ECDSA or Ed25519).
	PublicKeyFile string
	// PublicKey is the key itself (used by dev mode).
	PublicKey crypto.PublicKey

	Leeway     time.Duration // clock skew; default 30s
	HTTPClient *http.Client  // default: 10s timeout
	MinRefresh time.Duration // default 30s
	MaxAge     time.Duration // default 1h
	Now        func() time.Time
}

// withDefaults fills unset optional fields and rejects impossible values.
func (c UserVerifierConfig) withDefaults() (UserVerifierConfig, error) {
	if c.Issuer == "" {
		return c, errors.New("Issuer is required")
	}
	if c.Audience == "" {
		return c, errors.New("Audience is required")
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"Leeway", c.Leeway}, {"MinRefresh", c.MinRefresh}, {"MaxAge", c.MaxAge}} {
		if d.value < 0 {
			return c, fmt.Errorf("%s must not be negative, got %s", d.name, d.value)
		}
	}
	if c.Leeway == 0 {
		c.Leeway = defaultUserLeeway
	}
	if c.MinRefresh == 0 {
		c.MinRefresh = defaultMinRefresh
	}
	if c.MaxAge == 0 {
		c.MaxAge = defaultMaxAge
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// keySource builds the one configured key source. ctx bounds OIDC discovery.
func (c UserVerifierConfig) keySource(ctx context.Context) (keySource, error) {
	useJWKS := c.JWKSURL != "" || c.DiscoverOIDC
	configured := 0
	for _, set := range []bool{useJWKS, c.PublicKeyFile != "", c.PublicKey != nil} {
		if set {
			configured++
		}
	}
	if configured != 1 {
		return nil, fmt.Errorf("exactly one key source must be set (JWKSURL or DiscoverOIDC, PublicKeyFile, PublicKey); got %d", configured)
	}

	switch {
	case c.PublicKey != nil:
		return newStaticKey(c.PublicKey, "PublicKey")
	case c.PublicKeyFile != "":
		key, err := loadVerificationKeyFile(c.PublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PublicKeyFile: %w", err)
		}
		return newStaticKey(key, "PublicKeyFile "+c.PublicKeyFile)
	}

	jwksURL := c.JWKSURL
	if jwksURL == "" {
		if err := checkHTTPURL(c.Issuer); err != nil {
			return nil, fmt.Errorf("DiscoverOIDC needs an http(s) Issuer: %w", err)
		}
		var err error
		if jwksURL, err = discoverJWKSURL(ctx, c.HTTPClient, c.Issuer); err != nil {
			return nil, err
		}
	} else if err := checkHTTPURL(jwksURL); err != nil {
		return nil, fmt.Errorf("JWKSURL: %w", err)
	}
	return &jwksKeys{
		url:        jwksURL,
		client:     c.HTTPClient,
		minRefresh: c.MinRefresh,
		maxAge:     c.MaxAge,
		now:        c.Now,
	}, nil
}

func newStaticKey(key crypto.PublicKey, origin string) (staticKey, error) {
	if err := checkVerificationKey(key); err != nil {
		return staticKey{}, fmt.Errorf("%s: %w", origin, err)
	}
	return staticKey{key: key}, nil
}
