package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tollgate/tollgate/gateway"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// server is an HTTP server the harness runs on a loopback port.
type server struct {
	url  string
	stop func() error
}

// startGateway runs a complete gateway (gateway.Run, the code `tollgate up`
// and gatewayd run) in this process on a new loopback port, in front of
// the suite's backends. Its access log is formatted at info level, as in
// production, and discarded.
func startGateway(s *Suite, settings *gateway.Settings) (*server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	users, err := gateway.DevUserVerifier(context.Background(), s.DevKey.Public().(ed25519.PublicKey))
	if err != nil {
		lis.Close()
		return nil, err
	}
	reg := obs.NewRegistry()
	env := component.Env{
		Logger: obs.NewLogger(io.Discard, slog.LevelInfo, component.Gateway), Registerer: reg,
		Signer: auth.NewSigner(s.Key, component.Gateway, 0), Verifier: auth.NewVerifier(s.Key.Public().(ed25519.PublicKey)),
		Peers: s.Peers, Secret: s.Key.Seed(), ShutdownTimeout: 5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Config{Env: env, Gatherer: reg, Users: users, Settings: settings}, lis)
	}()
	srv := &server{url: "http://" + lis.Addr().String(), stop: func() error { cancel(); return <-done }}
	if err := waitReady(context.Background(), srv.url, time.Now().Add(20*time.Second)); err != nil {
		return nil, errors.Join(err, srv.stop())
	}
	return srv, nil
}

// startBareMux serves the same grpc-gateway mux as the gateway (the same
// generated handlers, JSON options and header policy) with no edge
// around it: no credential check, no token cache, rate limit, request id,
// access log or metrics. Every request is forwarded as principal, signed
// by the same signer the gateway uses.
func startBareMux(s *Suite, principal auth.Principal) (*server, error) {
	signer := auth.NewSigner(s.Key, component.Gateway, 0)
	conns := component.Conns{}
	for _, name := range gateway.Backends {
		conn, err := client.Dial(s.Peers[name], client.Options{Signer: signer})
		if err != nil {
			conns.Close()
			return nil, err
		}
		conns[name] = conn
	}
	none := func(string) (string, bool) { return "", false }
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(none),
		runtime.WithOutgoingHeaderMatcher(none),
		runtime.WithOutgoingTrailerMatcher(none),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
	)
	ctx := context.Background()
	if err := errors.Join(
		tenancyv1.RegisterTenancyServiceHandlerClient(ctx, mux, tenancyv1.NewTenancyServiceClient(conns[component.Tenancy])),
		membershipv1.RegisterMembershipServiceHandlerClient(ctx, mux, membershipv1.NewMembershipServiceClient(conns[component.Membership])),
		tokenv1.RegisterTokenServiceHandlerClient(ctx, mux, tokenv1.NewTokenServiceClient(conns[component.Token])),
		exportv1.RegisterExportServiceHandlerClient(ctx, mux, exportv1.NewExportServiceClient(conns[component.Export])),
	); err != nil {
		conns.Close()
		return nil, err
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), principal)))
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		conns.Close()
		return nil, err
	}
	hs := gateway.NewHTTPServer(handler)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(lis) }()
	return &server{url: "http://" + lis.Addr().String(), stop: func() error {
		err := hs.Shutdown(context.Background())
		<-done
		conns.Close()
		return err
	}}, nil
}

type edgeOptions struct {
	duration    time.Duration // per path and concurrency, over all rounds
	rounds      int
	concurrency []int
	quietBudget time.Duration
	paths       []string // only these paths (keys: grpc, bare, hit, miss, suite); all when empty
}

// edgeTarget is one way to make the same call: GetCallerToken, the API
// token describing itself (REST: GET /v1/token).
type edgeTarget struct {
	key, name string
	call      func(context.Context) error
}

