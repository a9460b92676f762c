package gateway

import (
	"context"
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/auth"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// fillCallerQuota completes GET /v1/token with the quotas this gateway
// enforces for the calling token (the token service cannot know them).
func (g *Gateway) fillCallerQuota(ctx context.Context, _ http.ResponseWriter, m proto.Message) error {
	resp, ok := m.(*tokenv1.GetCallerTokenResponse)
	if !ok {
		return nil
	}
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.KindToken {
		return nil
	}
	now := g.tokens.now()
	rate := g.tokenRate.peek(p.TokenName, now)
	archives := g.archives.peek(p.TokenName, now)
	resp.Quota = &tokenv1.Quota{
		RateLimitPerSecond:        float64(g.tokenRate.limit),
		RateLimitBurst:            int32(rate.limit),
		RateLimitRemaining:        int32(rate.remaining),
		ArchiveDownloadsPerHour:   int32(archives.limit),
		ArchiveDownloadsRemaining: int32(archives.remaining),
	}
	return nil
}
