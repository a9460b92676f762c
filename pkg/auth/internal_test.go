package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newTestSignerVerifier(clock *fakeClock, ttl time.Duration) (*Signer, *Verifier) {
	key := testEd25519Key()
	s := NewSigner(key, "gateway", ttl)
	s.now = clock.Now
	v := NewVerifier(key.Public().(ed25519.PublicKey))
	v.now = clock.Now
	return s, v
}

func TestInternalRoundTrip(t *testing.T) {
	for _, p := range []Principal{userPrincipal, tokenPrincipal, servicePrincipal} {
		t.Run(p.Kind.String(), func(t *testing.T) {
			s, v := newTestSignerVerifier(newFakeClock(), 0)
			assertion, err := s.Sign(p)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			got, err := v.Verify(assertion)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != p {
				t.Fatalf("Verify = %+v, want %+v", got, p)
			}
		})
	}
}

func TestSignRejectsInvalidPrincipal(t *testing.T) {
	s, _ := newTestSignerVerifier(newFakeClock(), 0)
	if _, err := s.Sign(Principal{Kind: KindUser}); !errors.Is(err, ErrMissingClaim) {
		t.Fatalf("Sign(invalid) = %v, want ErrMissingClaim", err)
	}
}

func TestInternalVerifyRejects(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	key := testEd25519Key()

	// validClaims is a correct assertion payload that cases then spoil.
	validClaims := func() internalClaims {
		c := claimsFor(userPrincipal)
		c.RegisteredClaims = jwt.RegisteredClaims{
			Issuer:    "gateway",
			Audience:  jwt.ClaimStrings{InternalAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			ID:        "jti",
		}
		return c
	}
	with := func(edit func(*internalClaims)) internalClaims {
		c := validClaims()
		edit(&c)
		return c
	}
	signed := func(c internalClaims) string { return signJWT(t, jwt.SigningMethodEdDSA, key, "", c) }

	tests := []struct {
		name      string
		assertion string
		want      error
	}{
		{"expired", signed(with(func(c *internalClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		})), ErrExpired},
		{"not yet valid", signed(with(func(c *internalClaims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute))
		})), ErrNotYetValid},
		{"forged", signJWT(t, jwt.SigningMethodEdDSA, otherEd25519Key(), "", validClaims()), ErrBadSignature},
		{"alg none", signJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", validClaims()), ErrAlgorithm},
		{"HS256 with public key", signJWT(t, jwt.SigningMethodHS256, []byte(key.Public().(ed25519.PublicKey)), "", validClaims()), ErrAlgorithm},
		{"wrong audience", signed(with(func(c *internalClaims) { c.Audience = jwt.ClaimStrings{DevAudience} })), ErrWrongAudience},
		{"tampered payload", tamperPayload(t, signed(validClaims()), "alice@example.com", "mallory@example.com"), ErrBadSignature},
		{"over-long lifetime", signed(with(func(c *internalClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(maxAssertionLifetime + time.Second))
		})), ErrMalformed},
		{"missing exp", signed(with(func(c *internalClaims) { c.ExpiresAt = nil })), ErrMissingClaim},
		{"missing iat", signed(with(func(c *internalClaims) { c.IssuedAt = nil })), ErrMissingClaim},
		{"missing iss", signed(with(func(c *internalClaims) { c.Issuer = "" })), ErrMissingClaim},
		{"unknown kind", signed(with(func(c *internalClaims) { c.Kind = "robot" })), ErrMalformed},
		{"inconsistent principal", signed(with(func(c *internalClaims) { c.Svc = "tenancy" })), ErrMalformed},
		{"garbage", "not.a.jwt", ErrMalformed},
	}
	_, v := newTestSignerVerifier(clock, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(tt.assertion)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want error %v", p, err, tt.want)
			}
		})
	}
}

func TestSignerLongTTLIsRejectedByVerifier(t *testing.T) {
	s, v := newTestSignerVerifier(newFakeClock(), time.Hour)
	assertion, err := s.Sign(servicePrincipal)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if _, err := v.Verify(assertion); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify = %v, want ErrMalformed", err)
	}
}

func TestSignerDefaultTTLExpires(t *testing.T) {
	clock := newFakeClock()
	s, v := newTestSignerVerifier(clock, 0)
	assertion, err := s.Sign(servicePrincipal)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	clock.Advance(defaultAssertionTTL + internalLeeway)
	if _, err := v.Verify(assertion); !errors.Is(err, ErrExpired) {
		t.Fatalf("Verify after TTL = %v, want ErrExpired", err)
	}
}

// tamperPayload replaces old with replacement inside the JWS payload and
// re-encodes it, keeping the original signature.
func tamperPayload(t *testing.T, jws, old, replacement string) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), old, replacement, 1)
	if changed == string(payload) {
		t.Fatalf("payload %s does not contain %q", payload, old)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}