// runEdge measures scenario 1 (and the end-to-end side of scenario 2):
// the same small authenticated read through the full gateway (cache hit
// and, separately, cache miss on every request), through the bare mux,
// and straight over gRPC, at the same concurrency for the same time.
func runEdge(ctx context.Context, s *Suite, f fixture, o edgeOptions, logf func(string, ...any)) (*section, error) {
	sec := &section{
		title:  "1. Gateway auth edge (and 2. token cache hit vs miss, end to end): GET /v1/token with an API token",
		header: []string{"path", "concurrency", "requests/s (median of rounds)", "p50", "p99", "vs direct gRPC", "vs bare mux", "CPU µs per request (harness + suite)", "other processes' CPU (cores)"},
	}
	full, err := startGateway(s, benchGatewaySettings())
	if err != nil {
		return nil, err
	}
	defer full.stop()
	missSettings := benchGatewaySettings()
	missSettings.TokenCacheTTL = time.Nanosecond // every request validates with the token service
	miss, err := startGateway(s, missSettings)
	if err != nil {
		return nil, err
	}
	defer miss.stop()
	bare, err := startBareMux(s, f.tokenPrincipal())
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	conn, err := client.Dial(s.Peers[component.Token], client.Options{Signer: auth.NewSigner(s.Key, component.Gateway, 0)})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tokens := tokenv1.NewTokenServiceClient(conn)
	principal := f.tokenPrincipal()
	// Before each run the harness waits for the host to be quiet, up to
	// this much in all.
	quietBudget := o.quietBudget

	for _, conc := range o.concurrency {
		hc := newHTTPClient(conc)
		header := http.Header{"X-Api-Key": {f.secret}}
		rest := func(base string) func(context.Context) error {
			return func(ctx context.Context) error { return getOK(ctx, hc, base+"/v1/token", header) }
		}
		targets := []edgeTarget{
			{"grpc", "direct gRPC (Go client → token service)", func(ctx context.Context) error {
				_, err := tokens.GetCallerToken(auth.NewContext(ctx, principal), &tokenv1.GetCallerTokenRequest{})
				return err
			}},
			{"bare", "REST, bare grpc-gateway mux (no auth layer)", rest(bare.url)},
			{"hit", "REST, full gateway, token cache hit", rest(full.url)},
			{"miss", "REST, full gateway, cache miss every request", rest(miss.url)},
		}
		if s.External {
			targets = append(targets, edgeTarget{"suite", "REST, the suite's own gateway (`tollgate up` process)", rest(s.BaseURL)})
		}
		if len(o.paths) > 0 {
			targets = slices.DeleteFunc(targets, func(t edgeTarget) bool { return !slices.Contains(o.paths, t.key) })
		}
		// A short warm-up of every path first (connections, caches), then
		// the measured runs back to back.
		for _, t := range targets {
			if r := runLoad(ctx, conc, max(o.duration/5, 50*time.Millisecond), t.call); r.requests == 0 {
				return nil, fmt.Errorf("%s: %w (%v)", t.name, errNoRuns, r.firstErr)
			}
		}
		// Rounds interleave the paths (rotating their order) so that drift
		// and other load on the machine hit every path alike.
		results := map[string]loadResult{}
		roundRates := map[string][]float64{}
		others := map[string]float64{}
		cpu := map[string]time.Duration{} // CPU time of harness and suite
		ours := func() []int { return []int{os.Getpid(), s.PID} }
		for round := range o.rounds {
			for i := range targets {
				t := targets[(i+round)%len(targets)]
				if quietBudget > 0 {
					quietBudget -= waitQuiet(ctx, ours, min(quietBudget, 5*time.Second))
				}
				meter := startCPUMeter(ours)
				r := runLoad(ctx, conc, o.duration/time.Duration(o.rounds), t.call)
				others[t.key] += meter.others() / float64(o.rounds)
				cpu[t.key] += meter.oursCPU()
				acc := results[t.key]
				acc.requests += r.requests
				acc.errors += r.errors
				acc.elapsed += r.elapsed
				acc.lat = append(acc.lat, r.lat...)
				if acc.firstErr == nil {
					acc.firstErr = r.firstErr
				}
				results[t.key] = acc
				roundRates[t.key] = append(roundRates[t.key], r.rate())
			}
		}
		// requests/s is the median of the rounds (robust against a round
		// that another process on the host slowed down); the latency
		// quantiles are over every request of every round.
		rate := map[string]float64{}
		for _, t := range targets {
			r := results[t.key]
			slices.Sort(r.lat)
			results[t.key] = r
			rates := roundRates[t.key]
			slices.Sort(rates)
			rate[t.key] = rates[len(rates)/2]
			if len(rates)%2 == 0 {
				rate[t.key] = (rates[len(rates)/2-1] + rates[len(rates)/2]) / 2
			}
			if r.requests == 0 {
				return nil, fmt.Errorf("%s: %w (%v)", t.name, errNoRuns, r.firstErr)
			}
			if r.errors > 0 {
				sec.note("%s at concurrency %d: %d failed requests (first: %v).", t.name, conc, r.errors, r.firstErr)
			}
			logf("edge: %-50s c=%-3d %8.0f req/s p50 %s p99 %s (other processes: %.2f cores)", t.name, conc, rate[t.key],
				fmtDur(r.quantile(.5)), fmtDur(r.quantile(.99)), others[t.key])
		}
		for _, t := range targets {
			r := results[t.key]
			vsGRPC, vsBare := "", ""
			if t.key != "grpc" {
				vsGRPC = fmt.Sprintf("%.2f×", rate[t.key]/rate["grpc"])
			}
			if t.key != "grpc" && t.key != "bare" {
				vsBare = fmt.Sprintf("%.2f×", rate[t.key]/rate["bare"])
			}
			sec.add(t.name, fmt.Sprint(conc), fmtRate(rate[t.key]), fmtDur(r.quantile(.5)), fmtDur(r.quantile(.99)), vsGRPC, vsBare,
				fmt.Sprintf("%.0f", cpuPerRequest(cpu[t.key], r.requests)), fmt.Sprintf("%.2f", others[t.key]))
		}
		hit, b, g := rate["hit"], rate["bare"], rate["grpc"]
		cpuHit, cpuBare := cpuPerRequest(cpu["hit"], results["hit"].requests), cpuPerRequest(cpu["bare"], results["bare"].requests)
		sec.note("Concurrency %d: the auth edge costs %.0f %% of the bare mux's throughput (target ≤ 15 %%: %s) and %.0f µs (%+.0f %%) of CPU per request; REST through the gateway reaches %.0f %% of direct gRPC (target ≥ 60 %%: %s).",
			conc, 100*(1-hit/b), verdict(1-hit/b <= 0.15), cpuHit-cpuBare, 100*(cpuHit/cpuBare-1), 100*hit/g, verdict(hit/g >= 0.60))
		hc.CloseIdleConnections()
	}
	sec.note("Closed loop: each of the concurrent clients sends its next request when the previous answer is read; %s per path and concurrency after a warm-up, in %d interleaved rounds. "+
		"The full gateways and the bare mux run in the harness process in front of the suite's backends; the harness also generates the load, so every path shares the same 2-core budget with it. "+
		"Gateways under test run with the per-token rate limit lifted (`%s`). "+
		"CPU per request is the CPU time of the harness (load generator included) and the suite, divided by the requests: it hardly depends on other load on the host. "+
		"The last column is CPU used meanwhile by processes other than the harness and the suite (from /proc/stat): well above 0 means the host was busy with other work and the row is less trustworthy; "+
		"before each run the harness waits (up to a budget) for the host to go quiet.",
		o.duration, o.rounds, joinFlags(benchGatewayFlags))
	return sec, nil
}

func joinFlags(f []string) string {
	out := ""
	for i, s := range f {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

func cpuPerRequest(cpu time.Duration, requests int) float64 {
	if requests == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(requests)
}
