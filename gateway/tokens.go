package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// watchSilenceLimit: the token service sends a heartbeat every 5 s; a
// stream silent for longer than this is treated as broken.
const watchSilenceLimit = 15 * time.Second

// tokenAuth validates API tokens: checksum first (no RPC for malformed
// tokens), then the cache, then the token service. The cache answers only
// while the revocation watch stream is live; otherwise every request asks
// the token service, so a revoked token is never accepted from a cache that
// may have missed its revocation. When the token service itself is
// unreachable, tokens validated within the cache TTL keep working.
type tokenAuth struct {
	client  tokenv1.TokenServiceClient
	cache   *tokenCache
	timeout time.Duration
	logger  *slog.Logger
	now     func() time.Time

	lastMessage atomic.Int64 // unix nanos of the last watch message; 0 = not connected
	uses        *useRecorder
}

func newTokenAuth(client tokenv1.TokenServiceClient, s *Settings, logger *slog.Logger) *tokenAuth {
	return &tokenAuth{
		client:  client,
		cache:   newTokenCache(s.TokenCacheTTL, s.TokenCacheSize),
		timeout: s.TokenValidateTimeout,
		logger:  logger,
		now:     time.Now,
		uses:    &useRecorder{pending: map[string]*tokenv1.TokenUse{}},
	}
}

// watchLive reports whether revocations are reaching this gateway.
func (t *tokenAuth) watchLive() bool {
	last := t.lastMessage.Load()
	return last != 0 && t.now().Sub(time.Unix(0, last)) < watchSilenceLimit
}

// authenticate turns a presented API token into a principal.
func (t *tokenAuth) authenticate(ctx context.Context, raw, clientAddr string) (validation, *rejection) {
	tok, err := apitoken.Parse(raw)
	if err != nil {
		return validation{}, unauthenticated("TOKEN_INVALID", "the API token is malformed (wrong prefix, length, characters or checksum)")
	}
	key := cacheKey(tok.Reveal())
	now := t.now()
	v, hit := validation{}, false
	if t.watchLive() {
		v, hit = t.cache.get(key, now)
	}
	if !hit {
		epoch := t.cache.currentEpoch()
		fresh, rj := t.validate(ctx, tok.Reveal(), clientAddr)
		switch {
		case rj == nil:
			v = fresh
			t.cache.put(key, v, epoch, now)
		case rj.httpStatus == http.StatusServiceUnavailable:
			// The token service cannot answer, so nothing can have been
			// revoked through it: a token validated within the TTL keeps
			// working. Others get the 503.
			cached, ok := t.cache.get(key, now)
			if !ok {
				return validation{}, rj
			}
			v = cached
		default:
			t.cache.remove(key)
			return validation{}, rj
		}
	}
	// Times are checked on every request, cached or not.
	switch {
	case !v.expireTime.IsZero() && !now.Before(v.expireTime):
		t.cache.invalidate(v.principal.TokenName)
		return validation{}, unauthenticated("TOKEN_EXPIRED", "the API token has expired: ask the device's admin for a new one")
	case !v.secretExpire.IsZero() && !now.Before(v.secretExpire):
		t.cache.invalidate(v.principal.TokenName)
		return validation{}, unauthenticated("TOKEN_INVALID", "this secret was rotated out: use the token's new secret")
	case !now.Before(v.licenseExpire) && hit:
		// The license may have been renewed since this was cached: ask again.
		t.cache.remove(key)
		return t.authenticate(ctx, raw, clientAddr)
	case !now.Before(v.licenseExpire):
		return validation{}, &rejection{httpStatus: http.StatusForbidden, code: codes.PermissionDenied, reason: "LICENSE_EXPIRED",
			message: "the device's license has expired: its API tokens work again once the license is renewed"}
	}
	t.uses.record(v.principal.TokenName, clientAddr, now)
	return v, nil
}

