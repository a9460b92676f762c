package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Outages (DESIGN.md "A dependency down gives 503/UNAVAILABLE with a clear
// message, never a 500 or a hang; recovery is automatic"): each backend is
// stopped under light concurrent load. Requests that need it get 503 with
// a reason and Retry-After, everything else keeps its usual answer, cached
// API tokens keep working while the token service is down, and every
// request works again after the restart without anything else being
// restarted.

// outageProbe is one request with its answer when every backend is up.
type outageProbe struct {
	name    string
	method  string
	path    string
	authz   string
	body    func() string
	healthy int
	// direct are the backends the endpoint itself is served by: with one
	// of them down the answer must be 503. With any other backend down
	// the answer is the healthy one or 503, nothing else.
	direct []string
	// openAPI answers in the Open API error shape.
	openAPI bool
	// streamBug marks logs:stream, whose errors do not go through the
	// gateway's error handler (see TestLogStreamErrorsAreAPIErrors): a 503
	// there is accepted without Retry-After and reason until that is fixed.
	streamBug bool
}

func (p outageProbe) needs(backend string) bool {
	for _, b := range p.direct {
		if b == backend {
			return true
		}
	}
	return false
}

// check returns what is wrong with r while down is stopped ("" if all is
// well; down is "" when everything runs).
func (p outageProbe) check(r restReply, down string) string {
	switch {
	case r.header.Get("X-Request-Id") == "":
		return "no X-Request-Id"
	case r.status == http.StatusServiceUnavailable && down != "" && p.streamBug && streamErrorBug:
		return ""
	case r.status == http.StatusServiceUnavailable && down != "":
		if r.header.Get("Retry-After") == "" {
			return "503 without Retry-After"
		}
		if p.openAPI {
			if !strings.Contains(string(r.body), `"internal-server-error"`) {
				return "503 without the Open API error body: " + string(r.body)
			}
			return ""
		}
		if r.reason() == "" {
			return "503 without an ErrorInfo reason: " + string(r.body)
		}
		return ""
	case down != "" && p.needs(down):
		return fmt.Sprintf("got %d, want 503 (%s is down)", r.status, down)
	case r.status != p.healthy:
		return fmt.Sprintf("got %d, want %d", r.status, p.healthy)
	}
	return ""
}

func (p outageProbe) do(ctx context.Context, c *restClient) (restReply, error) {
	body := ""
	if p.body != nil {
		body = p.body()
	}
	if p.openAPI {
		return c.callHeaders(ctx, p.method, p.path, map[string]string{"X-Authorization": p.authz, "Content-Type": "application/json"}, body)
	}
	return c.call(ctx, p.method, p.path, p.authz, body)
}

// callHeaders is call with arbitrary request headers.
func (c *restClient) callHeaders(ctx context.Context, method, path string, headers map[string]string, body string) (restReply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		return restReply{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return restReply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return restReply{}, err
	}
	return restReply{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

func TestBackendOutages(t *testing.T) {
	for _, backend := range []string{"tenancy", "membership", "token", "export"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testOutage(t, backend)
		})
	}
}

func testOutage(t *testing.T, backend string) {
	s := newLiveSuite(t, "--auth-failures-per-minute", "100000", "--token-rate", "100000", "--token-burst", "100000",
		"--archive-quota-per-hour", "100000")
	f := s.fixture()
	rest := newRESTClient(s.url, 5*time.Second) // a hang is a failure
	member := s.user("member@example.com")
	rest.must(t, 200, "POST", "/v1/members", f.owner, `{"email":"member@example.com","access_privilege":"PRIVILEGE_ADMIN"}`)
	rest.must(t, 200, "POST", "/v1/organizations/acme/devices?device_id=spare", f.owner, deviceBody("spare", "SPARE0001", macFor(900)))
	s.ingest("organizations/acme/devices/fw1", 2, 48)
	// A token that is never used before the outage: the gateway has not
	// cached it.
	fresh := s.must(200, "POST", "/v1/organizations/acme/devices/fw1/apiTokens", f.owner, `{"display_name":"fresh"}`).body["secret"].(string)
	cached := bearer(f.secret)
	var devices atomic.Int64
	newDevice := func() string {
		n := devices.Add(1)
		return deviceBody("new", fmt.Sprintf("OUTAGE%05d", n), macFor(1000+int(n)))
	}
	var deviceIDs atomic.Int64
	yesterday := `{"device_date":"` + deviceDay(1) + `"}`

	probes := []outageProbe{
		{name: "owner GET organization", method: "GET", path: "/v1/organizations/acme", authz: f.owner, healthy: 200, direct: []string{"tenancy"}},
		{name: "owner GET organizations", method: "GET", path: "/v1/organizations", authz: f.owner, healthy: 200, direct: []string{"tenancy"}},
		{name: "member GET organization", method: "GET", path: "/v1/organizations/acme", authz: member, healthy: 200, direct: []string{"tenancy"}},
		{name: "member GET device", method: "GET", path: "/v1/organizations/acme/devices/fw1", authz: member, healthy: 200, direct: []string{"tenancy"}},
		{name: "member GET devices", method: "GET", path: "/v1/organizations/acme/devices", authz: member, healthy: 200, direct: []string{"tenancy"}},
		{name: "member PATCH device", method: "PATCH", path: "/v1/organizations/acme/devices/fw2?update_mask=display_name", authz: member,
			body: func() string { return `{"display_name":"renamed"}` }, healthy: 200, direct: []string{"tenancy"}},
		{name: "owner POST device", method: "POST", authz: f.owner, healthy: 200, direct: []string{"tenancy"}, body: newDevice}, // path set per call
		{name: "owner GET members", method: "GET", path: "/v1/members", authz: f.owner, healthy: 200, direct: []string{"membership"}},
		{name: "owner checkAccess", method: "GET", path: "", authz: f.owner, healthy: 200, direct: []string{"membership"}},
		{name: "owner GET apiTokens", method: "GET", path: "/v1/organizations/acme/devices/fw1/apiTokens", authz: f.owner, healthy: 200, direct: []string{"token"}},
		{name: "member GET apiTokens", method: "GET", path: "/v1/organizations/acme/devices/fw1/apiTokens", authz: member, healthy: 200, direct: []string{"token"}},
		{name: "owner GET logs", method: "GET", path: "/v1/organizations/acme/devices/fw1/logs?page_size=10", authz: f.owner, healthy: 200, direct: []string{"export"}},
		{name: "member GET logs", method: "GET", path: "/v1/organizations/acme/devices/fw1/logs?page_size=10", authz: member, healthy: 200, direct: []string{"export"}},
		{name: "cached token GET logs", method: "GET", path: "/v1/organizations/acme/devices/fw1/logs?page_size=10", authz: cached, healthy: 200, direct: []string{"export"}},
		{name: "cached token GET logs:stream", method: "GET", path: "/v1/organizations/acme/devices/fw1/logs:stream", authz: cached, healthy: 200, direct: []string{"export"}, streamBug: true},
		{name: "cached token GET /v1/token", method: "GET", path: "/v1/token", authz: cached, healthy: 200},
		{name: "cached token archive", method: "POST", path: ArchivePathForTest, authz: cached, healthy: 200, direct: []string{"export"}, openAPI: true,
			body: func() string { return yesterday }},
	}
	members := s.must(200, "GET", "/v1/members", f.owner, "").body["members"].([]any)
	memberName := members[0].(map[string]any)["name"].(string)
	for i := range probes {
		if probes[i].name == "owner checkAccess" {
			probes[i].path = "/v1/" + memberName + ":checkAccess?target=organizations/acme/devices/fw1"
		}
	}
	deviceProbe := func(p outageProbe) outageProbe {
		if p.name == "owner POST device" {
			p.path = fmt.Sprintf("/v1/organizations/acme/devices?device_id=new-%d", deviceIDs.Add(1))
		}
		return p
	}
	ctx := context.Background()
	runProbe := func(p outageProbe, down string) string {
		p = deviceProbe(p)
		start := time.Now()
		r, err := p.do(ctx, rest)
		if err != nil {
			return fmt.Sprintf("%s: no answer after %s: %v", p.name, time.Since(start).Round(time.Millisecond), err)
		}
		if problem := p.check(r, down); problem != "" {
			return fmt.Sprintf("%s: %s (%s %s)", p.name, problem, r.header.Get("Content-Type"), truncate(r.body, 300))
		}
		return ""
	}
	for _, p := range probes {
		if problem := runProbe(p, ""); problem != "" {
			t.Fatalf("before the outage: %s", problem)
		}
	}

	// Light load over every probe for the whole test.
	var (
		mu       sync.Mutex
		problems []string
		answers  = map[int]int{}
	)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := w; loadCtx.Err() == nil && i < 100000; i++ {
				p := deviceProbe(probes[i%len(probes)])
				r, err := p.do(loadCtx, rest)
				if loadCtx.Err() != nil {
					return
				}
				mu.Lock()
				// While a backend stops or starts, either answer is right:
				// judge with the more lenient of "it is down" and "it is up"
				// (the strict checks are the probes run between the two).
				var problem string
				if err != nil {
					problem = fmt.Sprintf("%s: no answer: %v", p.name, err)
				} else if p.check(r, backend) != "" && p.check(r, "") != "" {
					problem = fmt.Sprintf("%s: %s %s", p.name, p.check(r, backend), truncate(r.body, 200))
				}
				if problem != "" {
					problems = append(problems, problem)
				}
				if err == nil {
					answers[r.status]++
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}

	time.Sleep(200 * time.Millisecond)
	stopping := time.Now()
	s.stop(backend)
	t.Logf("%s stopped in %s", backend, time.Since(stopping).Round(time.Millisecond))
	time.Sleep(100 * time.Millisecond)
	var got503 int
	for _, p := range probes {
		if problem := runProbe(p, backend); problem != "" {
			t.Errorf("%s down: %s", backend, problem)
		}
		if p.needs(backend) {
			got503++
		}
	}
	if backend == "token" {
		r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(fresh)}, "")
		if r.status != http.StatusServiceUnavailable || r.reason() != "TOKEN_SERVICE_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
			t.Errorf("uncached token while the token service is down: %d %q", r.status, r.reason())
		}
	}
	if got503 == 0 {
		t.Fatalf("no probe needs %s", backend)
	}

	s.restart(backend)
	deadline := time.Now().Add(15 * time.Second)
	recovered := time.Now()
	for {
		var pending []string
		for _, p := range probes {
			if problem := runProbe(p, ""); problem != "" {
				pending = append(pending, problem)
			}
		}
		if r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(fresh)}, ""); r.status != 200 {
			pending = append(pending, fmt.Sprintf("fresh token: %d %q", r.status, r.reason()))
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s restarted 15s ago, still failing: %s", backend, strings.Join(pending, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stopLoad()
	waitBounded(t, &wg, 10*time.Second, "load")

	mu.Lock()
	defer mu.Unlock()
	sort.Strings(problems)
	for i, p := range problems {
		if i == 10 {
			t.Errorf("... and %d more", len(problems)-10)
			break
		}
		t.Errorf("under load: %s", p)
	}
	if answers[503] == 0 {
		t.Errorf("the load never saw the outage: %v", answers)
	}
	t.Logf("%s: recovered %s after the restart; load answers %v", backend, time.Since(recovered).Round(time.Millisecond), answers)
}

