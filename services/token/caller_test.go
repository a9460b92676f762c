package token

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func TestGetCallerTokenDescribesTheCallingToken(t *testing.T) {
	h := newHarness(t)
	created, _ := h.create(owner, deviceA, "SIEM")
	got, err := h.client.GetCallerToken(asToken(created.GetName()), &tokenv1.GetCallerTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetApiToken().GetName() != created.GetName() || got.GetDevice() != deviceA || got.GetOrganization() != orgName ||
		!got.GetLicenseExpireTime().AsTime().Equal(epoch.Add(365*24*time.Hour)) || got.GetQuota() != nil {
		t.Fatalf("GetCallerToken = %v", got)
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"user", func() error {
			_, err := h.client.GetCallerToken(asUser(owner), &tokenv1.GetCallerTokenRequest{})
			return err
		}},
		{"service", func() error {
			_, err := h.client.GetCallerToken(asGateway(), &tokenv1.GetCallerTokenRequest{})
			return err
		}},
	} {
		wantStatus(t, c.call(), codes.PermissionDenied, "TOKEN_REQUIRED")
	}
	_, err = h.client.GetCallerToken(asToken(deviceA+"/apiTokens/abcdefghijklmnop"), &tokenv1.GetCallerTokenRequest{})
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
}
