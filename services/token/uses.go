package token

import (
	"context"
	"fmt"
	"github.com/tollgate/tollgate/pkg/auth"
	"log/slog"
	"sync"
	"time"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// useRecorder coalesces token uses in memory, keeping the latest per token,
// and writes them all in one transaction per interval: recording a use
// never costs a database write of its own.
type useRecorder struct {
	store    store.Store
	interval time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	pending map[string]store.Use // by token id
}

func newUseRecorder(st store.Store, interval time.Duration, logger *slog.Logger) *useRecorder {
	return &useRecorder{store: st, interval: interval, logger: logger, pending: map[string]store.Use{}}
}

// record notes a use; an older use than the one pending is dropped.
func (r *useRecorder) record(id string, at time.Time, address string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.pending[id]; ok && !at.After(cur.Time) {
		return
	}
	r.pending[id] = store.Use{Time: at, Address: address}
}

// flush writes what is pending. On failure the uses go back to pending (where
// newer ones win) for the next flush.
func (r *useRecorder) flush(ctx context.Context) {
	r.mu.Lock()
	batch := r.pending
	r.pending = make(map[string]store.Use, len(batch))
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := r.store.RecordUses(ctx, batch); err != nil {
		r.logger.WarnContext(ctx, "recording token uses failed; retrying at the next flush", "tokens", len(batch), "error", err.Error())
		for id, u := range batch {
			r.record(id, u.Time, u.Address)
		}
	}
}

// run flushes every interval until ctx ends.
func (r *useRecorder) run(ctx context.Context) {
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.flush(ctx)
		}
	}
}

// RecordTokenUses takes gateways' batches of observed uses.
func (s *Service) RecordTokenUses(ctx context.Context, req *tokenv1.RecordTokenUsesRequest) (*tokenv1.RecordTokenUsesResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	type use struct {
		id string
		at time.Time
	}
	// Checked whole before anything is recorded: a bad batch changes nothing.
	parsed := make([]use, len(req.GetUses()))
	now := s.now()
	for i, u := range req.GetUses() {
		_, id, err := resource.ParseToken(fmt.Sprintf("uses[%d].name", i), u.GetName())
		if err != nil {
			return nil, err
		}
		if !u.GetUseTime().IsValid() {
			return nil, errs.Invalid(fmt.Sprintf("uses[%d].use_time", i), "INVALID_TIME", "use_time is not a valid time")
		}
		at := u.GetUseTime().AsTime()
		if at.After(now) {
			at = now // a gateway's clock ahead of ours must not date uses in the future
		}
		parsed[i] = use{id: id, at: at}
	}
	for i, u := range parsed {
		s.uses.record(u.id, u.at, req.GetUses()[i].GetClientAddress())
	}
	return &tokenv1.RecordTokenUsesResponse{}, nil
}
