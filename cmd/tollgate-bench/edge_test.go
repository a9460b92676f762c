package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/tollgate/tollgate/pkg/obs"
)

// BenchmarkEdgeBuildingBlocks measures the per-request work the gateway's
// observe layer (and every gRPC hop's interceptor) does besides
// authentication, to size the auth edge's cost: request id acceptance (a
// regexp), a per-request child logger (slog With on a JSON handler) and
// the access log line.
func BenchmarkEdgeBuildingBlocks(b *testing.B) {
	logger := obs.NewLogger(io.Discard, slog.LevelInfo, "gateway")
	ctx := context.Background()
	b.Run("AcceptRequestID-client-id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = obs.AcceptRequestID("a1b2c3d4-e5f6-7890-abcd-ef0123456789")
		}
	})
	b.Run("AcceptRequestID-new-id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = obs.AcceptRequestID("")
		}
	})
	b.Run("logger.With-request_id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = logger.With("request_id", "0123456789abcdef0123456789abcdef")
		}
	})
	b.Run("access-log-line", func(b *testing.B) {
		l := logger.With("request_id", "0123456789abcdef0123456789abcdef")
		b.ReportAllocs()
		for b.Loop() {
			l.Log(ctx, slog.LevelInfo, "http", "method", "GET", "path", "/v1/token", "status", 200,
				"bytes", int64(412), "duration_ms", 1.234, "client", "127.0.0.1")
		}
	})
}
