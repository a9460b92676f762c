package auth

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://idp.example.com"
	testAudience = "tollgate-api"
)

// userTokenClaims returns valid user claims at now; cases delete or change fields.
func userTokenClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "user-1",
		"email": "  Alice@Example.com",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
	}
}

func editClaims(c jwt.MapClaims, edit func(jwt.MapClaims)) jwt.MapClaims {
	edit(c)
	return c
}

func newStaticUserVerifier(t *testing.T, clock *fakeClock, key crypto.PublicKey) *UserVerifier {
	t.Helper()
	v, err := NewUserVerifier(context.Background(), UserVerifierConfig{
		Issuer: testIssuer, Audience: testAudience, PublicKey: key, Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("NewUserVerifier: %v", err)
	}
	return v
}

func TestUserVerify(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	rsaKey := testRSAKey()
	sign := func(c jwt.MapClaims) string { return signJWT(t, jwt.SigningMethodRS256, rsaKey, "k1", c) }
	pubPEM, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})

	tests := []struct {
		name  string
		token string
		want  error // nil: expect alice
	}{
		{"valid", sign(userTokenClaims(now)), nil},
		{"valid PS256", signJWT(t, jwt.SigningMethodPS256, rsaKey, "", userTokenClaims(now)), nil},
		{"aud as list", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["aud"] = []string{"other", testAudience} })), nil},
		{"email verified", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["email_verified"] = true })), nil},
		{"email verified as string", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["email_verified"] = "true" })), nil},
		{"within leeway", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["exp"] = now.Add(-20 * time.Second).Unix() })), nil},
		{"expired", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), ErrExpired},
		{"not yet valid", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), ErrNotYetValid},
		{"issued in the future", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() })), ErrNotYetValid},
		{"wrong issuer", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" })), ErrWrongIssuer},
		{"wrong audience", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["aud"] = "someone-else" })), ErrWrongAudience},
		{"missing exp", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { delete(c, "exp") })), ErrMissingClaim},
		{"missing email", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { delete(c, "email") })), ErrMissingClaim},
		{"email not an address", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["email"] = "alice" })), ErrMalformed},
		{"email_verified false", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["email_verified"] = false })), ErrMissingClaim},
		{"email_verified \"false\"", sign(editClaims(userTokenClaims(now), func(c jwt.MapClaims) { c["email_verified"] = "false" })), ErrMissingClaim},
		{"signed by another key", signJWT(t, jwt.SigningMethodRS256, otherRSAKey(), "k1", userTokenClaims(now)), ErrBadSignature},
		{"alg none", signJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", userTokenClaims(now)), ErrAlgorithm},
		{"HS256 with the RSA public key", signJWT(t, jwt.SigningMethodHS256, pubPEM, "k1", userTokenClaims(now)), ErrAlgorithm},
		{"ES256 against an RSA key", signJWT(t, jwt.SigningMethodES256, testECDSAKey(), "k1", userTokenClaims(now)), ErrAlgorithm},
		{"unknown alg", withHeader(t, sign(userTokenClaims(now)), `{"alg":"XY999","typ":"JWT"}`), ErrAlgorithm},
		{"tampered payload", tamperPayload(t, sign(userTokenClaims(now)), "Alice", "Mallory"), ErrBadSignature},
		{"not a JWT", "definitely-not-a-jwt", ErrMalformed},
		{"empty", "", ErrMalformed},
	}
	v := newStaticUserVerifier(t, clock, &rsaKey.PublicKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != userPrincipal {
					t.Fatalf("Verify = %v, want %v", got, userPrincipal)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

// withHeader swaps a token's header for the given JSON, keeping the rest.
func withHeader(t *testing.T, token, header string) string {
	t.Helper()
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		t.Fatalf("not a JWS: %q", token)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + rest
}

func TestUserVerifyStaticPEMFile(t *testing.T) {
	clock := newFakeClock()
	dir := t.TempDir()
	tests := []struct {
		name   string
		method jwt.SigningMethod
		priv   crypto.Signer
	}{
		{"RSA", jwt.SigningMethodRS256, testRSAKey()},
		{"ECDSA", jwt.SigningMethodES256, testECDSAKey()},
		{"Ed25519", jwt.SigningMethodEdDSA, testEd25519Key()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := x509.MarshalPKIXPublicKey(tt.priv.Public())
			if err != nil {
				t.Fatal(err)
			}
			path := writePEM(t, dir, tt.name+".pem", "PUBLIC KEY", der)
			v, err := NewUserVerifier(context.Background(), UserVerifierConfig{
				Issuer: testIssuer, Audience: testAudience, PublicKeyFile: path, Now: clock.Now,
			})
			if err != nil {
				t.Fatalf("NewUserVerifier: %v", err)
			}
			got, err := v.Verify(context.Background(), signJWT(t, tt.method, tt.priv, "", userTokenClaims(clock.Now())))
			if err != nil || got != userPrincipal {
				t.Fatalf("Verify = %v, %v; want %v", got, err, userPrincipal)
			}
		})
	}
}

func TestNewUserVerifierConfigErrors(t *testing.T) {
	dir := t.TempDir()
	pub := testEd25519Key().Public()
	tests := []struct {
		name    string
		cfg     UserVerifierConfig
		mention string // the error must name the offending setting
	}{
		{"no issuer", UserVerifierConfig{Audience: testAudience, PublicKey: pub}, "Issuer"},
		{"no audience", UserVerifierConfig{Issuer: testIssuer, PublicKey: pub}, "Audience"},
		{"no key source", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience}, "exactly one key source"},
		{"two key sources", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience, PublicKey: pub, JWKSURL: "https://idp.example.com/jwks"}, "exactly one key source"},
		{"bad JWKS URL", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "idp.example.com/jwks"}, "JWKSURL"},
		{"missing key file", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience, PublicKeyFile: filepath.Join(dir, "nope.pem")}, "PublicKeyFile"},
		{"unsupported key type", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience, PublicKey: []byte("secret")}, "unsupported key type"},
		{"negative leeway", UserVerifierConfig{Issuer: testIssuer, Audience: testAudience, PublicKey: pub, Leeway: -time.Second}, "Leeway"},
		{"discovery without URL issuer", UserVerifierConfig{Issuer: "tollgate", Audience: testAudience, DiscoverOIDC: true}, "DiscoverOIDC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewUserVerifier(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("NewUserVerifier error = %v, want one mentioning %q", err, tt.mention)
			}
		})
	}
}
