// Package token is the token service: per-device API tokens. Users with
// ADMIN (or ownership) on a device create, list, rotate and revoke its
// tokens; gateways validate presented tokens, report their uses and watch
// revocations and rotations so their caches never outlive a revoke.
//
// Only keyed hashes of secrets are stored (see pkg/apitoken for the
// format); secrets are shown once and never logged.
package token

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tollgate/tollgate/pkg/pagetoken"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// Defaults of Config fields that are not settings.
const (
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultWatchBuffer       = 1024
)

// Config is what a Service is built from. Zero limits and intervals take
// their defaults; MaxLifetime zero means no bound.
type Config struct {
	Store   store.Store
	Tenancy Targets
	Access  Decider
	Keys    *Keyring
	Pages   *pagetoken.Codec
	Logger  *slog.Logger

	MaxTokensPerDevice   int
	MaxLifetime          time.Duration
	LastUseFlushInterval time.Duration
	// HeartbeatInterval spaces the watch stream's heartbeats.
	HeartbeatInterval time.Duration
	// WatchBuffer is how many events a watcher may lag behind before it is
	// disconnected.
	WatchBuffer int
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Service implements tokenv1.TokenServiceServer.
type Service struct {
	tokenv1.UnimplementedTokenServiceServer
	store        store.Store
	tenancy      Targets
	access       Decider
	keys         *Keyring
	pages        *pagetoken.Codec
	logger       *slog.Logger
	now          func() time.Time
	maxPerDevice int
	maxLifetime  time.Duration
	heartbeat    time.Duration
	uses         *useRecorder
	events       *hub
	graces       *graceSweeper
}

// NewService returns the service; call Start before serving.
func NewService(cfg Config) *Service {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Service{
		store:        cfg.Store,
		tenancy:      cfg.Tenancy,
		access:       cfg.Access,
		keys:         cfg.Keys,
		pages:        cfg.Pages,
		logger:       cfg.Logger,
		now:          now,
		maxPerDevice: orDefault(cfg.MaxTokensPerDevice, DefaultMaxTokensPerDevice),
		maxLifetime:  cfg.MaxLifetime,
		heartbeat:    orDefault(cfg.HeartbeatInterval, DefaultHeartbeatInterval),
		events:       newHub(orDefault(cfg.WatchBuffer, DefaultWatchBuffer)),
	}
	s.uses = newUseRecorder(cfg.Store, orDefault(cfg.LastUseFlushInterval, DefaultLastUseFlushInterval), cfg.Logger)
	s.graces = newGraceSweeper(cfg.Store, s.events, now, cfg.Logger)
	return s
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Start runs the background work: flushing recorded uses and ending grace
// periods. When ctx ends, watch streams are closed so that they do not
// hold up a graceful shutdown. stop ends the background work and flushes
// the last recorded uses: call it once the server has stopped.
func (s *Service) Start(ctx context.Context) (stop func()) {
	loops, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.uses.run(loops) })
	wg.Go(func() { s.graces.run(loops) })
	stopClosing := context.AfterFunc(ctx, s.events.close)
	return func() {
		stopClosing()
		s.events.close()
		cancel()
		wg.Wait()
		s.uses.flush(context.Background())
	}
}
