// Package server builds the gRPC server every Tollgate component runs: the
// shared interceptor chain, grpc.health.v1, reflection, keepalive policy and
// graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"buf.build/go/protovalidate"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/obs"
)

// DefaultShutdownTimeout bounds how long in-flight RPCs may drain.
const DefaultShutdownTimeout = 10 * time.Second

// Config configures a component's gRPC server.
type Config struct {
	Component       string                // name in logs and metrics, e.g. "tenancy"
	Logger          *slog.Logger          // required
	Registerer      prometheus.Registerer // required
	Identity        *auth.Verifier        // verifies the internal identity of every call; required
	ShutdownTimeout time.Duration         // default DefaultShutdownTimeout
	Options         []grpc.ServerOption   // e.g. grpc.Creds for TLS
}

// Server is a gRPC server with health and reflection.
type Server struct {
	grpc            *grpc.Server
	health          *health.Server
	logger          *slog.Logger
	shutdownTimeout time.Duration
	services        []string
}

// publicMethods need no internal identity: probes and tooling.
var publicMethods = map[string]bool{
	"/grpc.health.v1.Health/Check":                                   true,
	"/grpc.health.v1.Health/Watch":                                   true,
	"/grpc.health.v1.Health/List":                                    true,
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      true,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": true,
}

// New builds the server. Register services with Register before Serve.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Component == "":
		return nil, errors.New("server: component name is required")
	case cfg.Logger == nil || cfg.Registerer == nil || cfg.Identity == nil:
		return nil, errors.New("server: logger, registerer and identity verifier are required")
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	metrics, err := obs.NewGRPCMetrics(cfg.Registerer, cfg.Component)
	if err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("server: validator: %w", err)
	}
	c := &chain{
		component: cfg.Component,
		logger:    cfg.Logger,
		metrics:   metrics,
		identity:  cfg.Identity,
		validator: validator,
		public:    publicMethods,
	}
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(c.unary),
		grpc.ChainStreamInterceptor(c.stream),
		// Clients (pkg/client) ping every 30s on idle connections; allow it.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
		grpc.MaxRecvMsgSize(16 << 20),
	}, cfg.Options...)
	s := &Server{
		grpc:            grpc.NewServer(opts...),
		health:          health.NewServer(),
		logger:          cfg.Logger,
		shutdownTimeout: cfg.ShutdownTimeout,
	}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s, nil
}

// Register adds a service implementation; its health turns SERVING when
// Serve starts.
func (s *Server) Register(desc *grpc.ServiceDesc, impl any) {
	s.grpc.RegisterService(desc, impl)
	s.services = append(s.services, desc.ServiceName)
}

// GRPC exposes the underlying server (tests, extra registrations).
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Serve serves on lis until ctx is done, then shuts down gracefully: health
// turns NOT_SERVING so load balancers stop sending, in-flight RPCs drain for
// up to the shutdown timeout, and whatever is left is cut. It returns nil
// after a shutdown asked for through ctx.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	for _, name := range append([]string{""}, s.services...) {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(lis) }()
	s.logger.Info("serving gRPC", "addr", lis.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
	}
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	timer := time.NewTimer(s.shutdownTimeout)
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		s.logger.Warn("shutdown timeout: cutting remaining RPCs", "timeout", s.shutdownTimeout.String())
		s.grpc.Stop()
		<-stopped
	}
	<-served
	s.logger.Info("gRPC server stopped")
	return nil
}