// ArchivePathForTest is the Open API archive endpoint.
const ArchivePathForTest = "/open-api/v1/archive-logs/download"

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// streamErrorBug: errors of GET …/logs:stream that the export service
// returns once the stream is open (any error after the call is accepted,
// e.g. NOT_FOUND, INVALID_TIME_RANGE, or UNAVAILABLE when tenancy or
// membership is down) bypass the gateway's errorHandler: grpc-gateway's
// default stream error handler writes {"error": {...}} instead of the
// google.rpc.Status every /v1 error uses, a 503 has no Retry-After and no
// reason, and the raw transport error (with internal addresses) reaches
// the client. Set to false once the gateway installs a stream error
// handler (runtime.WithStreamErrorHandler) that renders like errorHandler.
const streamErrorBug = false

func TestLogStreamErrorsAreAPIErrors(t *testing.T) {
	if streamErrorBug {
		t.Skip("bug: logs:stream errors bypass the gateway's errorHandler (see streamErrorBug)")
	}
	s := newLiveSuite(t)
	f := s.fixture()
	path := "/v1/organizations/acme/devices/fw1/logs:stream"
	// A refused stream: 404 for an outsider, as a google.rpc.Status.
	r := s.do("GET", path, map[string]string{"Authorization": s.user("outsider@example.com")}, "")
	if r.status != 404 || r.body["code"] != float64(5) || r.reason() != "NOT_FOUND" {
		t.Errorf("outsider: %d %v, want 404 with a google.rpc.Status body, reason NOT_FOUND", r.status, r.body)
	}
	// A dependency of the export service down: 503, Retry-After, a reason,
	// and no transport details.
	s.stop("tenancy")
	r = s.do("GET", path, map[string]string{"Authorization": f.owner}, "")
	msg, _ := r.body["message"].(string)
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.reason() == "" || strings.Contains(msg, "dial tcp") {
		t.Errorf("tenancy down: %d Retry-After=%q %v, want 503 with Retry-After and a reason, no transport details",
			r.status, r.header.Get("Retry-After"), r.body)
	}
}
