package gateway

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
)

// validation is what the token service said about one presented token.
type validation struct {
	principal     auth.Principal
	expireTime    time.Time // zero: the token does not expire
	licenseExpire time.Time
	secretExpire  time.Time // zero unless this is a rotated-out secret in its grace period
}

type cacheEntry struct {
	key     [32]byte
	v       validation
	fetched time.Time
	elem    *list.Element
}

// tokenCache is a bounded LRU of validations keyed by a hash of the
// presented token (never the token itself). Entries live at most ttl and
// are dropped at once when the watch stream reports a revocation or
// rotation of their token.
type tokenCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[[32]byte]*cacheEntry
	byName  map[string]map[[32]byte]struct{}
	lru     *list.List // front = most recently used
	// epoch counts invalidations: a validation that was in flight while
	// one happened is not cached, so a revoke that races with a miss can
	// never be undone by the miss's stale answer.
	epoch uint64
}

func newTokenCache(ttl time.Duration, max int) *tokenCache {
	return &tokenCache{ttl: ttl, max: max, entries: map[[32]byte]*cacheEntry{}, byName: map[string]map[[32]byte]struct{}{}, lru: list.New()}
}

func cacheKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// get returns a fresh cached validation.
func (c *tokenCache) get(key [32]byte, now time.Time) (validation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return validation{}, false
	}
	if now.Sub(e.fetched) >= c.ttl {
		c.removeLocked(e)
		return validation{}, false
	}
	c.lru.MoveToFront(e.elem)
	return e.v, true
}

// currentEpoch is read before a validation call and handed to put.
func (c *tokenCache) currentEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put caches v unless an invalidation happened since epoch was read.
func (c *tokenCache) put(key [32]byte, v validation, epoch uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if old, ok := c.entries[key]; ok {
		c.removeLocked(old)
	}
	e := &cacheEntry{key: key, v: v, fetched: now}
	e.elem = c.lru.PushFront(e)
	c.entries[key] = e
	name := v.principal.TokenName
	if c.byName[name] == nil {
		c.byName[name] = map[[32]byte]struct{}{}
	}
	c.byName[name][key] = struct{}{}
	for len(c.entries) > c.max {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

// invalidate drops every cached validation of the named token.
func (c *tokenCache) invalidate(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for key := range c.byName[name] {
		c.removeLocked(c.entries[key])
	}
}

// remove drops one cached validation.
func (c *tokenCache) remove(key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if e, ok := c.entries[key]; ok {
		c.removeLocked(e)
	}
}

// flush drops everything (the watch stream broke: events may be lost).
func (c *tokenCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.entries = map[[32]byte]*cacheEntry{}
	c.byName = map[string]map[[32]byte]struct{}{}
	c.lru.Init()
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *tokenCache) removeLocked(e *cacheEntry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	name := e.v.principal.TokenName
	delete(c.byName[name], e.key)
	if len(c.byName[name]) == 0 {
		delete(c.byName, name)
	}
}
