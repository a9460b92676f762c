package token

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

func (h *harness) rotate(name string, grace time.Duration) (*tokenv1.ApiToken, string) {
	h.t.Helper()
	resp, err := h.client.RotateApiToken(asUser(admin), &tokenv1.RotateApiTokenRequest{Name: name, GracePeriod: durationpb.New(grace)})
	if err != nil {
		h.t.Fatalf("RotateApiToken: %v", err)
	}
	return resp.GetApiToken(), resp.GetSecret()
}

func TestRotateWithoutGraceEndsTheOldSecretAtOnce(t *testing.T) {
	h := newHarness(t)
	created, old := h.create(owner, deviceA, "SIEM")
	h.clock.Advance(time.Minute)
	rotated, secret := h.rotate(created.GetName(), 0)
	if secret == old || rotated.GetName() != created.GetName() || rotated.GetHint() != secret[len(secret)-4:] ||
		!rotated.GetRotateTime().AsTime().Equal(epoch.Add(time.Minute)) {
		t.Fatalf("rotation gave %v", rotated)
	}
	_, err := h.validate(old)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
	if got := h.mustValidate(secret); got.GetSecretExpireTime() != nil || got.GetName() != created.GetName() {
		t.Fatalf("new secret validates as %v", got)
	}
}

func TestRotateWithGraceKeepsTheOldSecretUntilItEnds(t *testing.T) {
	h := newHarness(t)
	stream := h.watch()
	created, old := h.create(owner, deviceA, "SIEM")
	_, secret := h.rotate(created.GetName(), time.Hour)
	wantEvent(t, next(t, stream), tokenv1.TokenEventKind_TOKEN_EVENT_KIND_ROTATED, created.GetName())

	h.clock.Advance(59 * time.Minute)
	got := h.mustValidate(old)
	if !got.GetSecretExpireTime().AsTime().Equal(epoch.Add(time.Hour)) {
		t.Fatalf("grace secret expires %v, want the grace end", got.GetSecretExpireTime())
	}
	h.mustValidate(secret)

	h.clock.Advance(time.Minute)
	_, err := h.validate(old)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
	h.mustValidate(secret)
	h.svc.graces.wake()
	wantEvent(t, next(t, stream), tokenv1.TokenEventKind_TOKEN_EVENT_KIND_GRACE_ENDED, created.GetName())
}

func TestRotatingAgainEndsTheEarlierGrace(t *testing.T) {
	h := newHarness(t)
	created, first := h.create(owner, deviceA, "SIEM")
	_, second := h.rotate(created.GetName(), time.Hour)
	_, third := h.rotate(created.GetName(), time.Hour)
	_, err := h.validate(first)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
	h.mustValidate(second)
	h.mustValidate(third)
}

func TestRevokeEndsTheGraceToo(t *testing.T) {
	h := newHarness(t)
	created, old := h.create(owner, deviceA, "SIEM")
	_, secret := h.rotate(created.GetName(), time.Hour)
	if _, err := h.client.DeleteApiToken(asUser(owner), &tokenv1.DeleteApiTokenRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err := h.validate(secret)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_REVOKED")
	_, err = h.validate(old)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_INVALID")
}

func TestRotateRefusesTooLongGrace(t *testing.T) {
	h := newHarness(t)
	created, _ := h.create(owner, deviceA, "SIEM")
	_, err := h.client.RotateApiToken(asUser(owner), &tokenv1.RotateApiTokenRequest{Name: created.GetName(), GracePeriod: durationpb.New(31 * 24 * time.Hour)})
	wantStatus(t, err, codes.InvalidArgument, "")
	_, err = h.client.RotateApiToken(asUser(owner), &tokenv1.RotateApiTokenRequest{Name: created.GetName(), GracePeriod: durationpb.New(-time.Second)})
	wantStatus(t, err, codes.InvalidArgument, "")
}
