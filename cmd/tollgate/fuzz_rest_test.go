package main

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzRESTJSON sends arbitrary JSON bodies, query values, path segments
// and content types to the write endpoints of a whole in-process suite
// (DESIGN.md "Bad input gets a clear 4xx and changes nothing; parsers are
// fuzzed"): never a 5xx, every error is a JSON error body of its surface,
// and a refused request leaves every resource as it was.
func FuzzRESTJSON(f *testing.F) {
	s := newLiveSuite(f, "--auth-failures-per-minute", "1000000", "--token-rate", "1000000", "--token-burst", "1000000",
		"--archive-quota-per-hour", "1000000", "--max-tokens-per-device", "10000")
	fx := s.fixture()
	s.must(200, "POST", "/v1/members", fx.owner, `{"email":"member@example.com","access_privilege":"PRIVILEGE_MEMBER"}`)
	member := s.must(200, "GET", "/v1/members", fx.owner, "").body["members"].([]any)[0].(map[string]any)["name"].(string)
	rest := newRESTClient(s.url, 10*time.Second)

	routes := []fuzzRoute{
		{"POST", func(p string) string { return "/v1/organizations?organization_id=" + url.QueryEscape(p) }, false},
		{"PATCH", func(p string) string { return "/v1/organizations/acme/devices/fw1?update_mask=" + url.QueryEscape(p) }, false},
		{"POST", func(p string) string { return "/v1/members" }, false},
		{"POST", func(p string) string { return ArchivePathForTest }, true}, // p is the Content-Type
		{"PATCH", func(p string) string { return "/v1/organizations/" + url.PathEscape(p) + "?update_mask=display_name" }, false},
		{"POST", func(p string) string { return "/v1/organizations/acme/devices?device_id=" + url.QueryEscape(p) }, false},
		{"PATCH", func(p string) string { return "/v1/" + member + "?update_mask=" + url.QueryEscape(p) }, false},
		{"POST", func(p string) string { return "/v1/organizations/acme/devices/fw1/apiTokens" }, false},
	}
	for _, seed := range []struct {
		route       uint8
		param, body string
	}{
		{0, "fuzzed", `{"display_name":"Fuzz"}`},
		{0, "", `{"display_name":""}`},
		{0, "x", `{"display_name":"a","owner":"someone@else.example"}`},
		{0, "ok-id", `{"display_name":1}`},
		{0, "ok-id2", `{"display_name":"a",`},
		{1, "display_name", `{"display_name":"renamed"}`},
		{1, "serial_number", `{"serial_number":"OTHER0001"}`},
		{1, "license.expire_time", `{"license":{"expire_time":"2024-02-30T00:00:00Z"}}`},
		{1, "time_zone", `{"time_zone":"Mars/Olympus"}`},
		{1, "display_name,nope", `{"display_name":"x","nope":1}`},
		{2, "", `{"email":"New@Example.com ","access_privilege":"PRIVILEGE_ADMIN"}`},
		{2, "", `{"email":"owner@example.com","access_privilege":"PRIVILEGE_ADMIN"}`},
		{2, "", `{"email":"a@b.c","access_privilege":"PRIVILEGE_OWNER","exceptional_cases":[{"target":"organizations/acme","privilege":"PRIVILEGE_ADMIN"}]}`},
		{2, "", `{"email":"c@d.e","access_privilege":7,"exceptional_cases":[{"target":"organizations/nope"}]}`},
		{3, "application/json", `{"device_date":"2024-02-30"}`},
		{3, "application/json", `{"device_date":["x"]}`},
		{3, "text/plain", `{"device_date":"2024-01-01"}`},
		{3, "application/json; charset=utf-8", `null`},
		{4, "acme", `{"display_name":"x"}`},
		{4, "Acme Corp", `{"display_name":"x"}`},
		{4, "acme/devices/fw1", `{"display_name":"x"}`},
		{5, "new-device", `{"display_name":"n","serial_number":"SN9999","mac_address":"00:11:22:33:44:99","time_zone":"UTC"}`},
		{5, "fw2", `{"serial_number":"SN0001"}`},
		{6, "access_privilege", `{"access_privilege":"PRIVILEGE_ADMIN"}`},
		{6, "email", `{"email":"member@example.com"}`},
		{6, "exceptional_cases", `{"exceptional_cases":[{"target":"organizations/acme","privilege":"PRIVILEGE_NONE"},{"target":"organizations/acme","privilege":"PRIVILEGE_NONE"}]}`},
		{7, "", `{"display_name":"t","expire_time":"9999-12-31T23:59:59Z"}`},
		{7, "", `{"display_name":"t","expire_time":"1970-01-01T00:00:00Z"}`},
		{7, "", `{"display_name":"t","state":"STATE_REVOKED","creator":"x@y.z"}`},
	} {
		f.Add(seed.route, seed.param, seed.body)
	}

	snap := func(t *testing.T) any { return fuzzSnapshot(t, rest, fx.owner, member) }
	var before any
	f.Fuzz(func(t *testing.T, route uint8, param, body string) {
		if before == nil {
			before = snap(t)
		}
		rt := routes[int(route)%len(routes)]
		headers := map[string]string{"Authorization": fx.owner, "Content-Type": "application/json"}
		if rt.openAPI {
			headers = map[string]string{"X-Authorization": bearer(fx.secret), "Content-Type": param}
		}
		path := rt.path(param)
		r, err := rest.callHeaders(context.Background(), rt.method, path, headers, body)
		if err != nil {
			if rt.openAPI && strings.IndexFunc(param, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0 {
				return // not a valid header value: the request never left
			}
			t.Fatalf("%s %s: %v", rt.method, path, err)
		}
		if invalidUTF8Bug && r.status == 500 && !rt.openAPI && !utf8.ValidString(param) && strings.Contains(string(r.body), "invalid UTF-8") {
			t.Skip("bug: invalid UTF-8 in a query value or path segment answers 500 (see invalidUTF8Bug)")
		}
		if r.status >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, path, body, r.status, r.body)
		}
		if r.status >= 300 && !isErrorBody(r.body, rt.openAPI) {
			t.Fatalf("%s %s %q: %d without a JSON error body: %q", rt.method, path, body, r.status, r.body)
		}
		after := snap(t)
		if r.status >= 400 && !reflect.DeepEqual(before, after) {
			t.Fatalf("%s %s %q was refused (%d %s) but changed something:\nbefore %v\nafter  %v", rt.method, path, body, r.status, r.body, before, after)
		}
		before = after
	})
}

