package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tollgate/tollgate/gateway"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
	"github.com/tollgate/tollgate/services/export"
	"github.com/tollgate/tollgate/services/membership"
	"github.com/tollgate/tollgate/services/tenancy"
	"github.com/tollgate/tollgate/services/token"
)

// services are the backends of an all-in-one suite, in start order (as in
// cmd/tollgate/up.go).
var services = []component.Service{tenancy.Component, membership.Component, token.Component, export.Component}

// benchGatewayFlags lift the per-token rate limit and the failed-auth limit
// of the gateways under test: the harness sends tens of thousands of
// requests per second with one token, and the revocation trials collect
// hundreds of 401s from one address. Everything else keeps its default.
var benchGatewayFlags = []string{"--token-rate", "1e9", "--token-burst", "1000000", "--auth-failures-per-minute", "1000000"}

func benchGatewaySettings() *gateway.Settings {
	s := gateway.NewSettings()
	s.TokenRate, s.TokenBurst, s.AuthFailuresPerMin = 1e9, 1_000_000, 1_000_000
	return s
}

// suiteState is the part of the state file of `tollgate up` (cmd/tollgate
// state.go) the harness reads.
type suiteState struct {
	PID         int               `json:"pid"`
	HTTPAddr    string            `json:"http_addr"`
	BaseURL     string            `json:"base_url"`
	Components  map[string]string `json:"components"`
	IdentityKey string            `json:"identity_key"`
	DevUserKey  string            `json:"dev_user_key,omitempty"`
}

const stateFile = "tollgate.json"

// Suite is a running all-in-one suite in dev mode.
type Suite struct {
	BaseURL string
	Peers   map[string]string // gRPC addresses by component
	Key     ed25519.PrivateKey
	DevKey  ed25519.PrivateKey
	// PID is the process whose memory is reported: the `tollgate up`
	// process, or the harness itself for an in-process suite.
	PID      int
	External bool
	stop     func() error
}

// Stop stops the suite and waits for it.
func (s *Suite) Stop() error { return s.stop() }

func (s *Suite) user(email string) (string, error) {
	tok, err := auth.MintDevToken(s.DevKey, email, 2*time.Hour)
	return "Bearer " + tok, err
}

// startExternal starts `bin up --dev` as a child process on loopback and
// waits until /readyz answers 200. ready is the time from exec to that.
func startExternal(ctx context.Context, bin, dataDir string, extra ...string) (s *Suite, ready time.Duration, err error) {
	args := append([]string{"up", "--dev", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0"}, extra...)
	return startProcess(ctx, append([]string{bin}, args...), dataDir)
}

// startProcess runs argv (something that behaves like `tollgate up`: it
// writes the state file into dataDir) and waits for /readyz.
func startProcess(ctx context.Context, argv []string, dataDir string) (*Suite, time.Duration, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, 0, err
	}
	_ = os.Remove(filepath.Join(dataDir, stateFile))
	logFile, err := os.Create(filepath.Join(dataDir, "suite.log"))
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = os.Environ()
	// The suite must not outlive a harness that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("suite did not stop within 20s of SIGTERM; killed")
		}
	}
	fail := func(err error) (*Suite, time.Duration, error) {
		_ = stop()
		log, _ := os.ReadFile(filepath.Join(dataDir, "suite.log"))
		return nil, 0, fmt.Errorf("%w; suite log:\n%s", err, tail(string(log), 2000))
	}
	// The state file appears once every listener is bound; then /readyz.
	deadline := time.Now().Add(30 * time.Second)
	var st suiteState
	for {
		b, err := os.ReadFile(filepath.Join(dataDir, stateFile))
		if err == nil && json.Unmarshal(b, &st) == nil && st.BaseURL != "" {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			return fail(fmt.Errorf("suite exited before it was ready: %v", err))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(errors.New("no state file within 30s"))
		}
	}
	if err := waitReady(ctx, st.BaseURL, deadline); err != nil {
		return fail(err)
	}
	ready := time.Since(start)
	s := &Suite{BaseURL: st.BaseURL, Peers: st.Components, PID: cmd.Process.Pid, External: true, stop: stop}
	if s.Key, err = auth.LoadPrivateKey(st.IdentityKey); err != nil {
		return fail(err)
	}
	if st.DevUserKey != "" {
		if s.DevKey, err = auth.LoadPrivateKey(st.DevUserKey); err != nil {
			return fail(err)
		}
	}
	return s, ready, nil
}

