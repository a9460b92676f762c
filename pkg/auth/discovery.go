package auth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// discoverJWKSURL reads the issuer's OpenID Provider metadata and returns its
// jwks_uri (OpenID Connect Discovery 1.0 §4).
func discoverJWKSURL(ctx context.Context, client *http.Client, issuer string) (string, error) {
	// §4.1: a trailing "/" on the issuer is removed before appending.
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, wellKnown, &meta); err != nil {
		return "", fmt.Errorf("OIDC discovery: %w", err)
	}
	// §4.3: the document must be about the issuer we asked for; otherwise
	// we could end up trusting another provider's keys.
	if meta.Issuer != issuer {
		return "", fmt.Errorf("OIDC discovery: %s describes issuer %q, want %q", wellKnown, meta.Issuer, issuer)
	}
	if meta.JWKSURI == "" {
		return "", fmt.Errorf("OIDC discovery: %s has no jwks_uri", wellKnown)
	}
	if err := checkHTTPURL(meta.JWKSURI); err != nil {
		return "", fmt.Errorf("OIDC discovery: jwks_uri: %w", err)
	}
	return meta.JWKSURI, nil
}
