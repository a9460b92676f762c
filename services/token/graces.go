package token

import (
	"context"
	"log/slog"
	"time"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

const (
	// graceRecheck bounds every wait, so a clock jump delays an event by at
	// most this much.
	graceRecheck = time.Minute
	graceRetry   = 5 * time.Second
)

// graceSweeper ends grace periods when they are due: it drops the previous
// secret's hash and announces GRACE_ENDED. Validation checks grace ends on
// its own, so the event only lets gateways drop cached validations early.
type graceSweeper struct {
	store  store.Store
	events *hub
	now    func() time.Time
	logger *slog.Logger
	kick   chan struct{}
}

func newGraceSweeper(st store.Store, events *hub, now func() time.Time, logger *slog.Logger) *graceSweeper {
	return &graceSweeper{store: st, events: events, now: now, logger: logger, kick: make(chan struct{}, 1)}
}

// wake makes the sweeper look again, e.g. after a rotation set a new grace.
func (g *graceSweeper) wake() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

func (g *graceSweeper) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-g.kick:
		}
		timer.Reset(g.sweep(ctx))
	}
}

// sweep ends the due grace periods and returns how long to wait for the
// next one.
func (g *graceSweeper) sweep(ctx context.Context) time.Duration {
	next, pending, err := g.store.NextGraceEnd(ctx)
	if err != nil {
		g.logger.WarnContext(ctx, "reading pending grace periods failed", "error", err.Error())
		return graceRetry
	}
	if !pending {
		return graceRecheck
	}
	now := g.now()
	if wait := next.Sub(now); wait > 0 {
		return min(wait, graceRecheck)
	}
	ended, err := g.store.EndGraces(ctx, now)
	if err != nil {
		g.logger.WarnContext(ctx, "ending grace periods failed", "error", err.Error())
		return graceRetry
	}
	for _, t := range ended {
		g.events.publish(tokenv1.TokenEventKind_TOKEN_EVENT_KIND_GRACE_ENDED, t.Name, now)
	}
	return 0
}
