// Package gateway is Tollgate's REST edge: grpc-gateway in front of the
// four services. It authenticates every /v1 request (user JWT or API
// token) before anything is forwarded, forwards with a signed internal
// identity, and never lets a client header become identity (no header is
// passed through, method override is off).
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tollgate/tollgate/gateway/openapi"
	"github.com/tollgate/tollgate/pkg/component"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// DefaultMaxBodyBytes limits management request bodies.
const DefaultMaxBodyBytes = 1 << 20

// Route classes, the "route" label of the HTTP metrics.
const (
	routeAPI     = "api"
	routeProbe   = "probe"
	routeMetrics = "metrics"
	routeOpenAPI = "openapi"
	// routeOpenAPIArchive is the Open API (SecuReporter compatible) archive.
	routeOpenAPIArchive = "open-api-archive"
	routeOther          = "other"
)

// Backends are the components the gateway forwards to.
var Backends = []string{component.Tenancy, component.Membership, component.Token, component.Export}

// Config configures a gateway.
type Config struct {
	// Env supplies the logger, metrics registerer, the gateway's signer and
	// the backends' addresses (Peers) and client TLS.
	Env component.Env
	// Gatherer is what /metrics serves; the all-in-one launcher passes the
	// registry that every component registers on.
	Gatherer prometheus.Gatherer
	// Users verifies user JWTs.
	Users UserVerifier
	// Settings tune token validation, rate limits and quotas (defaults
	// from NewSettings when nil).
	Settings *Settings
	// HTTPS, if set, makes Run serve HTTPS with the certificate it supplies
	// (component.HTTPSFlags); nil serves plain HTTP.
	HTTPS *tls.Config
}

// Gateway is the REST edge.
type Gateway struct {
	handler http.Handler
	conns   component.Conns
	health  map[string]healthpb.HealthClient
	users   UserVerifier
	tokens  *tokenAuth
	// failures limits failed authentications per client address.
	failures *keyedLimiters
	// tokenRate limits each API token's request rate.
	tokenRate *keyedLimiters
	// archives is the Open API archive quota per token.
	archives *hourlyQuota
	// export serves the Open API archives.
	export exportv1.ExportServiceClient
	// openAPIHeaders go on every Open API response (Deprecation, Sunset).
	openAPIHeaders map[string]string
	metrics        *httpMetrics
	clients        clientAddresses // client addresses, behind trusted proxies too
	// useInterval is how often token uses are reported.
	useInterval time.Duration
	logger      *slog.Logger
}

// New dials the backends (lazily) and builds the handler.
func New(ctx context.Context, cfg Config) (*Gateway, error) {
	if cfg.Users == nil || cfg.Gatherer == nil {
		return nil, errors.New("gateway: a user verifier and a metrics gatherer are required")
	}
	if cfg.Settings == nil {
		cfg.Settings = NewSettings()
	}
	set := cfg.Settings
	clients, err := parseTrustedProxies(set.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("gateway: trusted proxies: %w", err)
	}
	metrics, err := newHTTPMetrics(cfg.Env.Registerer)
	if err != nil {
		return nil, err
	}
	conns, err := cfg.Env.DialPeers(Backends...)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		conns:          conns,
		users:          cfg.Users,
		tokens:         newTokenAuth(tokenv1.NewTokenServiceClient(conns[component.Token]), set, cfg.Env.Logger),
		failures:       newKeyedLimiters(float64(set.AuthFailuresPerMin)/60, set.AuthFailuresPerMin),
		tokenRate:      newKeyedLimiters(set.TokenRate, set.TokenBurst),
		archives:       newHourlyQuota(set.ArchiveQuotaPerHour),
		export:         exportv1.NewExportServiceClient(conns[component.Export]),
		openAPIHeaders: set.openAPIHeaders(),
		metrics:        metrics,
		clients:        clients,
		useInterval:    set.UseReportInterval,
		logger:         cfg.Env.Logger,
		health:         map[string]healthpb.HealthClient{},
	}
	for name, conn := range conns {
		g.health[name] = healthpb.NewHealthClient(conn)
	}
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithStreamErrorHandler(streamErrorHandler),
		runtime.WithForwardResponseOption(g.fillCallerQuota),
		runtime.WithForwardResponseRewriter(renderLogStream),
	)
	registrations := []error{
		tenancyv1.RegisterTenancyServiceHandlerClient(ctx, mux, tenancyv1.NewTenancyServiceClient(conns[component.Tenancy])),
		membershipv1.RegisterMembershipServiceHandlerClient(ctx, mux, membershipv1.NewMembershipServiceClient(conns[component.Membership])),
		tokenv1.RegisterTokenServiceHandlerClient(ctx, mux, tokenv1.NewTokenServiceClient(conns[component.Token])),
		exportv1.RegisterExportServiceHandlerClient(ctx, mux, exportv1.NewExportServiceClient(conns[component.Export])),
	}
	if err := errors.Join(registrations...); err != nil {
		conns.Close()
		return nil, err
	}
	openAPI, err := openapi.Handler()
	if err != nil {
		conns.Close()
		return nil, err
	}
	routes := http.NewServeMux()
	routes.Handle("GET /healthz", g.observe(routeProbe, http.HandlerFunc(healthz)))
	routes.Handle("GET /readyz", g.observe(routeProbe, http.HandlerFunc(g.readyz)))
	routes.Handle("GET /metrics", g.observe(routeMetrics, promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{})))
	routes.Handle("GET /openapi.json", g.observe(routeOpenAPI, openAPI))
	routes.Handle("/v1/", g.observe(routeAPI, requireUTF8(limitBody(set.MaxBodyBytes, g.authenticate(selectLogStreamFormat(mux))))))
	routes.Handle("POST "+ArchivePath, g.observe(routeOpenAPIArchive, limitBody(set.MaxBodyBytes, http.HandlerFunc(g.archive))))
	routes.Handle("/open-api/", g.observe(routeOther, http.HandlerFunc(openAPINotFound)))
	routes.Handle("/", g.observe(routeOther, http.HandlerFunc(notFound)))
	g.handler = routes
	return g, nil
}

func notFound(w http.ResponseWriter, r *http.Request) {
	(&rejection{httpStatus: http.StatusNotFound, code: codes.NotFound, reason: "NOT_FOUND",
		message: "no such endpoint: " + r.Method + " " + r.URL.Path}).write(w)
}

// Start runs the gateway's background loops (the token revocation watch
// and token-use reporting) until ctx ends; wg tracks them.
func (g *Gateway) Start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { g.tokens.watch(ctx) })
	wg.Go(func() { g.tokens.reportUses(ctx, g.useInterval) })
}

// Handler is the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Close closes the backend connections.
func (g *Gateway) Close() { g.conns.Close() }

// NewHTTPServer returns an http.Server for h with the edge's timeouts:
// slow-header clients are cut, idle connections reaped. There is no write
// timeout because log streams legitimately run long.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Run builds a gateway and serves it on lis until ctx ends, then drains.
func Run(ctx context.Context, cfg Config, lis net.Listener) error {
	g, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	background, stopBackground := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	g.Start(background, &loops)
	srv := NewHTTPServer(g.Handler())
	srv.TLSConfig = cfg.HTTPS
	cfg.Env.Logger.Info("serving HTTP", "addr", lis.Addr().String(), "tls", cfg.HTTPS != nil)
	err = component.ServeHTTP(ctx, srv, lis, cfg.Env.ShutdownTimeout)
	// The loops outlive the HTTP server so the last token uses are reported.
	stopBackground()
	loops.Wait()
	return err
}