// invalidUTF8Bug: a query value or path segment that is not valid UTF-8
// (e.g. POST /v1/organizations?organization_id=%E6) is forwarded to the
// service, the gateway's gRPC client fails to marshal the request, and the
// client gets 500 {"code":13,"message":"grpc: error while marshaling:
// string field contains invalid UTF-8"} instead of a 400. The gateway
// should refuse such requests itself (400 INVALID_ARGUMENT) before
// forwarding; set this to false once it does
// (testdata/fuzz/FuzzRESTJSON holds the input).
const invalidUTF8Bug = false

type fuzzRoute struct {
	method  string
	path    func(param string) string
	openAPI bool
}

// isErrorBody reports whether b is a google.rpc.Status (/v1) or an Open
// API error body.
func isErrorBody(b []byte, openAPI bool) bool {
	if openAPI {
		var e struct {
			Error *struct {
				Code    string `json:"error_code"`
				Message string `json:"error_message"`
			} `json:"error"`
			Success *bool `json:"success"`
		}
		return json.Unmarshal(b, &e) == nil && e.Error != nil && e.Error.Code != "" && e.Error.Message != "" && e.Success != nil && !*e.Success
	}
	var s struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	return json.Unmarshal(b, &s) == nil && s.Code != nil && *s.Code != 0 && s.Message != nil && *s.Message != ""
}

// fuzzSnapshot is every resource the fuzzed endpoints can write, as seen
// by the owner, without the fields that change by themselves.
func fuzzSnapshot(t *testing.T, rest *restClient, owner, member string) any {
	t.Helper()
	out := map[string]any{}
	for _, list := range []struct{ path, field string }{
		{"/v1/organizations", "organizations"},
		{"/v1/organizations/acme/devices", "devices"},
		{"/v1/members", "members"},
		{"/v1/organizations/acme/devices/fw1/apiTokens?show_revoked=true", "api_tokens"},
	} {
		var items []any
		sep := "?"
		if strings.Contains(list.path, "?") {
			sep = "&"
		}
		for next, pages := "", 0; pages < 100; pages++ {
			r, err := rest.call(context.Background(), "GET", list.path+sep+"page_size=1000&page_token="+url.QueryEscape(next), owner, "")
			if err != nil || r.status != 200 {
				t.Fatalf("snapshot %s: %v %d %s", list.path, err, r.status, r.body)
			}
			m := r.json()
			page, _ := m[list.field].([]any)
			items = append(items, page...)
			if next, _ = m["next_page_token"].(string); next == "" {
				break
			}
		}
		out[list.path] = stripVolatile(items)
	}
	for _, path := range []string{"/v1/organizations/acme/devices/fw1", "/v1/" + member} {
		r, err := rest.call(context.Background(), "GET", path, owner, "")
		if err != nil || r.status != 200 {
			t.Fatalf("snapshot %s: %v %d %s", path, err, r.status, r.body)
		}
		out[path] = stripVolatile(r.json())
	}
	return out
}

// stripVolatile drops fields that change without a write through the API:
// token use (recorded as tokens are used) and days remaining (a clock).
func stripVolatile(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"last_use_time", "last_use_address", "days_remaining"} {
			delete(x, k)
		}
		for k, e := range x {
			x[k] = stripVolatile(e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripVolatile(e)
		}
	}
	return v
}
