package gateway

import (
	"flag"
	"time"

	"github.com/tollgate/tollgate/pkg/config"
)

// Settings are the gateway's tunables for API tokens: validation cache,
// rate limits and quotas. The same flags exist on gatewayd and `tollgate up`.
type Settings struct {
	TokenCacheTTL        time.Duration
	TokenCacheSize       int
	TokenRate            float64
	TokenBurst           int
	AuthFailuresPerMin   int
	ArchiveQuotaPerHour  int
	UseReportInterval    time.Duration
	TokenValidateTimeout time.Duration
	MaxBodyBytes         int64
	// OpenAPIDeprecation and OpenAPISunset, when set (RFC 3339), are sent
	// as Deprecation and Sunset headers on every Open API response.
	OpenAPIDeprecation string
	OpenAPISunset      string
	// TrustedProxies are the reverse proxies (CIDRs) whose X-Forwarded-For
	// names the client address used for limits and logs.
	TrustedProxies string
}

// NewSettings returns the defaults.
func NewSettings() *Settings {
	return &Settings{
		TokenCacheTTL:        30 * time.Second,
		TokenCacheSize:       100_000,
		TokenRate:            20,
		TokenBurst:           40,
		AuthFailuresPerMin:   30,
		ArchiveQuotaPerHour:  50,
		UseReportInterval:    5 * time.Second,
		TokenValidateTimeout: 2 * time.Second,
		MaxBodyBytes:         DefaultMaxBodyBytes,
	}
}

// Register defines the flags.
func (s *Settings) Register(fs *flag.FlagSet) {
	fs.DurationVar(&s.TokenCacheTTL, "token-cache-ttl", s.TokenCacheTTL, "how long a validated API token is trusted without asking the token service (revocations still apply at once through the watch stream)")
	fs.IntVar(&s.TokenCacheSize, "token-cache-size", s.TokenCacheSize, "most API tokens kept in the validation cache")
	fs.Float64Var(&s.TokenRate, "token-rate", s.TokenRate, "sustained requests per second allowed to one API token")
	fs.IntVar(&s.TokenBurst, "token-burst", s.TokenBurst, "burst of requests allowed to one API token")
	fs.IntVar(&s.AuthFailuresPerMin, "auth-failures-per-minute", s.AuthFailuresPerMin, "failed authentications allowed per client address per minute before it gets 429")
	fs.IntVar(&s.ArchiveQuotaPerHour, "archive-quota-per-hour", s.ArchiveQuotaPerHour, "Open API archive downloads allowed per token per device per hour")
	fs.DurationVar(&s.UseReportInterval, "token-use-report-interval", s.UseReportInterval, "how often token uses (last used time and address) are reported to the token service")
	fs.DurationVar(&s.TokenValidateTimeout, "token-validate-timeout", s.TokenValidateTimeout, "deadline of one token validation call")
	fs.Int64Var(&s.MaxBodyBytes, "max-body-bytes", s.MaxBodyBytes, "largest accepted request body")
	fs.StringVar(&s.OpenAPIDeprecation, "openapi-deprecation", "", "RFC 3339 time sent as the Deprecation header of Open API responses (empty: none)")
	fs.StringVar(&s.TrustedProxies, "trusted-proxies", "", "comma-separated CIDRs of reverse proxies (e.g. the ingress controller's pods) whose X-Forwarded-For gives the client address for rate limits and logs")
	fs.StringVar(&s.OpenAPISunset, "openapi-sunset", "", "RFC 3339 time sent as the Sunset header of Open API responses (empty: none)")
}

func (s *Settings) openAPIHeaders() map[string]string {
	h := map[string]string{}
	if s.OpenAPIDeprecation != "" {
		h["Deprecation"] = s.OpenAPIDeprecation
	}
	if s.OpenAPISunset != "" {
		h["Sunset"] = s.OpenAPISunset
	}
	return h
}

// Check reports invalid values.
func (s *Settings) Check(p *config.Problems) {
	p.Positive("token-cache-ttl", s.TokenCacheTTL)
	p.Range("token-cache-size", int64(s.TokenCacheSize), 1, 10_000_000)
	if s.TokenRate <= 0 {
		p.Addf("token-rate", "must be positive")
	}
	p.Range("token-burst", int64(s.TokenBurst), 1, 1_000_000)
	p.Range("auth-failures-per-minute", int64(s.AuthFailuresPerMin), 1, 1_000_000)
	p.Range("archive-quota-per-hour", int64(s.ArchiveQuotaPerHour), 1, 1_000_000)
	p.Positive("token-use-report-interval", s.UseReportInterval)
	p.Positive("token-validate-timeout", s.TokenValidateTimeout)
	p.Range("max-body-bytes", s.MaxBodyBytes, 1024, 64<<20)
	for _, f := range []struct{ flag, value string }{{"openapi-deprecation", s.OpenAPIDeprecation}, {"openapi-sunset", s.OpenAPISunset}} {
		if _, err := time.Parse(time.RFC3339, f.value); f.value != "" && err != nil {
			p.Addf(f.flag, "must be an RFC 3339 time such as 2027-06-30T00:00:00Z")
		}
	}
	if _, err := parseTrustedProxies(s.TrustedProxies); err != nil {
		p.Addf("trusted-proxies", "%v", err)
	}
}
