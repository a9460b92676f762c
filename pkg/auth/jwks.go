package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// jwksKeys serves keys from a remote JWKS document. The cached set is
// refetched once it is maxAge old, or sooner when a token names an unknown
// kid (key rotation) — but never more than once per minRefresh, so tokens
// with made-up kids cannot turn us into a flood against the provider.
type jwksKeys struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	maxAge     time.Duration
	now        func() time.Time

	mu          sync.Mutex
	keys        []jose.JSONWebKey // last successfully fetched set
	fetchedAt   time.Time         // when keys was fetched
	attemptedAt time.Time         // last fetch attempt, successful or not
	lastErr     error             // outcome of the last attempt
	inflight    chan struct{}     // closed when the running fetch ends; nil if none
}

func (j *jwksKeys) verificationKey(ctx context.Context, kid, alg string) (any, error) {
	keys, err := j.keySet(ctx, kid)
	if err != nil {
		return nil, err
	}
	return selectKey(keys, kid, alg)
}

// keySet returns the cached keys, refreshing them first when needed and
// allowed. Concurrent callers share one fetch. A failed refresh falls back to
// the previous keys, so a provider outage does not log everyone out.
func (j *jwksKeys) keySet(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for {
		now := j.now()
		switch {
		case !j.needsRefresh(now, kid):
			return j.cachedLocked()
		case j.inflight != nil:
			// Re-evaluate afterwards: that fetch has normally settled it.
			if err := j.awaitFetchLocked(ctx); err != nil {
				return nil, err
			}
		case !j.mayFetch(now):
			return j.cachedLocked()
		default:
			return j.refreshLocked(ctx)
		}
	}
}

// awaitFetchLocked waits, with j.mu released, for the running fetch to end.
func (j *jwksKeys) awaitFetchLocked(ctx context.Context) error {
	done := j.inflight
	j.mu.Unlock()
	defer j.mu.Lock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for JWKS: %v", ErrKeyUnavailable, ctx.Err())
	}
}

// refreshLocked fetches the JWKS, releasing j.mu for the round trip so that
// other callers can give up on their own contexts meanwhile.
func (j *jwksKeys) refreshLocked(ctx context.Context) ([]jose.JSONWebKey, error) {
	done := make(chan struct{})
	j.inflight = done
	previousAttempt := j.attemptedAt
	j.attemptedAt = j.now()
	j.mu.Unlock()

	keys, err := fetchJWKS(ctx, j.client, j.url)

	j.mu.Lock()
	j.inflight = nil
	close(done)
	j.lastErr = err
	switch {
	case err == nil:
		j.keys, j.fetchedAt = keys, j.now()
	case ctx.Err() != nil:
		// Our caller gave up; that says nothing about the provider, so don't
		// make the next caller wait out the rate limit.
		j.attemptedAt = previousAttempt
		return nil, fmt.Errorf("%w: fetching JWKS: %v", ErrKeyUnavailable, err)
	}
	return j.cachedLocked()
}

// cachedLocked returns the cached keys (possibly stale), or why there are none.
func (j *jwksKeys) cachedLocked() ([]jose.JSONWebKey, error) {
	if len(j.keys) == 0 {
		return nil, fmt.Errorf("%w: no keys from JWKS %s: %v", ErrKeyUnavailable, j.url, j.lastErr)
	}
	return j.keys, nil
}

func (j *jwksKeys) needsRefresh(now time.Time, kid string) bool {
	if len(j.keys) == 0 || now.Sub(j.fetchedAt) >= j.maxAge {
		return true
	}
	return kid != "" && !hasKeyID(j.keys, kid)
}

func (j *jwksKeys) mayFetch(now time.Time) bool {
	return j.attemptedAt.IsZero() || now.Sub(j.attemptedAt) >= j.minRefresh
}

func hasKeyID(keys []jose.JSONWebKey, kid string) bool {
	for _, k := range keys {
		if k.KeyID == kid {
			return true
		}
	}
	return false
}

// selectKey picks the keys a token may be verified with. A named kid must
// exist; without one, every key compatible with alg is tried.
func selectKey(keys []jose.JSONWebKey, kid, alg string) (any, error) {
	var matches []jwt.VerificationKey
	candidates := 0
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		candidates++
		// A JWK that declares its alg may only be used with that alg (RFC 8725 §3.1).
		if (k.Algorithm == "" || k.Algorithm == alg) && keyAllowsAlg(k.Key, alg) {
			matches = append(matches, k.Key)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return jwt.VerificationKeySet{Keys: matches}, nil
	case candidates == 0:
		return nil, fmt.Errorf("%w: no key with kid %q in JWKS", ErrKeyUnavailable, kid)
	default:
		return nil, fmt.Errorf("%w: %s does not match the JWKS key(s) for kid %q", ErrAlgorithm, alg, kid)
	}
}

// fetchJWKS downloads and parses a JWKS document, keeping only public
// signing keys we can use. Unusable entries are skipped rather than failing
// the set (RFC 7517 §5), so a provider adding a new key type breaks nothing.
func fetchJWKS(ctx context.Context, client *http.Client, url string) ([]jose.JSONWebKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := getJSON(ctx, client, url, &doc); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if checkVerificationKey(k.Key) != nil {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS " + url + " has no usable signing keys")
	}
	return keys, nil
}
