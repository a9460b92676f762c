package gateway

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/apitoken"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// answeringTokens is an in-process token service that accepts every token
// of one device: it isolates the gateway's own validation cost.
type answeringTokens struct {
	tokenv1.TokenServiceClient
}

func (answeringTokens) ValidateToken(_ context.Context, in *tokenv1.ValidateTokenRequest, _ ...grpc.CallOption) (*tokenv1.ValidateTokenResponse, error) {
	tok, err := apitoken.Parse(in.GetToken())
	if err != nil {
		return nil, err
	}
	return &tokenv1.ValidateTokenResponse{
		Name:              "organizations/o/devices/d/apiTokens/" + tok.ID(),
		Device:            "organizations/o/devices/d",
		Organization:      "organizations/o",
		State:             tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE,
		LicenseExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
	}, nil
}

func benchTokenAuth(b *testing.B) (*tokenAuth, string) {
	t := newTokenAuth(answeringTokens{}, NewSettings(), slog.New(slog.DiscardHandler))
	t.lastMessage.Store(time.Now().UnixNano()) // the watch stream is live
	tok, err := apitoken.Generate("abcdefghijklmnop")
	if err != nil {
		b.Fatal(err)
	}
	return t, tok.Reveal()
}

// BenchmarkTokenAuthHit: checksum, cache lookup and time checks.
func BenchmarkTokenAuthHit(b *testing.B) {
	t, raw := benchTokenAuth(b)
	ctx := context.Background()
	if _, rj := t.authenticate(ctx, raw, "127.0.0.1"); rj != nil {
		b.Fatal(rj.message)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, rj := t.authenticate(ctx, raw, "127.0.0.1"); rj != nil {
			b.Fatal(rj.message)
		}
	}
}

// BenchmarkTokenAuthMiss: the same plus a validation call and a cache
// insert (the in-process token service costs next to nothing; the real
// one over loopback is measured in cmd/tollgate).
func BenchmarkTokenAuthMiss(b *testing.B) {
	t, raw := benchTokenAuth(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		t.cache.flush()
		if _, rj := t.authenticate(ctx, raw, "127.0.0.1"); rj != nil {
			b.Fatal(rj.message)
		}
	}
}