func (t *tokenAuth) validate(ctx context.Context, token, clientAddr string) (validation, *rejection) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	resp, err := t.client.ValidateToken(auth.AsSelf(ctx), &tokenv1.ValidateTokenRequest{Token: token, ClientAddress: clientAddr})
	if err != nil {
		s := status.Convert(err)
		if s.Code() == codes.Unauthenticated {
			reason := errs.Reason(s)
			if reason == "" {
				reason = "TOKEN_INVALID"
			}
			return validation{}, unauthenticated(reason, s.Message())
		}
		// An outage is never reported as a bad credential.
		t.logger.WarnContext(ctx, "token validation failed", "code", s.Code().String(), "error", s.Message())
		return validation{}, &rejection{httpStatus: http.StatusServiceUnavailable, code: codes.Unavailable, reason: "TOKEN_SERVICE_UNAVAILABLE",
			message: "API tokens cannot be checked right now; retry shortly", headers: map[string]string{"Retry-After": "1"}}
	}
	device, err := resource.ParseDevice("device", resp.GetDevice())
	if err != nil {
		return validation{}, &rejection{httpStatus: http.StatusServiceUnavailable, code: codes.Unavailable, reason: "TOKEN_SERVICE_UNAVAILABLE",
			message: "API tokens cannot be checked right now; retry shortly"}
	}
	v := validation{
		principal:     auth.Principal{Kind: auth.KindToken, TokenName: resp.GetName(), Device: device.Name(), Organization: device.OrganizationName()},
		licenseExpire: resp.GetLicenseExpireTime().AsTime(),
	}
	if resp.GetExpireTime() != nil {
		v.expireTime = resp.GetExpireTime().AsTime()
	}
	if resp.GetSecretExpireTime() != nil {
		v.secretExpire = resp.GetSecretExpireTime().AsTime()
	}
	if err := v.principal.Valid(); err != nil {
		return validation{}, unauthenticated("TOKEN_INVALID", "the API token is not valid")
	}
	return v, nil
}

// watch keeps the revocation stream open until ctx ends, reconnecting with
// backoff. While it is down every request is validated by the token service.
func (t *tokenAuth) watch(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := t.watchOnce(ctx)
		// Not live any more: the cache stops answering (it keeps its
		// entries only as the outage fallback) and is flushed on reconnect.
		t.lastMessage.Store(0)
		if ctx.Err() != nil {
			return
		}
		t.logger.Warn("token watch stream broken; validating every request until it is back", "error", err.Error(), "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
		if err == nil {
			backoff = 100 * time.Millisecond
		}
	}
}

func (t *tokenAuth) watchOnce(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := t.client.WatchTokenEvents(auth.AsSelf(ctx), &tokenv1.WatchTokenEventsRequest{})
	if err != nil {
		return err
	}
	// A silent stream (a hung peer) is cut so it reconnects.
	silence := time.AfterFunc(watchSilenceLimit, cancel)
	defer silence.Stop()
	first := true
	for {
		ev, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("stream closed by the token service")
			}
			return err
		}
		silence.Reset(watchSilenceLimit)
		if first {
			// Events sent while we were disconnected are lost: start clean.
			t.cache.flush()
			t.logger.Info("token watch stream live")
			first = false
		}
		t.lastMessage.Store(t.now().UnixNano())
		if ev.GetKind() != tokenv1.TokenEventKind_TOKEN_EVENT_KIND_HEARTBEAT && ev.GetName() != "" {
			t.cache.invalidate(ev.GetName())
		}
	}
}

// useRecorder coalesces token uses; report sends them in batches, so the
// token service records last-use times without a write per request.
type useRecorder struct {
	mu      sync.Mutex
	pending map[string]*tokenv1.TokenUse
}

func (u *useRecorder) record(name, addr string, at time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pending[name] = &tokenv1.TokenUse{Name: name, UseTime: timestamppb.New(at), ClientAddress: addr}
}

func (u *useRecorder) take() []*tokenv1.TokenUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]*tokenv1.TokenUse, 0, len(u.pending))
	for _, use := range u.pending {
		out = append(out, use)
	}
	u.pending = map[string]*tokenv1.TokenUse{}
	return out
}

// reportUses sends recorded uses every interval, and once more at the end.
func (t *tokenAuth) reportUses(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	send := func(ctx context.Context) {
		uses := t.uses.take()
		for len(uses) > 0 {
			n := min(len(uses), 10_000)
			if _, err := t.client.RecordTokenUses(auth.AsSelf(ctx), &tokenv1.RecordTokenUsesRequest{Uses: uses[:n]}); err != nil {
				t.logger.Warn("reporting token uses failed; last-use times stay as they were", "error", err.Error(), "uses", n)
			}
			uses = uses[n:]
		}
	}
	for {
		select {
		case <-ticker.C:
			send(ctx)
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			send(final)
			cancel()
			return
		}
	}
}
