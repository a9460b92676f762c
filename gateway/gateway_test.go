package gateway

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"google.golang.org/grpc/metadata"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/server"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recordingTenancy answers CreateOrganization with the caller it saw and
// remembers the metadata that reached it.
type recordingTenancy struct {
	tenancyv1.UnimplementedTenancyServiceServer
	mu       sync.Mutex
	metadata []metadata.MD
	calls    int
}

func (r *recordingTenancy) CreateOrganization(ctx context.Context, req *tenancyv1.CreateOrganizationRequest) (*tenancyv1.CreateOrganizationResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	p, _ := auth.FromContext(ctx)
	r.mu.Lock()
	r.metadata = append(r.metadata, md)
	r.calls++
	r.mu.Unlock()
	return &tenancyv1.CreateOrganizationResponse{Organization: &tenancyv1.Organization{
		Name: "organizations/x", DisplayName: req.GetOrganization().GetDisplayName(), Owner: p.Email,
	}}, nil
}

type fixture struct {
	url      string
	tenancy  *recordingTenancy
	devKey   ed25519.PrivateKey
	stopping []func()
}

// startBackend serves a component's gRPC server with the shared chain on
// loopback and returns its address.
func startBackend(t *testing.T, pub ed25519.PublicKey, register func(*server.Server)) string {
	t.Helper()
	srv, err := server.New(server.Config{
		Component: "backend", Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Identity: auth.NewVerifier(pub),
	})
	if err != nil {
		t.Fatal(err)
	}
	if register != nil {
		register(srv)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return lis.Addr().String()
}

func newFixture(t *testing.T, downBackend string) *fixture {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	devPub, devKey, _ := ed25519.GenerateKey(rand.Reader)
	f := &fixture{tenancy: &recordingTenancy{}, devKey: devKey}
	peers := map[string]string{}
	for _, b := range Backends {
		switch {
		case b == downBackend:
			l, _ := net.Listen("tcp", "127.0.0.1:0")
			peers[b] = l.Addr().String()
			_ = l.Close() // nothing listens there
		case b == component.Tenancy:
			peers[b] = startBackend(t, pub, func(s *server.Server) { s.Register(&tenancyv1.TenancyService_ServiceDesc, f.tenancy) })
		default:
			peers[b] = startBackend(t, pub, nil)
		}
	}
	users, err := DevUserVerifier(context.Background(), devPub)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	g, err := New(context.Background(), Config{
		Env: component.Env{
			Logger: slog.New(slog.DiscardHandler), Registerer: reg,
			Signer: auth.NewSigner(key, component.Gateway, 0), Verifier: auth.NewVerifier(pub), Peers: peers,
		},
		Gatherer: reg,
		Users:    users,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(g.Handler())
	t.Cleanup(func() { ts.Close(); g.Close() })
	f.url = ts.URL
	return f
}

func (f *fixture) userToken(t *testing.T, email string, ttl time.Duration) string {
	t.Helper()
	tok, err := auth.MintDevToken(f.devKey, email, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expiredToken is a dev token that expired an hour ago (beyond any leeway).
func (f *fixture) expiredToken(t *testing.T, email string) string {
	t.Helper()
	past := time.Now().Add(-2 * time.Hour)
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": auth.DevIssuer, "aud": auth.DevAudience, "sub": email, "email": email,
		"iat": past.Unix(), "nbf": past.Unix(), "exp": past.Add(time.Hour).Unix(),
	})
	s, err := tok.SignedString(f.devKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (r reply) reason() string {
	details, _ := r.body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok && m["reason"] != nil {
			return m["reason"].(string)
		}
	}
	return ""
}

func do(t *testing.T, method, url string, body io.Reader, headers map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r.body); err != nil && len(raw) > 0 {
		t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("%s %s: no X-Request-Id", method, url)
	}
	return r
}

func TestCreateOrganizationForwardsVerifiedUserOnly(t *testing.T) {
	f := newFixture(t, "")
	body := `{"display_name":"Acme"}`
	r := do(t, "POST", f.url+"/v1/organizations", strings.NewReader(body), map[string]string{
		"Authorization":                     "Bearer " + f.userToken(t, "Alice@Example.com", time.Hour),
		"X-Tollgate-Identity":               "forged",
		"Grpc-Metadata-X-Tollgate-Identity": "forged",
		"X-Forwarded-User":                  "mallory@example.com",
	})
	if r.status != http.StatusOK || r.body["owner"] != "alice@example.com" || r.body["display_name"] != "Acme" {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	md := f.tenancy.metadata[0]
	if got := md.Get(auth.MetadataKey); len(got) != 1 || got[0] == "forged" {
		t.Fatalf("identity metadata %v", got)
	}
	for _, k := range []string{"authorization", "x-forwarded-user", "grpc-metadata-x-tollgate-identity"} {
		if len(md.Get(k)) != 0 {
			t.Errorf("client header %q reached the service", k)
		}
	}
}

func TestCredentialRejections(t *testing.T) {
	f := newFixture(t, "")
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	foreign, _ := auth.MintDevToken(otherKey, "a@b.c", time.Hour)
	cases := []struct {
		name    string
		headers map[string]string
		status  int
		reason  string
	}{
		{"missing", nil, 401, "CREDENTIALS_MISSING"},
		{"not bearer", map[string]string{"Authorization": "Basic YTpi"}, 401, "CREDENTIALS_MALFORMED"},
		{"garbage", map[string]string{"Authorization": "Bearer not-a-jwt"}, 401, "JWT_INVALID"},
		{"wrong key", map[string]string{"Authorization": "Bearer " + foreign}, 401, "JWT_INVALID"},
		{"expired", map[string]string{"Authorization": "Bearer " + f.expiredToken(t, "a@b.c")}, 401, "JWT_EXPIRED"},
		{"ambiguous", map[string]string{"Authorization": "Bearer " + f.userToken(t, "a@b.c", time.Hour), "X-API-Key": "other"}, 401, "CREDENTIALS_AMBIGUOUS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", f.url+"/v1/organizations", strings.NewReader(`{"display_name":"x"}`), tc.headers)
			if r.status != tc.status || r.reason() != tc.reason {
				t.Fatalf("got %d %q %v", r.status, r.reason(), r.body)
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate")
			}
		})
	}
	if f.tenancy.calls != 0 {
		t.Fatalf("%d rejected requests reached the service", f.tenancy.calls)
	}
}

func TestBadBodies(t *testing.T) {
	f := newFixture(t, "")
	auth := map[string]string{"Authorization": "Bearer " + f.userToken(t, "a@b.c", time.Hour)}
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"malformed", `{"display_name":`, 400},
		{"unknown field", `{"display_name":"x","colour":"red"}`, 400},
		{"wrong type", `{"display_name":42}`, 400},
		{"too large", `{"display_name":"` + strings.Repeat("x", 1<<20) + `"}`, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", f.url+"/v1/organizations", strings.NewReader(tc.body), auth)
			if r.status != tc.status || r.body["message"] == "" {
				t.Fatalf("got %d %v", r.status, r.body)
			}
		})
	}
	if f.tenancy.calls != 0 {
		t.Fatalf("%d bad requests reached the service", f.tenancy.calls)
	}
}

