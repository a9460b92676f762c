package export

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tollgate/tollgate/services/export/store"
)

// retentionInterval is how often expired records are purged: often enough
// that each run is small, rarely enough to cost nothing.
const retentionInterval = 10 * time.Minute

// startRetention purges records older than keep right away and then every
// interval, in the background, until the returned stop is called (which
// waits for a run in progress to end).
func startRetention(st store.Store, keep, interval time.Duration, now func() time.Time, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			purgeExpired(ctx, st, now().Add(-keep), logger)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

func purgeExpired(ctx context.Context, st store.Store, cutoff time.Time, logger *slog.Logger) {
	n, err := st.PurgeBefore(ctx, cutoff)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		logger.Error("retention purge failed; it is retried at the next interval", "error", err.Error(), "purged", n)
	case n > 0:
		logger.Info("retention purged expired logs", "records", n, "before", cutoff.UTC().Format(time.RFC3339))
	}
}
