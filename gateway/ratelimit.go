package gateway

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
)

// idleLimiterTTL: limiters unused this long are dropped, keeping memory
// bounded by the number of recently active tokens and addresses.
const idleLimiterTTL = 10 * time.Minute

// keyedLimiters is a token bucket per key (an API token, a client address).
type keyedLimiters struct {
	mu        sync.Mutex
	limit     rate.Limit
	burst     int
	byKey     map[string]*keyedLimiter
	lastSweep time.Time
}

type keyedLimiter struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

func newKeyedLimiters(perSecond float64, burst int) *keyedLimiters {
	return &keyedLimiters{limit: rate.Limit(perSecond), burst: burst, byKey: map[string]*keyedLimiter{}}
}

func (k *keyedLimiters) get(key string, now time.Time) *rate.Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) > time.Minute {
		for key, l := range k.byKey {
			if now.Sub(l.lastSeen) > idleLimiterTTL {
				delete(k.byKey, key)
			}
		}
		k.lastSweep = now
	}
	l, ok := k.byKey[key]
	if !ok {
		l = &keyedLimiter{lim: rate.NewLimiter(k.limit, k.burst)}
		k.byKey[key] = l
	}
	l.lastSeen = now
	return l.lim
}

// quotaState is what a client may still do, for RateLimit-* headers.
type quotaState struct {
	limit     int
	remaining int
	reset     time.Duration // until the bucket is full again
	retry     time.Duration // until the next request is allowed (when refused)
}

// take consumes one request from key's bucket.
func (k *keyedLimiters) take(key string, now time.Time) (bool, quotaState) {
	lim := k.get(key, now)
	ok := lim.AllowN(now, 1)
	return ok, k.state(lim, now)
}

// peek reports key's state without consuming.
func (k *keyedLimiters) peek(key string, now time.Time) quotaState {
	return k.state(k.get(key, now), now)
}

func (k *keyedLimiters) state(lim *rate.Limiter, now time.Time) quotaState {
	tokens := lim.TokensAt(now)
	s := quotaState{limit: k.burst, remaining: max(0, int(math.Floor(tokens)))}
	if missing := float64(k.burst) - tokens; missing > 0 {
		s.reset = time.Duration(missing / float64(k.limit) * float64(time.Second))
	}
	if tokens < 1 {
		s.retry = time.Duration((1 - tokens) / float64(k.limit) * float64(time.Second))
	}
	return s
}

func ceilSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// headers are the RateLimit-* fields (IETF httpapi draft) and, when
// refused, Retry-After.
func (s quotaState) headers(refused bool) map[string]string {
	h := map[string]string{
		"RateLimit-Limit":     strconv.Itoa(s.limit),
		"RateLimit-Remaining": strconv.Itoa(s.remaining),
		"RateLimit-Reset":     ceilSeconds(s.reset),
	}
	if refused {
		h["Retry-After"] = ceilSeconds(max(s.retry, time.Second))
	}
	return h
}

func rateLimited(reason, msg string, s quotaState) *rejection {
	return &rejection{httpStatus: http.StatusTooManyRequests, code: codes.ResourceExhausted, reason: reason, message: msg, headers: s.headers(true)}
}

// hourlyQuota counts uses per key in fixed clock-hour windows (the Open
// API's "50 requests per token per device per hour").
type hourlyQuota struct {
	mu     sync.Mutex
	limit  int
	counts map[string]hourCount
}

type hourCount struct {
	hour  int64
	count int
}

func newHourlyQuota(limit int) *hourlyQuota {
	return &hourlyQuota{limit: limit, counts: map[string]hourCount{}}
}

// take uses one unit of key's quota for the current hour.
func (q *hourlyQuota) take(key string, now time.Time) (bool, quotaState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	hour := now.Unix() / 3600
	c := q.counts[key]
	if c.hour != hour {
		if len(q.counts) > 100_000 {
			q.sweepLocked(hour)
		}
		c = hourCount{hour: hour}
	}
	ok := c.count < q.limit
	if ok {
		c.count++
	}
	q.counts[key] = c
	return ok, q.stateLocked(c, now)
}

// peek reports key's quota without using it.
func (q *hourlyQuota) peek(key string, now time.Time) quotaState {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.counts[key]
	if c.hour != now.Unix()/3600 {
		c = hourCount{}
	}
	return q.stateLocked(c, now)
}

func (q *hourlyQuota) stateLocked(c hourCount, now time.Time) quotaState {
	untilNextHour := time.Duration(3600-now.Unix()%3600) * time.Second
	s := quotaState{limit: q.limit, remaining: max(0, q.limit-c.count), reset: untilNextHour}
	if s.remaining == 0 {
		s.retry = untilNextHour
	}
	return s
}

func (q *hourlyQuota) sweepLocked(hour int64) {
	for k, c := range q.counts {
		if c.hour != hour {
			delete(q.counts, k)
		}
	}
}