func waitReady(ctx context.Context, baseURL string, deadline time.Time) error {
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/readyz", nil)
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return errors.New("/readyz not 200 in time")
		}
		time.Sleep(time.Millisecond)
	}
}

// startInProcess assembles the all-in-one suite in this process from the
// same pieces `tollgate up --dev` uses (one loopback listener per
// component, real gRPC between them), so the services can be profiled
// together with the harness.
func startInProcess(ctx context.Context, dataDir string, logOut io.Writer) (*Suite, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	key, err := auth.LoadOrCreateKey(filepath.Join(dataDir, "keys", "internal-identity.pem"))
	if err != nil {
		return nil, err
	}
	devKeyFile := auth.DevKeyPath(dataDir)
	devKey, err := auth.LoadOrCreateKey(devKeyFile)
	if err != nil {
		return nil, err
	}
	settings := map[string]component.Settings{}
	for _, svc := range services {
		if svc.NewSettings == nil {
			continue
		}
		s := svc.NewSettings()
		fs := flag.NewFlagSet(svc.Name, flag.ContinueOnError)
		s.Register(fs)
		if ts, ok := s.(*token.Settings); ok {
			if err := ts.UseDataDir(dataDir); err != nil {
				return nil, err
			}
		}
		settings[svc.Name] = s
	}
	registry := obs.NewRegistry()
	peers := map[string]string{}
	listeners := map[string]net.Listener{}
	for _, svc := range services {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners[svc.Name], peers[svc.Name] = l, l.Addr().String()
	}
	env := func(name string) component.Env {
		return component.Env{
			DataDir: dataDir, Logger: obs.NewLogger(logOut, slog.LevelInfo, name), Registerer: registry,
			Signer: auth.NewSigner(key, name, 0), Verifier: auth.NewVerifier(key.Public().(ed25519.PublicKey)),
			Peers: peers, Secret: key.Seed(), ShutdownTimeout: 10 * time.Second, Settings: settings[name],
		}
	}
	svcCtx, stopServices := context.WithCancel(context.Background())
	backends, backendsCtx := errgroup.WithContext(svcCtx)
	for _, svc := range services {
		backends.Go(func() error { return component.Run(backendsCtx, svc, env(svc.Name), listeners[svc.Name]) })
	}
	users, err := gateway.DevUserVerifier(ctx, devKey.Public().(ed25519.PublicKey))
	if err != nil {
		stopServices()
		return nil, errors.Join(err, backends.Wait())
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stopServices()
		return nil, errors.Join(err, backends.Wait())
	}
	gwCtx, stopGateway := context.WithCancel(context.Background())
	gwDone := make(chan error, 1)
	go func() {
		gwDone <- gateway.Run(gwCtx, gateway.Config{Env: env(component.Gateway), Gatherer: registry, Users: users, Settings: benchGatewaySettings()}, httpLis)
	}()
	s := &Suite{
		BaseURL: "http://" + httpLis.Addr().String(), Peers: peers, Key: key, DevKey: devKey, PID: os.Getpid(),
		stop: func() error {
			stopGateway()
			gwErr := <-gwDone
			stopServices()
			return errors.Join(gwErr, backends.Wait())
		},
	}
	if err := waitReady(ctx, s.BaseURL, time.Now().Add(30*time.Second)); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	st := suiteState{PID: os.Getpid(), HTTPAddr: httpLis.Addr().String(), BaseURL: s.BaseURL, Components: peers,
		IdentityKey: filepath.Join(dataDir, "keys", "internal-identity.pem"), DevUserKey: devKeyFile}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(filepath.Join(dataDir, stateFile), b, 0o600); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

// serveSuite runs an in-process suite until SIGTERM/SIGINT (the hidden
// `tollgate-bench suite` command; the smoke test's stand-in for `tollgate up`).
func serveSuite(ctx context.Context, dataDir string) error {
	s, err := startInProcess(ctx, dataDir, io.Discard)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return s.Stop()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// rss reads a memory figure (VmRSS, VmHWM) of pid in bytes.
func rss(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
