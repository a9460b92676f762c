package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MetadataKey is the gRPC metadata key carrying the internal assertion.
const MetadataKey = "x-tollgate-identity"

// InternalAudience is the "aud" of every internal assertion. It differs from
// user-token audiences so neither kind of token can stand in for the other.
const InternalAudience = "tollgate-internal"

const (
	defaultAssertionTTL = 60 * time.Second
	// maxAssertionLifetime bounds how long a leaked assertion stays usable,
	// even if a misconfigured signer asks for more.
	maxAssertionLifetime = 10 * time.Minute
	internalLeeway       = 5 * time.Second
)

// internalClaims is the payload of an internal assertion.
type internalClaims struct {
	jwt.RegisteredClaims
	Kind   string `json:"kind"`
	Email  string `json:"email,omitempty"`
	Token  string `json:"token,omitempty"`
	Device string `json:"device,omitempty"`
	Org    string `json:"org,omitempty"`
	Svc    string `json:"svc,omitempty"`
}

func claimsFor(p Principal) internalClaims {
	return internalClaims{
		Kind:   p.Kind.String(),
		Email:  p.Email,
		Token:  p.TokenName,
		Device: p.Device,
		Org:    p.Organization,
		Svc:    p.Service,
	}
}

func (c internalClaims) principal() (Principal, error) {
	p := Principal{
		Email:        c.Email,
		TokenName:    c.Token,
		Device:       c.Device,
		Organization: c.Org,
		Service:      c.Svc,
	}
	switch c.Kind {
	case KindUser.String():
		p.Kind = KindUser
	case KindToken.String():
		p.Kind = KindToken
	case KindService.String():
		p.Kind = KindService
	case "":
		return Principal{}, fmt.Errorf("%w: kind", ErrMissingClaim)
	default:
		return Principal{}, fmt.Errorf("%w: unknown principal kind %q", ErrMalformed, c.Kind)
	}
	return p, nil
}

// Signer mints internal assertions on behalf of one component.
type Signer struct {
	key       ed25519.PrivateKey
	component string
	ttl       time.Duration
	now       func() time.Time
	minted    assertionCache // by principal
}

// NewSigner returns a Signer whose assertions name component as issuer and
// live for ttl (60s when ttl <= 0).
func NewSigner(key ed25519.PrivateKey, component string, ttl time.Duration) *Signer {
	if ttl <= 0 {
		ttl = defaultAssertionTTL
	}
	return &Signer{key: key, component: component, ttl: ttl, now: time.Now}
}

// Sign returns a compact EdDSA JWS asserting p. An assertion minted for the
// same principal less than half a lifetime ago is handed out again.
func (s *Signer) Sign(p Principal) (string, error) {
	key := p.String()
	if e, ok := s.minted.get(key, s.now()); ok && e.principal == p {
		return e.value, nil
	}
	signed, err := s.sign(p)
	if err == nil {
		s.minted.put(key, cachedAssertion{value: signed, principal: p, reuseTill: s.now().Add(s.ttl / 2)})
	}
	return signed, err
}

func (s *Signer) sign(p Principal) (string, error) {
	if len(s.key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("auth: signer for %q has no valid Ed25519 key", s.component)
	}
	if s.component == "" {
		return "", fmt.Errorf("auth: signer has no component name")
	}
	if err := p.Valid(); err != nil {
		return "", fmt.Errorf("auth: refusing to sign invalid principal: %w", err)
	}
	now := s.now()
	claims := claimsFor(p)
	claims.RegisteredClaims = jwt.RegisteredClaims{
		Issuer:    s.component,
		Audience:  jwt.ClaimStrings{InternalAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		ID:        rand.Text(),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("auth: signing internal assertion: %w", err)
	}
	return signed, nil
}

// Verifier checks internal assertions against the deployment's public key.
type Verifier struct {
	pub      ed25519.PublicKey
	now      func() time.Time
	verified assertionCache // by assertion
}

// NewVerifier returns a Verifier trusting pub, tolerating 5s of clock skew.
func NewVerifier(pub ed25519.PublicKey) *Verifier {
	return &Verifier{pub: pub, now: time.Now}
}

// Verify checks an assertion and returns the principal it carries. An
// assertion verified before is trusted again until it expires.
func (v *Verifier) Verify(assertion string) (Principal, error) {
	if e, ok := v.verified.get(assertion, v.now()); ok {
		return e.principal, nil
	}
	p, exp, err := v.verify(assertion)
	if err == nil {
		v.verified.put(assertion, cachedAssertion{principal: p, reuseTill: exp})
	}
	return p, err
}

func (v *Verifier) verify(assertion string) (Principal, time.Time, error) {
	parser := jwt.NewParser(
		jwt.WithAudience(InternalAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(internalLeeway),
		jwt.WithTimeFunc(v.now),
	)
	var claims internalClaims
	tok, err := parser.ParseWithClaims(assertion, &claims, v.keyFor)
	if err != nil {
		return Principal{}, time.Time{}, classifyParseError(err, tok)
	}
	if err := checkAssertionLifetime(claims.RegisteredClaims); err != nil {
		return Principal{}, time.Time{}, err
	}
	if claims.Issuer == "" {
		return Principal{}, time.Time{}, fmt.Errorf("%w: iss", ErrMissingClaim)
	}
	p, err := claims.principal()
	if err != nil {
		return Principal{}, time.Time{}, err
	}
	if err := p.Valid(); err != nil {
		return Principal{}, time.Time{}, err
	}
	return p, claims.ExpiresAt.Time, nil
}

// keyFor pins the algorithm: the assertion's own header must never be able to
// choose how it is verified.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if t.Method.Alg() != jwt.SigningMethodEdDSA.Alg() {
		return nil, fmt.Errorf("%w: %q (internal assertions use EdDSA)", ErrAlgorithm, t.Method.Alg())
	}
	if len(v.pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: verifier has no valid Ed25519 public key", ErrKeyUnavailable)
	}
	return v.pub, nil
}

func checkAssertionLifetime(c jwt.RegisteredClaims) error {
	if c.IssuedAt == nil {
		return fmt.Errorf("%w: iat", ErrMissingClaim)
	}
	if lifetime := c.ExpiresAt.Sub(c.IssuedAt.Time); lifetime > maxAssertionLifetime {
		return fmt.Errorf("%w: assertion lifetime %s exceeds %s", ErrMalformed, lifetime, maxAssertionLifetime)
	}
	return nil
}
