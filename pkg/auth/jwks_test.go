package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a replaceable JWKS document and counts fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32

	mu     sync.Mutex
	doc    []byte
	failed bool
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		doc, failed := s.doc, s.failed
		s.mu.Unlock()
		if failed {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": s.URL, "jwks_uri": s.URL + "/jwks"})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// publish replaces the served keys. Each entry is a public JWK; extras are
// raw JSON entries the verifier must skip.
func (s *jwksServer) publish(t *testing.T, keys []jose.JSONWebKey, extras ...string) {
	t.Helper()
	var entries []json.RawMessage
	for _, k := range keys {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, b)
	}
	for _, e := range extras {
		entries = append(entries, json.RawMessage(e))
	}
	doc, err := json.Marshal(map[string]any{"keys": entries})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.doc, s.failed = doc, false
	s.mu.Unlock()
}

func (s *jwksServer) fail() {
	s.mu.Lock()
	s.failed = true
	s.mu.Unlock()
}

func jwk(kid, alg string, pub crypto.PublicKey) jose.JSONWebKey {
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
}

func newJWKSUserVerifier(t *testing.T, srv *jwksServer, clock *fakeClock) *UserVerifier {
	t.Helper()
	v, err := NewUserVerifier(context.Background(), UserVerifierConfig{
		Issuer:     testIssuer,
		Audience:   testAudience,
		JWKSURL:    srv.URL + "/jwks",
		HTTPClient: srv.Client(),
		Now:        clock.Now,
	})
	if err != nil {
		t.Fatalf("NewUserVerifier: %v", err)
	}
	return v
}

func TestJWKSRotation(t *testing.T) {
	srv := newJWKSServer(t)
	clock := newFakeClock()
	k1, k2 := testRSAKey(), testECDSAKey()
	srv.publish(t, []jose.JSONWebKey{jwk("k1", "RS256", &k1.PublicKey)},
		`{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`, // symmetric: never usable
		`{"kty":"future-kty","kid":"new"}`,          // unknown type: ignored, not fatal
	)
	v := newJWKSUserVerifier(t, srv, clock)
	ctx := context.Background()

	step := func(name, token string, wantErr error, wantFetches int32) {
		t.Helper()
		_, err := v.Verify(ctx, token)
		if wantErr == nil && err != nil || wantErr != nil && !errors.Is(err, wantErr) {
			t.Fatalf("%s: Verify error = %v, want %v", name, err, wantErr)
		}
		if got := srv.fetches.Load(); got != wantFetches {
			t.Fatalf("%s: %d JWKS fetches, want %d", name, got, wantFetches)
		}
	}
	tokenK1 := func() string { return signJWT(t, jwt.SigningMethodRS256, k1, "k1", userTokenClaims(clock.Now())) }
	tokenK2 := func() string { return signJWT(t, jwt.SigningMethodES256, k2, "k2", userTokenClaims(clock.Now())) }
	tokenK3 := func() string { return signJWT(t, jwt.SigningMethodES256, k2, "k3", userTokenClaims(clock.Now())) }

	step("first use fetches", tokenK1(), nil, 1)
	step("known kid is cached", tokenK1(), nil, 1)

	srv.publish(t, []jose.JSONWebKey{jwk("k1", "RS256", &k1.PublicKey), jwk("k2", "ES256", &k2.PublicKey)})
	step("unknown kid within MinRefresh is rate limited", tokenK2(), ErrKeyUnavailable, 1)
	clock.Advance(defaultMinRefresh)
	step("unknown kid after MinRefresh refetches", tokenK2(), nil, 2)
	step("rotated key is cached", tokenK2(), nil, 2)

	step("made-up kid is rate limited", tokenK3(), ErrKeyUnavailable, 2)
	clock.Advance(defaultMinRefresh)
	step("made-up kid refetches once", tokenK3(), ErrKeyUnavailable, 3)
	step("made-up kid again is rate limited", tokenK3(), ErrKeyUnavailable, 3)

	clock.Advance(defaultMaxAge)
	step("MaxAge forces a refetch", tokenK1(), nil, 4)

	clock.Advance(defaultMaxAge)
	srv.fail()
	step("provider outage falls back to cached keys", tokenK1(), nil, 5)
	step("outage retry is rate limited", tokenK1(), nil, 5)
}

