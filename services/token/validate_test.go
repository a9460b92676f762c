package token

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/errs"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func TestValidateAnswersWhatTheTokenReaches(t *testing.T) {
	h := newHarness(t)
	created, secret := h.create(admin, deviceA, "SIEM")
	got := h.mustValidate(secret)
	if got.GetName() != created.GetName() || got.GetDevice() != deviceA || got.GetOrganization() != orgName ||
		got.GetState() != tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE ||
		!got.GetExpireTime().AsTime().Equal(created.GetExpireTime().AsTime()) ||
		!got.GetLicenseExpireTime().AsTime().Equal(epoch.Add(365*24*time.Hour)) {
		t.Fatalf("ValidateToken = %v", got)
	}
}

func TestValidateFailuresRevealNothing(t *testing.T) {
	h := newHarness(t)
	_, secret := h.create(owner, deviceA, "SIEM")
	real, _ := apitoken.Parse(secret)
	sameID, err := apitoken.Generate(real.ID()) // right id, wrong secret
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := apitoken.Generate("abcdefghijklmnop")
	invalid := func(token string) string {
		t.Helper()
		_, err := h.validate(token)
		wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
		return status.Convert(err).Message()
	}
	if a, b := invalid(sameID.Reveal()), invalid(unknown.Reveal()); a != b {
		t.Fatalf("a wrong secret (%q) and an unknown id (%q) must read the same", a, b)
	}
	for _, s := range []string{secret[:len(secret)-1], secret + "x", "eyJhbGciOi.e30.sig", strings.Replace(secret, "tgat_", "tgas_", 1)} {
		msg := invalid(s)
		if strings.Contains(msg, secret[10:]) {
			t.Fatalf("error %q echoes the token", msg)
		}
	}
}

func TestValidateAfterDeviceDeletion(t *testing.T) {
	h := newHarness(t)
	_, secret := h.create(owner, deviceA, "SIEM")
	h.tenancy.deleteDevice(deviceA)
	_, err := h.validate(secret)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
}

func TestValidateDuringTenancyOutageIsUnavailable(t *testing.T) {
	h := newHarness(t)
	_, secret := h.create(owner, deviceA, "SIEM")
	h.tenancy.setDown(true)
	_, err := h.validate(secret)
	wantStatus(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	h.tenancy.setDown(false)
	h.mustValidate(secret)
	// Malformed tokens need no peer at all.
	h.tenancy.setDown(true)
	_, err = h.validate("tgat_nope")
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
}

func TestInternalMethodsRefuseUsersAndTokens(t *testing.T) {
	h := newHarness(t)
	created, secret := h.create(owner, deviceA, "SIEM")
	for name, ctx := range map[string]context.Context{"user": asUser(owner), "token": asToken(created.GetName())} {
		t.Run(name, func(t *testing.T) {
			_, err := h.client.ValidateToken(ctx, &tokenv1.ValidateTokenRequest{Token: secret})
			wantStatus(t, err, codes.PermissionDenied, "INTERNAL_ONLY")
			_, err = h.client.RecordTokenUses(ctx, &tokenv1.RecordTokenUsesRequest{})
			wantStatus(t, err, codes.PermissionDenied, "INTERNAL_ONLY")
			_, err = h.client.DeleteDeviceTokens(ctx, &tokenv1.DeleteDeviceTokensRequest{Device: deviceA})
			wantStatus(t, err, codes.PermissionDenied, "INTERNAL_ONLY")
		})
	}
	h.mustValidate(secret)
}

func TestDeleteDeviceTokensRemovesThem(t *testing.T) {
	h := newHarness(t)
	_, a := h.create(owner, deviceA, "a")
	_, b := h.create(owner, deviceB, "b")
	if _, err := h.client.DeleteDeviceTokens(asGateway(), &tokenv1.DeleteDeviceTokensRequest{Device: deviceA}); err != nil {
		t.Fatal(err)
	}
	_, err := h.validate(a)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
	h.mustValidate(b)
	list, err := h.client.ListApiTokens(asUser(owner), &tokenv1.ListApiTokensRequest{Parent: deviceA, ShowRevoked: true})
	if err != nil || len(list.GetApiTokens()) != 0 {
		t.Fatalf("device still lists %v, %v", list, err)
	}
}

func TestHashKeyRotation(t *testing.T) {
	oldKey, newKey := randomKey(t), randomKey(t)
	oldRing, _ := NewKeyring(oldKey)
	h := newHarness(t, withConfig(func(c *Config) { c.Keys = oldRing }))
	created, secret := h.create(owner, deviceA, "SIEM")
	id := created.GetName()[strings.LastIndex(created.GetName(), "/")+1:]

	// Restart with a new key, the old one kept as previous.
	rotated, _ := NewKeyring(newKey, oldKey)
	h.svc.keys = rotated
	h.mustValidate(secret)
	stored, err := h.store.GetToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if newID, _ := rotated.Current(); stored.Current.KeyID != newID {
		t.Fatal("a validation under the previous key did not move the token to the current key")
	}
	// Now the old key can go.
	h.svc.keys, _ = NewKeyring(newKey)
	h.mustValidate(secret)

	// A token still on a key that was dropped no longer validates.
	_, other := h.create(owner, deviceA, "other")
	h.svc.keys, _ = NewKeyring(randomKey(t))
	_, err = h.validate(other)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
}

func TestPeerStatusesAreNotPassedThrough(t *testing.T) {
	err := peerError("tenancy", status.Error(codes.PermissionDenied, "internal only"))
	if s, _ := errs.ToStatus(err); s.Code() != codes.Internal {
		t.Fatalf("a peer's PERMISSION_DENIED became %v, want INTERNAL", s.Code())
	}
}
