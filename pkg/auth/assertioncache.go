package auth

import (
	"sync"
	"time"
)

// Ed25519 signing and verification dominate the cost of an internal call
// (tens of microseconds each, on every hop). Both sides therefore reuse
// work: a signer hands out the same assertion for a principal during the
// first half of its lifetime, and a verifier remembers assertions it has
// already verified until they expire. Neither weakens the scheme: an
// assertion was always a bearer credential valid until its exp; replay of
// one within that window was never prevented, and is not now.

// maxCachedAssertions bounds each cache; when full it starts over, which
// costs only the signatures it would have saved.
const maxCachedAssertions = 10_000

type cachedAssertion struct {
	value     string
	principal Principal
	reuseTill time.Time // signer: hand out until; verifier: trust until (exp)
}

type assertionCache struct {
	mu      sync.Mutex
	entries map[string]cachedAssertion
}

func (c *assertionCache) get(key string, now time.Time) (cachedAssertion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.reuseTill) {
		return cachedAssertion{}, false
	}
	return e, true
}

func (c *assertionCache) put(key string, e cachedAssertion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedAssertions {
		c.entries = make(map[string]cachedAssertion)
	}
	c.entries[key] = e
}
