package token

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/apitoken"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func TestCreatePrivilegeMatrix(t *testing.T) {
	h := newHarness(t)
	// Any token name will do for a token principal: it is refused before
	// anything is looked up.
	tokenCaller := asToken(deviceA + "/apiTokens/abcdefghijklmnop")
	cases := []struct {
		caller string
		ctx    context.Context
		device string
		code   codes.Code
		reason string
	}{
		{"owner", asUser(owner), deviceA, codes.OK, ""},
		{"ADMIN member", asUser(admin), deviceA, codes.OK, ""},
		{"MEMBER member", asUser(member), deviceA, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"NONE member", asUser(denied), deviceA, codes.NotFound, "NOT_FOUND"},
		{"outsider", asUser(outsider), deviceA, codes.NotFound, "NOT_FOUND"},
		{"owner, missing device", asUser(owner), "organizations/acme/devices/nope", codes.NotFound, "NOT_FOUND"},
		{"API token", tokenCaller, deviceA, codes.PermissionDenied, "TOKEN_SCOPE"},
		{"service", asGateway(), deviceA, codes.PermissionDenied, "USER_REQUIRED"},
	}
	for _, c := range cases {
		t.Run(c.caller, func(t *testing.T) {
			resp, err := h.client.CreateApiToken(c.ctx, &tokenv1.CreateApiTokenRequest{
				Parent: c.device, ApiToken: &tokenv1.ApiToken{DisplayName: "SIEM"},
			})
			wantStatus(t, err, c.code, c.reason)
			if c.code != codes.OK {
				return
			}
			tok := resp.GetApiToken()
			if _, err := apitoken.Parse(resp.GetSecret()); err != nil {
				t.Fatalf("returned secret does not parse: %v", err)
			}
			if !strings.HasPrefix(tok.GetName(), deviceA+"/apiTokens/") || tok.GetCreator() == "" ||
				tok.GetState() != tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE || tok.GetHint() != resp.GetSecret()[len(resp.GetSecret())-4:] {
				t.Fatalf("unexpected metadata %v", tok)
			}
		})
	}
}

func TestCreateRefusesExpiredLicense(t *testing.T) {
	h := newHarness(t)
	h.tenancy.setDevice(deviceA, epoch.Add(-time.Hour))
	_, err := h.client.CreateApiToken(asUser(owner), &tokenv1.CreateApiTokenRequest{
		Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "SIEM"},
	})
	wantStatus(t, err, codes.FailedPrecondition, "LICENSE_EXPIRED")
	// A MEMBER learns about privileges, not about the license.
	_, err = h.client.CreateApiToken(asUser(member), &tokenv1.CreateApiTokenRequest{
		Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "SIEM"},
	})
	wantStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
}

func TestCreateLimitsActiveTokensPerDevice(t *testing.T) {
	h := newHarness(t) // limit 3
	first, _ := h.create(owner, deviceA, "one")
	h.create(owner, deviceA, "two")
	_, err := h.client.CreateApiToken(asUser(owner), &tokenv1.CreateApiTokenRequest{
		Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "short", ExpireTime: timestamppb.New(epoch.Add(time.Hour))},
	})
	if err != nil {
		t.Fatal(err)
	}
	create := func() error {
		_, err := h.client.CreateApiToken(asUser(admin), &tokenv1.CreateApiTokenRequest{
			Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "more"},
		})
		return err
	}
	wantStatus(t, create(), codes.FailedPrecondition, "TOKEN_LIMIT_REACHED")
	h.create(owner, deviceB, "other device has its own count")

	if _, err := h.client.DeleteApiToken(asUser(owner), &tokenv1.DeleteApiTokenRequest{Name: first.GetName()}); err != nil {
		t.Fatal(err)
	}
	if err := create(); err != nil {
		t.Fatalf("a revoked token still counts: %v", err)
	}
	wantStatus(t, create(), codes.FailedPrecondition, "TOKEN_LIMIT_REACHED")
	h.clock.Advance(2 * time.Hour)
	if err := create(); err != nil {
		t.Fatalf("an expired token still counts: %v", err)
	}
}

func TestCreateExpiryRules(t *testing.T) {
	const maxLifetime = 90 * 24 * time.Hour
	h := newHarness(t)
	create := func(expire *timestamppb.Timestamp) (*tokenv1.ApiToken, error) {
		resp, err := h.client.CreateApiToken(asUser(owner), &tokenv1.CreateApiTokenRequest{
			Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "x", ExpireTime: expire},
		})
		return resp.GetApiToken(), err
	}
	defaulted, err := create(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := defaulted.GetExpireTime().AsTime(); !got.Equal(epoch.Add(maxLifetime)) {
		t.Fatalf("a token without expiry expires at %s, want now + max lifetime", got)
	}
	if tok, err := create(timestamppb.New(epoch.Add(maxLifetime))); err != nil || !tok.GetExpireTime().AsTime().Equal(epoch.Add(maxLifetime)) {
		t.Fatalf("expiry exactly at the bound: %v, %v", tok, err)
	}
	_, err = create(timestamppb.New(epoch.Add(maxLifetime + time.Second)))
	wantStatus(t, err, codes.InvalidArgument, "EXPIRY_TOO_LATE")
	_, err = create(timestamppb.New(epoch))
	wantStatus(t, err, codes.InvalidArgument, "EXPIRY_IN_PAST")

	unbounded := newHarness(t, withConfig(func(c *Config) { c.MaxLifetime = 0 }))
	resp, err := unbounded.client.CreateApiToken(asUser(owner), &tokenv1.CreateApiTokenRequest{
		Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "forever"},
	})
	if err != nil || resp.GetApiToken().GetExpireTime() != nil {
		t.Fatalf("without a max lifetime a token without expiry must not expire: %v, %v", resp, err)
	}
}

func TestCreateValidatesRequest(t *testing.T) {
	h := newHarness(t)
	for name, req := range map[string]*tokenv1.CreateApiTokenRequest{
		"no display name":    {Parent: deviceA, ApiToken: &tokenv1.ApiToken{}},
		"blank display name": {Parent: deviceA, ApiToken: &tokenv1.ApiToken{DisplayName: "   "}},
		"no token":           {Parent: deviceA},
		"bad parent":         {Parent: "devices/fw1", ApiToken: &tokenv1.ApiToken{DisplayName: "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := h.client.CreateApiToken(asUser(owner), req)
			wantStatus(t, err, codes.InvalidArgument, "")
		})
	}
}

func TestCreateIgnoresOutputOnlyFields(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.CreateApiToken(asUser(admin), &tokenv1.CreateApiTokenRequest{
		Parent: deviceA,
		ApiToken: &tokenv1.ApiToken{
			DisplayName: "x", Name: deviceB + "/apiTokens/chosen", Creator: owner,
			State: tokenv1.ApiTokenState_API_TOKEN_STATE_REVOKED, Hint: "abcd",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := resp.GetApiToken()
	if !strings.HasPrefix(tok.GetName(), deviceA+"/apiTokens/") || tok.GetCreator() != admin ||
		tok.GetState() != tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE || tok.GetHint() == "abcd" {
		t.Fatalf("output-only fields were taken from the request: %v", tok)
	}
}
