package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func bearer(secret string) string { return "Bearer " + secret }

func TestRevocationReachesTheGatewayWithinASecond(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	// Warm the validation cache.
	for range 3 {
		s.must(200, "GET", "/v1/token", bearer(f.secret), "")
	}
	s.must(200, "DELETE", "/v1/"+f.token, f.owner, "")
	revoked := time.Now()
	for {
		r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(f.secret)}, "")
		if r.status == http.StatusUnauthorized {
			if r.reason() != "TOKEN_REVOKED" {
				t.Fatalf("reason %q", r.reason())
			}
			break
		}
		// DESIGN.md: no gateway may accept a revoked token more than one
		// second later (the 100 ms target is measured by `make bench`).
		if time.Since(revoked) > time.Second {
			t.Fatalf("revoked token still accepted after %v", time.Since(revoked))
		}
	}
	t.Logf("revocation visible after %v", time.Since(revoked))
}

func TestRotation(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	s.must(200, "GET", "/v1/token", bearer(f.secret), "")

	r := s.must(200, "POST", "/v1/"+f.token+":rotate", f.owner, `{"grace_period":"3600s"}`)
	second := r.body["secret"].(string)
	s.must(200, "GET", "/v1/token", bearer(f.secret), "") // within its grace period
	s.must(200, "GET", "/v1/token", bearer(second), "")

	r = s.must(200, "POST", "/v1/"+f.token+":rotate", f.owner, `{"grace_period":"0s"}`)
	third := r.body["secret"].(string)
	s.must(401, "GET", "/v1/token", bearer(second), "")
	s.must(200, "GET", "/v1/token", bearer(third), "")
}

func TestTokenScope(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	tok := bearer(f.secret)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/organizations"},
		{"POST", "/v1/organizations"},
		{"GET", "/v1/organizations/acme/devices/fw1"},
		{"GET", "/v1/organizations/acme/devices/fw1/apiTokens"},
		{"GET", "/v1/organizations/acme/devices/fw2/logs"},
		{"GET", "/v1/members"},
		{"DELETE", "/v1/" + f.token},
	} {
		r := s.do(c.method, c.path, map[string]string{"Authorization": tok}, "{}")
		if r.status != http.StatusForbidden || r.reason() != "TOKEN_SCOPE" {
			t.Errorf("%s %s: %d %q", c.method, c.path, r.status, r.reason())
		}
	}
	s.must(200, "GET", "/v1/organizations/acme/devices/fw1/logs", tok, "")
	for _, h := range []string{"Authorization", "X-Authorization"} {
		if r := s.do("GET", "/v1/token", map[string]string{h: tok}, ""); r.status != 200 {
			t.Errorf("%s: %d", h, r.status)
		}
	}
	if r := s.do("GET", "/v1/token", map[string]string{"X-API-Key": f.secret}, ""); r.status != 200 {
		t.Errorf("X-API-Key: %d", r.status)
	}
	r := s.must(200, "GET", "/v1/token", tok, "")
	if r.body["device"] != "organizations/acme/devices/fw1" || r.body["quota"] == nil {
		t.Fatalf("GET /v1/token: %v", r.body)
	}
}

func TestLicenseExpiryAndRenewal(t *testing.T) {
	s := newLiveSuite(t, "--token-cache-ttl", "2s")
	f := s.fixture()
	s.must(200, "GET", "/v1/token", bearer(f.secret), "")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	s.must(200, "PATCH", "/v1/organizations/acme/devices/fw1?update_mask=license.expire_time", f.owner, `{"license":{"expire_time":"`+past+`"}}`)
	// A cached validation keeps the old license for at most the cache TTL;
	// a fresh one sees the expiry at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(f.secret)}, "")
		if r.status == http.StatusForbidden && r.reason() == "LICENSE_EXPIRED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("expired license not enforced: %d %v", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	s.must(200, "PATCH", "/v1/organizations/acme/devices/fw1?update_mask=license.expire_time", f.owner, `{"license":{"expire_time":"`+future+`"}}`)
	s.must(200, "GET", "/v1/token", bearer(f.secret), "") // renewal works at once
}

func TestRateLimits(t *testing.T) {
	s := newLiveSuite(t, "--token-rate", "0.01", "--token-burst", "3", "--auth-failures-per-minute", "3")
	f := s.fixture()
	for i := range 3 {
		r := s.must(200, "GET", "/v1/token", bearer(f.secret), "")
		if got := r.header.Get("RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Fatalf("RateLimit-Remaining = %q after %d requests", got, i+1)
		}
	}
	r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(f.secret)}, "")
	if r.status != http.StatusTooManyRequests || r.reason() != "TOKEN_RATE_LIMITED" || r.header.Get("Retry-After") == "" || r.header.Get("RateLimit-Limit") != "3" {
		t.Fatalf("4th request: %d %q %v", r.status, r.reason(), r.header)
	}

	// Failed authentications are limited per client address.
	// Change the last checksum character (to one it is not): malformed.
	last := f.secret[len(f.secret)-1]
	replacement := "x"
	if last == 'x' {
		replacement = "y"
	}
	wrong := f.secret[:len(f.secret)-1] + replacement
	for range 3 {
		if r := s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(wrong)}, ""); r.status != 401 {
			t.Fatalf("bad token: %d", r.status)
		}
	}
	r = s.do("GET", "/v1/token", map[string]string{"Authorization": bearer(wrong)}, "")
	if r.status != http.StatusTooManyRequests || r.reason() != "AUTH_RATE_LIMITED" || r.header.Get("Retry-After") == "" {
		t.Fatalf("after failures: %d %q", r.status, r.reason())
	}
}

func TestTokenServiceOutage(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	r := s.must(200, "POST", "/v1/organizations/acme/devices/fw1/apiTokens", f.owner, `{"display_name":"second"}`)
	unused := r.body["secret"].(string)
	s.must(200, "GET", "/v1/organizations/acme/devices/fw1/logs", bearer(f.secret), "") // cached now

	s.stop("token")
	s.must(200, "GET", "/v1/organizations/acme/devices/fw1/logs", bearer(f.secret), "") // cached: keeps working
	r = s.do("GET", "/v1/organizations/acme/devices/fw1/logs", map[string]string{"Authorization": bearer(unused)}, "")
	if r.status != http.StatusServiceUnavailable || r.reason() != "TOKEN_SERVICE_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
		t.Fatalf("uncached token during the outage: %d %q", r.status, r.reason())
	}
	// Users are unaffected by the token service being down.
	s.must(200, "GET", "/v1/organizations", f.owner, "")

	s.restart("token")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.do("GET", "/v1/organizations/acme/devices/fw1/logs", map[string]string{"Authorization": bearer(unused)}, "")
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("did not recover: %d %q", r.status, r.reason())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
