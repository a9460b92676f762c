package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
)

// The fixture every scenario uses: organizations/bench owned by
// bench-owner@example.com, with device fw1 (time zone UTC, active license)
// and one API token on it.
const (
	benchOrg    = "bench"
	benchDevice = "organizations/bench/devices/fw1"
	benchOwner  = "bench-owner@example.com"
)

type fixture struct {
	owner     string // Authorization header value of the owner (dev JWT)
	secret    string // the API token's secret
	tokenName string
}

func (f fixture) tokenPrincipal() auth.Principal {
	return auth.Principal{Kind: auth.KindToken, TokenName: f.tokenName, Device: benchDevice, Organization: "organizations/" + benchOrg}
}

// apiClient is a plain HTTP client for fixture calls.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// call sends one JSON request and decodes the JSON answer.
func call(ctx context.Context, method, url string, header map[string]string, body string) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

func mustCall(ctx context.Context, want int, method, url, authz, body string) (map[string]any, error) {
	status, out, err := call(ctx, method, url, map[string]string{"Authorization": authz}, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if status != want {
		return nil, fmt.Errorf("%s %s: %d %v, want %d", method, url, status, out, want)
	}
	return out, nil
}

// setupFixture creates the organization, the device and a first API token.
func setupFixture(ctx context.Context, s *Suite) (fixture, error) {
	owner, err := s.user(benchOwner)
	if err != nil {
		return fixture{}, err
	}
	f := fixture{owner: owner}
	if _, err := mustCall(ctx, 200, "POST", s.BaseURL+"/v1/organizations?organization_id="+benchOrg, owner, `{"display_name":"Bench"}`); err != nil {
		return f, err
	}
	license := time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if _, err := mustCall(ctx, 200, "POST", s.BaseURL+"/v1/organizations/"+benchOrg+"/devices?device_id=fw1", owner,
		`{"display_name":"fw1","serial_number":"S210Z00000001","mac_address":"00:13:49:00:00:01","time_zone":"UTC",`+
			`"license":{"expire_time":"`+license+`"}}`); err != nil {
		return f, err
	}
	f.secret, f.tokenName, err = createToken(ctx, s.BaseURL, owner, "bench")
	return f, err
}

// createToken creates an API token on the bench device through the
// gateway at baseURL.
func createToken(ctx context.Context, baseURL, owner, name string) (secret, tokenName string, err error) {
	out, err := mustCall(ctx, 200, "POST", baseURL+"/v1/"+benchDevice+"/apiTokens", owner, `{"display_name":"`+name+`"}`)
	if err != nil {
		return "", "", err
	}
	secret, _ = out["secret"].(string)
	tok, _ := out["api_token"].(map[string]any)
	tokenName, _ = tok["name"].(string)
	if secret == "" || tokenName == "" {
		return "", "", fmt.Errorf("create token: unexpected answer %v", out)
	}
	return secret, tokenName, nil
}