func TestJWKSKeySelection(t *testing.T) {
	srv := newJWKSServer(t)
	clock := newFakeClock()
	rsaKey := testRSAKey()
	srv.publish(t, []jose.JSONWebKey{jwk("k1", "RS256", &rsaKey.PublicKey)})
	v := newJWKSUserVerifier(t, srv, clock)
	claims := userTokenClaims(clock.Now())

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"no kid uses the compatible key", signJWT(t, jwt.SigningMethodRS256, rsaKey, "", claims), nil},
		{"alg differs from the JWK's alg", signJWT(t, jwt.SigningMethodPS256, rsaKey, "k1", claims), ErrAlgorithm},
		{"HS256 with kid", signJWT(t, jwt.SigningMethodHS256, []byte("k"), "k1", claims), ErrAlgorithm},
		{"no kid and no compatible key", signJWT(t, jwt.SigningMethodEdDSA, testEd25519Key(), "", claims), ErrAlgorithm},
		{"signed by another key", signJWT(t, jwt.SigningMethodRS256, otherRSAKey(), "k1", claims), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestJWKSConcurrentFirstUseFetchesOnce(t *testing.T) {
	srv := newJWKSServer(t)
	clock := newFakeClock()
	key := testEd25519Key()
	srv.publish(t, []jose.JSONWebKey{jwk("ed", "EdDSA", key.Public())})
	v := newJWKSUserVerifier(t, srv, clock)
	token := signJWT(t, jwt.SigningMethodEdDSA, key, "ed", userTokenClaims(clock.Now()))

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Fatalf("%d JWKS fetches, want 1", got)
	}
}

func TestJWKSUnavailable(t *testing.T) {
	srv := newJWKSServer(t)
	srv.fail()
	clock := newFakeClock()
	v := newJWKSUserVerifier(t, srv, clock)
	token := signJWT(t, jwt.SigningMethodEdDSA, testEd25519Key(), "ed", userTokenClaims(clock.Now()))
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("Verify = %v, want ErrKeyUnavailable", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	clock.Advance(defaultMinRefresh)
	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("Verify with cancelled context = %v, want ErrKeyUnavailable", err)
	}
}

func TestOIDCDiscovery(t *testing.T) {
	srv := newJWKSServer(t)
	clock := newFakeClock()
	key := testECDSAKey()
	srv.publish(t, []jose.JSONWebKey{jwk("ec", "ES256", &key.PublicKey)})

	cfg := UserVerifierConfig{
		Issuer:       srv.URL,
		Audience:     testAudience,
		DiscoverOIDC: true,
		HTTPClient:   srv.Client(),
		Now:          clock.Now,
	}
	v, err := NewUserVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewUserVerifier: %v", err)
	}
	claims := userTokenClaims(clock.Now())
	claims["iss"] = srv.URL
	got, err := v.Verify(context.Background(), signJWT(t, jwt.SigningMethodES256, key, "ec", claims))
	if err != nil || got != userPrincipal {
		t.Fatalf("Verify = %v, %v; want %v", got, err, userPrincipal)
	}

	cfg.Issuer = srv.URL + "/other-tenant"
	if _, err := NewUserVerifier(context.Background(), cfg); err == nil {
		t.Fatal("discovery succeeded for an issuer the provider metadata does not name")
	}
}

func TestJWKSWaitersHonourTheirContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "slow", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	defer close(release)

	clock := newFakeClock()
	keys := &jwksKeys{url: srv.URL, client: srv.Client(), minRefresh: time.Minute, maxAge: time.Hour, now: clock.Now}

	fetching := make(chan error, 1)
	go func() {
		_, err := keys.keySet(context.Background(), "k")
		fetching <- err
	}()
	waitForInflight(t, keys)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := keys.keySet(ctx, "k"); !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("waiter error = %v, want ErrKeyUnavailable", err)
	}
	release <- struct{}{}
	if err := <-fetching; !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("fetcher error = %v, want ErrKeyUnavailable", err)
	}
}

func waitForInflight(t *testing.T, keys *jwksKeys) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		keys.mu.Lock()
		busy := keys.inflight != nil
		keys.mu.Unlock()
		if busy {
			return
		}
	}
	t.Fatal("fetch never started")
}
