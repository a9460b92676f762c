// Package client dials Tollgate components the way every internal caller
// should: with the internal identity on each call, the request id carried
// along, keepalive, and retries of idempotent calls on UNAVAILABLE.
//
//	signer := auth.NewSigner(key, "my-collector", 0)
//	conn, err := client.Dial("export.tollgate.svc:9104", client.Options{Signer: signer})
//	export := exportv1.NewExportServiceClient(conn)
package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/obs"
)

// Options configures a connection.
type Options struct {
	// Signer mints the internal identity for each call: the principal in the
	// call's context (auth.NewContext), else the signer's own service identity.
	Signer *auth.Signer
	// TLS secures the transport; nil means plaintext (loopback, or a mesh
	// that encrypts for us).
	TLS credentials.TransportCredentials
	// Extra dial options, appended last.
	DialOptions []grpc.DialOption
}

// Dial returns a lazily connecting client for target ("host:port" or any
// gRPC target URI).
func Dial(target string, opts Options) (*grpc.ClientConn, error) {
	if opts.Signer == nil {
		return nil, errors.New("client: a signer for the internal identity is required")
	}
	creds := opts.TLS
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	dial := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(opts.Signer.PerRPCCredentials(opts.TLS != nil)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}),
		// Peers are few and close: after an outage, reconnect within
		// seconds rather than gRPC's default backoff of up to two minutes.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
			BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second,
		}, MinConnectTimeout: 5 * time.Second}),
		grpc.WithDefaultServiceConfig(retryServiceConfig()),
		grpc.WithChainUnaryInterceptor(propagateRequestID),
		grpc.WithChainStreamInterceptor(propagateRequestIDStream),
	}, opts.DialOptions...)
	return grpc.NewClient(target, dial...)
}

func withRequestID(ctx context.Context) context.Context {
	if id := obs.RequestID(ctx); id != "" {
		return metadata.AppendToOutgoingContext(ctx, obs.RequestIDHeader, id)
	}
	return ctx
}

func propagateRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(withRequestID(ctx), method, req, reply, cc, opts...)
}

func propagateRequestIDStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(withRequestID(ctx), desc, cc, method, opts...)
}

// idempotentPrefixes name the read-only RPCs of Tollgate's API: retrying
// them after UNAVAILABLE cannot do anything twice.
var idempotentPrefixes = []string{"Get", "List", "Check", "Decide", "Resolve", "Validate"}

// retryServiceConfig retries idempotent unary methods of every Tollgate
// service linked into this binary.
func retryServiceConfig() string {
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	var names []name
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "tollgate.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			svc := fd.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				m := svc.Methods().Get(j)
				if m.IsStreamingClient() || m.IsStreamingServer() || !hasIdempotentName(string(m.Name())) {
					continue
				}
				names = append(names, name{Service: string(svc.FullName()), Method: string(m.Name())})
			}
		}
		return true
	})
	cfg := map[string]any{
		"methodConfig": []any{map[string]any{
			"name": names,
			"retryPolicy": map[string]any{
				"maxAttempts":          4,
				"initialBackoff":       "0.05s",
				"maxBackoff":           "1s",
				"backoffMultiplier":    2.0,
				"retryableStatusCodes": []string{"UNAVAILABLE"},
			},
		}},
	}
	if len(names) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(cfg) // plain maps and strings always marshal
	return string(b)
}

func hasIdempotentName(method string) bool {
	for _, p := range idempotentPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}
