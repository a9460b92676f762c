package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/gateway"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
)

// liveSuite is the all-in-one suite assembled in the test process from the
// launcher's own pieces, so a test can stop and restart one component.
type liveSuite struct {
	t       testing.TB
	rt      *suiteRuntime
	url     string
	devKey  ed25519.PrivateKey
	mu      sync.Mutex
	running map[string]*runningComponent
}

type runningComponent struct {
	cancel context.CancelFunc
	done   chan error
}

func newLiveSuite(t testing.TB, extraFlags ...string) *liveSuite {
	t.Helper()
	dir := t.TempDir()
	f, err := parseUpFlags(append([]string{"--dev", "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--log-level", "error"}, extraFlags...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateKey(identityKeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	devKey, err := auth.LoadOrCreateKey(f.users.DevKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := prepareSettings(f); err != nil {
		t.Fatal(err)
	}
	s := &liveSuite{t: t, devKey: devKey, running: map[string]*runningComponent{}}
	s.rt = &suiteRuntime{flags: f, key: key, peers: map[string]string{}, logOut: io.Discard}
	s.rt.registry = obs.NewRegistry()
	listeners := map[string]net.Listener{}
	for _, svc := range services {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners[svc.Name] = l
		s.rt.peers[svc.Name] = l.Addr().String()
	}
	for _, svc := range services {
		s.startOn(svc, listeners[svc.Name])
	}
	users, err := f.users.Verifier(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + httpLis.Addr().String()
	env := s.rt.env(component.Gateway)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Config{Env: env, Gatherer: s.registry(), Users: users, Settings: f.gateway}, httpLis)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway: %v", err)
		}
		s.mu.Lock()
		names := make([]string, 0, len(s.running))
		for name := range s.running {
			names = append(names, name)
		}
		s.mu.Unlock()
		for _, name := range names {
			s.stop(name)
		}
	})
	s.waitReady()
	return s
}

func (s *liveSuite) registry() *prometheus.Registry { return s.rt.registry }

func (s *liveSuite) startOn(svc component.Service, lis net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	rc := &runningComponent{cancel: cancel, done: make(chan error, 1)}
	env := s.rt.env(svc.Name)
	go func() { rc.done <- component.Run(ctx, svc, env, lis) }()
	s.mu.Lock()
	s.running[svc.Name] = rc
	s.mu.Unlock()
}

// stop stops one component and waits until it has let go of its database.
func (s *liveSuite) stop(name string) {
	s.mu.Lock()
	rc := s.running[name]
	delete(s.running, name)
	s.mu.Unlock()
	if rc == nil {
		return
	}
	rc.cancel()
	if err := <-rc.done; err != nil {
		s.t.Errorf("%s: %v", name, err)
	}
}

// restart starts a stopped component again on its old address.
func (s *liveSuite) restart(name string) {
	s.t.Helper()
	for _, svc := range services {
		if svc.Name != name {
			continue
		}
		lis, err := net.Listen("tcp", s.rt.peers[name])
		if err != nil {
			s.t.Fatal(err)
		}
		s.startOn(svc, lis)
	}
}

func (s *liveSuite) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatal("suite not ready")
}

func (s *liveSuite) user(email string) string {
	s.t.Helper()
	tok, err := auth.MintDevToken(s.devKey, email, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return "Bearer " + tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (r response) reason() string {
	details, _ := r.body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok && m["reason"] != nil {
			return m["reason"].(string)
		}
	}
	return ""
}

func (s *liveSuite) do(method, path string, headers map[string]string, body string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// must fails the test unless the call answered want.
func (s *liveSuite) must(want int, method, path, authz, body string) response {
	s.t.Helper()
	r := s.do(method, path, map[string]string{"Authorization": authz}, body)
	if r.status != want {
		s.t.Fatalf("%s %s: %d %v, want %d", method, path, r.status, r.body, want)
	}
	return r
}

// fixture: owner@example.com owns organizations/acme with devices fw1 and
// fw2 (active licenses) and an API token on fw1.
type fixture struct {
	owner  string
	secret string
	token  string // resource name
}

func (s *liveSuite) fixture() fixture {
	s.t.Helper()
	owner := s.user("owner@example.com")
	s.must(200, "POST", "/v1/organizations?organization_id=acme", owner, `{"display_name":"Acme"}`)
	for i, id := range []string{"fw1", "fw2"} {
		s.must(200, "POST", "/v1/organizations/acme/devices?device_id="+id, owner,
			`{"display_name":"`+id+`","serial_number":"SN000`+string(rune('1'+i))+`","mac_address":"00:11:22:33:44:5`+string(rune('1'+i))+`",`+
				`"time_zone":"Europe/Berlin","license":{"expire_time":"`+time.Now().Add(90*24*time.Hour).UTC().Format(time.RFC3339)+`"}}`)
	}
	r := s.must(200, "POST", "/v1/organizations/acme/devices/fw1/apiTokens", owner, `{"display_name":"siem"}`)
	return fixture{owner: owner, secret: r.body["secret"].(string), token: r.body["api_token"].(map[string]any)["name"].(string)}
}
