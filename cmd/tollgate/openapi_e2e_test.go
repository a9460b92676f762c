package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// vendorPair is the SecuReporter sample client's parser.
var vendorPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

// ingest fills fw1 with days of simulated logs through the ingest stream.
func (s *liveSuite) ingest(device string, days, perDay int) int64 {
	s.t.Helper()
	signer := auth.NewSigner(s.rt.key, "test-collector", 0)
	ten, err := client.Dial(s.rt.peers["tenancy"], client.Options{Signer: signer})
	if err != nil {
		s.t.Fatal(err)
	}
	defer ten.Close()
	exp, err := client.Dial(s.rt.peers["export"], client.Options{Signer: signer})
	if err != nil {
		s.t.Fatal(err)
	}
	defer exp.Close()
	n, err := ingestSimulated(context.Background(), tenancyv1.NewTenancyServiceClient(ten), exportv1.NewExportServiceClient(exp), device, days, perDay, 7, 500)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

type archiveReply struct {
	status int
	header http.Header
	body   []byte
}

func (r archiveReply) errorCode() string {
	var e struct {
		Error struct {
			Code    string `json:"error_code"`
			Message string `json:"error_message"`
			TraceID string `json:"trace_id"`
		} `json:"error"`
		Success *bool `json:"success"`
	}
	if json.Unmarshal(r.body, &e) != nil || e.Success == nil || *e.Success || e.Error.TraceID == "" || e.Error.Message == "" {
		return "not an Open API error body: " + string(r.body)
	}
	return e.Error.Code
}

func (s *liveSuite) archive(headers map[string]string, body string) archiveReply {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/open-api/v1/archive-logs/download", strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return archiveReply{status: resp.StatusCode, header: resp.Header, body: raw}
}

func openAPIHeaders(secret string) map[string]string {
	return map[string]string{"X-Authorization": "Bearer " + secret, "Content-Type": "application/json"}
}

func deviceDay(daysAgo int) string {
	loc, _ := time.LoadLocation("Europe/Berlin")
	return time.Now().In(loc).AddDate(0, 0, -daysAgo).Format(time.DateOnly)
}

func TestOpenAPIArchiveDownload(t *testing.T) {
	s := newLiveSuite(t, "--openapi-deprecation", "2027-01-01T00:00:00Z", "--openapi-sunset", "2027-06-30T00:00:00Z")
	f := s.fixture()
	s.ingest("organizations/acme/devices/fw1", 2, 300)
	date := deviceDay(1)

	r := s.archive(openAPIHeaders(f.secret), `{"device_date":"`+date+`"}`)
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("download: %d %s %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r.header.Get("Deprecation") != "2027-01-01T00:00:00Z" || r.header.Get("Sunset") != "2027-06-30T00:00:00Z" {
		t.Fatalf("Deprecation/Sunset headers: %v", r.header)
	}
	tr := tar.NewReader(bytes.NewReader(r.body))
	hdr, err := tr.Next()
	if err != nil || hdr.Name != date+".gzip" {
		t.Fatalf("tar entry %v: %v", hdr, err)
	}
	gz, err := gzip.NewReader(tr)
	if err != nil {
		t.Fatal(err)
	}
	content, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d lines, want 300", len(lines))
	}
	for _, line := range lines {
		pairs := map[string]string{}
		for _, m := range vendorPair.FindAllStringSubmatch(line, -1) {
			pairs[m[1]] = m[2]
		}
		if pairs["log_type"] == "" || pairs["utc_time"] == "" || !strings.HasPrefix(pairs["device_time"], date) {
			t.Fatalf("line does not parse as the vendor expects: %q", line)
		}
	}
}

