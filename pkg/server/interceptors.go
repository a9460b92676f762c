package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/obs"
)

// The interceptor chain runs, outermost first: recovery → request id →
// logging → metrics → auth → validation → handler. Every interceptor has a
// unary and a stream form built from the same step, so both kinds of RPC
// get exactly the same treatment.

// recovered runs fn and turns a panic into INTERNAL (with the stack in the
// log), so one bad request cannot take the process down.
func recovered(ctx context.Context, method string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			obs.Logger(ctx).Error("panic in handler", "method", method, "panic", r, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	return fn()
}

func requestIDFrom(ctx context.Context) context.Context {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(obs.RequestIDHeader); len(v) > 0 {
			id = v[0]
		}
	}
	id = obs.AcceptRequestID(id)
	_ = grpc.SetHeader(ctx, metadata.Pairs(obs.RequestIDHeader, id))
	return obs.WithRequestID(ctx, id)
}

type chain struct {
	component string
	logger    *slog.Logger
	metrics   *obs.GRPCMetrics
	identity  *auth.Verifier
	validator protovalidate.Validator
	public    map[string]bool // full method names that need no identity
}

// toStatus is the one boundary where handler errors become client statuses.
func (c *chain) toStatus(ctx context.Context, method string, err error) error {
	if err == nil {
		return nil
	}
	s, known := errs.ToStatus(err)
	if !known {
		obs.Logger(ctx).Error("internal error", "method", method, "error", err.Error())
	}
	return s.Err()
}

// observation is what the logging and metrics steps need at the end of a call.
type observation struct {
	start     time.Time
	method    string
	principal string // set by the auth step once known
}

// observe is the request id, logging and metrics steps: it tags the context
// with the request id and a request-scoped logger, and returns the function
// that records the outcome.
func (c *chain) observe(ctx context.Context, method string) (context.Context, *observation) {
	ctx = requestIDFrom(ctx)
	ctx = obs.WithLogger(ctx, c.logger.With("request_id", obs.RequestID(ctx)))
	c.metrics.InFlight.WithLabelValues(shortMethod(method)).Inc()
	return ctx, &observation{start: time.Now(), method: method}
}

func (c *chain) record(ctx context.Context, o *observation, err error) {
	code := status.Code(err)
	short := shortMethod(o.method)
	elapsed := time.Since(o.start)
	c.metrics.InFlight.WithLabelValues(short).Dec()
	c.metrics.Requests.WithLabelValues(short, code.String()).Inc()
	c.metrics.Duration.WithLabelValues(short).Observe(elapsed.Seconds())

	attrs := []any{"method", o.method, "code", code.String(), "duration_ms", float64(elapsed.Microseconds()) / 1000}
	if o.principal != "" {
		attrs = append(attrs, "principal", o.principal)
	}
	if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
		attrs = append(attrs, "peer", pr.Addr.String())
	}
	level := slog.LevelInfo
	switch {
	case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
		level = slog.LevelError
	case c.public[o.method] && code == codes.OK:
		level = slog.LevelDebug // health probes would drown the log
	}
	obs.Logger(ctx).Log(ctx, level, "rpc", attrs...)
}

func (c *chain) authenticate(ctx context.Context, method string) (context.Context, error) {
	if c.public[method] {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(auth.MetadataKey)
	if len(vals) != 1 || vals[0] == "" {
		return ctx, status.Error(codes.Unauthenticated, "missing internal identity")
	}
	p, err := c.identity.Verify(vals[0])
	if err != nil {
		return ctx, status.Error(codes.Unauthenticated, "invalid internal identity")
	}
	return auth.NewContext(ctx, p), nil
}

func (c *chain) validate(m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return nil
	}
	if err := c.validator.Validate(msg); err != nil {
		s, _ := errs.ToStatus(err)
		return s.Err()
	}
	return nil
}

// guard is the auth and validation steps plus the error boundary, around
// the handler; it runs inside the panic recovery.
func (c *chain) guard(ctx context.Context, o *observation, req any, handle func(context.Context) error) error {
	ctx, err := c.authenticate(ctx, o.method)
	if err != nil {
		return err
	}
	if p, ok := auth.FromContext(ctx); ok {
		o.principal = p.String()
	}
	if req != nil {
		if err := c.validate(req); err != nil {
			return err
		}
	}
	return c.toStatus(ctx, o.method, handle(ctx))
}

func (c *chain) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, o := c.observe(ctx, info.FullMethod)
	var resp any
	err := recovered(ctx, info.FullMethod, func() error {
		return c.guard(ctx, o, req, func(ctx context.Context) (err error) {
			resp, err = handler(ctx, req)
			return err
		})
	})
	c.record(ctx, o, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (c *chain) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, o := c.observe(ss.Context(), info.FullMethod)
	err := recovered(ctx, info.FullMethod, func() error {
		return c.guard(ctx, o, nil, func(ctx context.Context) error {
			return handler(srv, &validatingStream{ServerStream: ss, ctx: ctx, chain: c})
		})
	})
	c.record(ctx, o, err)
	return err
}

// validatingStream gives handlers the enriched context and validates every
// received message like a unary request.
type validatingStream struct {
	grpc.ServerStream
	ctx   context.Context
	chain *chain
}

func (s *validatingStream) Context() context.Context { return s.ctx }

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.chain.validate(m)
}

// shortMethod keeps metric label values short: "Service/Method".
func shortMethod(full string) string {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndex(full, "."); i >= 0 {
		return full[i+1:]
	}
	return full
}
