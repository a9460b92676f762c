package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// BenchmarkValidateTokenMiss measures what a gateway cache miss costs: one
// ValidateToken call over loopback gRPC to the real token service (which
// asks the real tenancy service for the device), reporting p50 and p99.
func BenchmarkValidateTokenMiss(b *testing.B) {
	s := newLiveSuite(b)
	f := s.fixture()
	conn, err := client.Dial(s.rt.peers["token"], client.Options{Signer: auth.NewSigner(s.rt.key, "gateway", 0)})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	tokens := tokenv1.NewTokenServiceClient(conn)
	ctx := context.Background()
	req := &tokenv1.ValidateTokenRequest{Token: f.secret, ClientAddress: "127.0.0.1"}
	latencies := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		start := time.Now()
		if _, err := tokens.ValidateToken(ctx, req); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}