func TestOpenAPIErrors(t *testing.T) {
	s := newLiveSuite(t, "--archive-quota-per-hour", "3", "--auth-failures-per-minute", "5")
	f := s.fixture()
	s.ingest("organizations/acme/devices/fw1", 2, 50)
	yesterday := `{"device_date":"` + deviceDay(1) + `"}`
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    string
	}{
		{"no token", map[string]string{"Content-Type": "application/json"}, yesterday, 401, "invalid-api-token"},
		{"user JWT", map[string]string{"X-Authorization": s.user("owner@example.com"), "Content-Type": "application/json"}, yesterday, 401, "invalid-api-token"},
		{"no body", openAPIHeaders(f.secret), "", 400, "bad-request-parameters"},
		{"not json", map[string]string{"X-Authorization": "Bearer " + f.secret, "Content-Type": "text/plain"}, yesterday, 400, "bad-request-parameters"},
		{"bad date", openAPIHeaders(f.secret), `{"device_date":"2024-02-30"}`, 400, "bad-request-parameters"},
		{"today", openAPIHeaders(f.secret), `{"device_date":"` + deviceDay(0) + `"}`, 400, "bad-request-parameters"},
		{"too old", openAPIHeaders(f.secret), `{"device_date":"` + deviceDay(40) + `"}`, 400, "bad-request-parameters"},
		{"no data", openAPIHeaders(f.secret), `{"device_date":"` + deviceDay(10) + `"}`, 404, "data-not-found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.archive(tc.headers, tc.body)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.errorCode(), tc.status, tc.code)
			}
		})
	}

	// Quota: 3 requests per hour in this suite; the bad-parameter requests
	// above with a valid token counted too.
	r := s.archive(openAPIHeaders(f.secret), yesterday)
	if r.status != 429 || r.errorCode() != "quota-exceeded" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over quota: %d %s", r.status, r.errorCode())
	}

	// License expired → forbidden (a token of fw2, not yet cached).
	other := s.must(200, "POST", "/v1/organizations/acme/devices/fw2/apiTokens", f.owner, `{"display_name":"other"}`).body["secret"].(string)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	s.must(200, "PATCH", "/v1/organizations/acme/devices/fw2?update_mask=license.expire_time", f.owner, `{"license":{"expire_time":"`+past+`"}}`)
	if r := s.archive(openAPIHeaders(other), yesterday); r.status != 403 || r.errorCode() != "forbidden" {
		t.Fatalf("expired license: %d %s", r.status, r.errorCode())
	}

	// Repeated bad tokens → rate-limit-exceeded.
	wrong := f.secret[:len(f.secret)-2] + "zz"
	var last archiveReply
	for range 8 {
		last = s.archive(openAPIHeaders(wrong), yesterday)
	}
	if last.status != 429 || last.errorCode() != "rate-limit-exceeded" {
		t.Fatalf("after failures: %d %s", last.status, last.errorCode())
	}
}

func TestOpenAPIExportOutage(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	s.stop("export")
	r := s.archive(openAPIHeaders(f.secret), `{"device_date":"`+deviceDay(1)+`"}`)
	if r.status != 503 || r.errorCode() != "internal-server-error" || r.header.Get("Retry-After") == "" {
		t.Fatalf("export down: %d %s", r.status, r.errorCode())
	}
}

func TestLogsOverREST(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	s.ingest("organizations/acme/devices/fw1", 1, 240)
	tok := map[string]string{"Authorization": "Bearer " + f.secret}

	// Pages: no duplicates, no gaps.
	seen, pages, next := 0, 0, ""
	for {
		r := s.do("GET", "/v1/organizations/acme/devices/fw1/logs?page_size=50&page_token="+next, tok, "")
		if r.status != 200 {
			t.Fatalf("page %d: %d %v", pages, r.status, r.body)
		}
		seen += len(r.body["logs"].([]any))
		pages++
		next, _ = r.body["next_page_token"].(string)
		if next == "" {
			break
		}
	}
	if seen != 240 || pages != 5 {
		t.Fatalf("%d records in %d pages", seen, pages)
	}
	if r := s.do("GET", "/v1/organizations/acme/devices/fw1/logs?page_token=AAAA", tok, ""); r.status != 400 || r.reason() != "INVALID_PAGE_TOKEN" {
		t.Fatalf("tampered page token: %d %q", r.status, r.reason())
	}

	// NDJSON: one record per line.
	req, _ := http.NewRequest("GET", s.url+"/v1/organizations/acme/devices/fw1/logs:stream", nil)
	req.Header.Set("X-API-Key", f.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if resp.Header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 240 {
		t.Fatalf("ndjson: %s, %d lines", resp.Header.Get("Content-Type"), len(lines))
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["log_type"] == nil || rec["result"] != nil {
			t.Fatalf("not a bare record: %q", l)
		}
	}

	// CSV: a header row, then one row per record of the one category.
	req, _ = http.NewRequest("GET", s.url+"/v1/organizations/acme/devices/fw1/logs:stream?categories=traffic", nil)
	req.Header.Set("X-API-Key", f.secret)
	req.Header.Set("Accept", "text/csv")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	rows := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(rows[0], "log_type,utc_time,device_time,traffic_duration") {
		t.Fatalf("csv: %s %q", resp.Header.Get("Content-Type"), rows[0])
	}
	for _, row := range rows[1:] {
		if !strings.HasPrefix(row, "2,") {
			t.Fatalf("row of another category: %q", row)
		}
	}
	if r := s.do("GET", "/v1/organizations/acme/devices/fw1/logs:stream?format=csv", tok, ""); r.status != 400 || r.reason() != "CSV_NEEDS_ONE_CATEGORY" {
		t.Fatalf("csv without a category: %d %q", r.status, r.reason())
	}
}