func TestMethodOverrideIsIgnored(t *testing.T) {
	f := newFixture(t, "")
	r := do(t, "POST", f.url+"/v1/organizations/x", strings.NewReader(`{}`), map[string]string{
		"Authorization":          "Bearer " + f.userToken(t, "a@b.c", time.Hour),
		"X-HTTP-Method-Override": "DELETE",
	})
	if r.status != http.StatusNotImplemented && r.status != http.StatusMethodNotAllowed && r.status != http.StatusNotFound {
		t.Fatalf("override was honoured? %d %v", r.status, r.body)
	}
}

func TestProbesAndDocuments(t *testing.T) {
	f := newFixture(t, "")
	if r := do(t, "GET", f.url+"/healthz", nil, nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := do(t, "GET", f.url+"/readyz", nil, nil); r.status != 200 || r.body["status"] != "ready" {
		t.Fatalf("readyz %d %v", r.status, r.body)
	}
	r := do(t, "GET", f.url+"/openapi.json", nil, nil)
	raw, _ := json.Marshal(r.body)
	if r.status != 200 || !bytes.Contains(raw, []byte(`"display_name"`)) || bytes.Contains(raw, []byte(`"displayName"`)) {
		t.Fatalf("openapi.json must use proto field names")
	}
	resp, err := http.Get(f.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte("tollgate_http_requests_total")) {
		t.Fatal("/metrics lacks the gateway's metrics")
	}
	if r := do(t, "GET", f.url+"/nope", nil, nil); r.status != 404 || r.reason() != "NOT_FOUND" {
		t.Fatalf("unknown path: %d %v", r.status, r.body)
	}
}

func TestReadyzNeedsEveryBackend(t *testing.T) {
	f := newFixture(t, component.Export)
	r := do(t, "GET", f.url+"/readyz", nil, nil)
	backends, _ := r.body["backends"].(map[string]any)
	if r.status != 503 || backends[component.Export] != "UNREACHABLE" || backends[component.Tenancy] != "SERVING" {
		t.Fatalf("readyz %d %v", r.status, r.body)
	}
}

func TestBackendDownIs503(t *testing.T) {
	f := newFixture(t, component.Membership)
	r := do(t, "GET", f.url+"/v1/members", nil, map[string]string{"Authorization": "Bearer " + f.userToken(t, "a@b.c", time.Hour)})
	if r.status != http.StatusServiceUnavailable || r.reason() != "BACKEND_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
		t.Fatalf("got %d %q %v", r.status, r.reason(), r.body)
	}
}
