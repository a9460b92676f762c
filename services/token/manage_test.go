package token

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// secretPart is the part of a token string that only its holder knows.
func secretPart(token string) string { return token[len("tgat_")+17 : len(token)-6] }

func TestGetAndListReturnMetadataOnly(t *testing.T) {
	h := newHarness(t)
	created, secret := h.create(owner, deviceA, "SIEM")
	got, err := h.client.GetApiToken(asUser(admin), &tokenv1.GetApiTokenRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetApiToken(), created) {
		t.Fatalf("get = %v, want %v", got.GetApiToken(), created)
	}
	list, err := h.client.ListApiTokens(asUser(admin), &tokenv1.ListApiTokensRequest{Parent: deviceA})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []proto.Message{got, list} {
		wire, _ := proto.Marshal(msg)
		text := protojson.Format(msg)
		if strings.Contains(string(wire), secretPart(secret)) || strings.Contains(text, secretPart(secret)) {
			t.Fatalf("%T carries the secret", msg)
		}
	}
	if created.GetHint() != secret[len(secret)-4:] {
		t.Fatalf("hint %q, want the last 4 characters", created.GetHint())
	}
}

func TestGetAndManageNeedAdmin(t *testing.T) {
	h := newHarness(t)
	created, _ := h.create(owner, deviceA, "SIEM")
	name := created.GetName()
	for _, c := range []struct {
		user   string
		code   codes.Code
		reason string
	}{
		{owner, codes.OK, ""},
		{admin, codes.OK, ""},
		{member, codes.PermissionDenied, "PERMISSION_DENIED"},
		{denied, codes.NotFound, "NOT_FOUND"},
		{outsider, codes.NotFound, "NOT_FOUND"},
	} {
		_, err := h.client.GetApiToken(asUser(c.user), &tokenv1.GetApiTokenRequest{Name: name})
		wantStatus(t, err, c.code, c.reason)
		_, err = h.client.ListApiTokens(asUser(c.user), &tokenv1.ListApiTokensRequest{Parent: deviceA})
		wantStatus(t, err, c.code, c.reason)
		if c.code != codes.OK {
			_, err = h.client.RotateApiToken(asUser(c.user), &tokenv1.RotateApiTokenRequest{Name: name})
			wantStatus(t, err, c.code, c.reason)
			_, err = h.client.DeleteApiToken(asUser(c.user), &tokenv1.DeleteApiTokenRequest{Name: name})
			wantStatus(t, err, c.code, c.reason)
		}
	}
	_, err := h.client.GetApiToken(asToken(name), &tokenv1.GetApiTokenRequest{Name: name})
	wantStatus(t, err, codes.PermissionDenied, "TOKEN_SCOPE")
}

func TestTokenNamedUnderAnotherDeviceIsNotFound(t *testing.T) {
	h := newHarness(t)
	created, _ := h.create(owner, deviceA, "SIEM")
	id := created.GetName()[strings.LastIndex(created.GetName(), "/")+1:]
	for _, name := range []string{deviceB + "/apiTokens/" + id, deviceA + "/apiTokens/unknown"} {
		_, err := h.client.GetApiToken(asUser(owner), &tokenv1.GetApiTokenRequest{Name: name})
		wantStatus(t, err, codes.NotFound, "NOT_FOUND")
		_, err = h.client.DeleteApiToken(asUser(owner), &tokenv1.DeleteApiTokenRequest{Name: name})
		wantStatus(t, err, codes.NotFound, "NOT_FOUND")
	}
}

func TestListPagesOldestFirstAndHidesRevoked(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.MaxTokensPerDevice = 10 }))
	var names []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		tok, _ := h.create(owner, deviceA, n)
		names = append(names, tok.GetName())
		h.clock.Advance(time.Second)
	}
	if _, err := h.client.DeleteApiToken(asUser(owner), &tokenv1.DeleteApiTokenRequest{Name: names[1]}); err != nil {
		t.Fatal(err)
	}
	list := func(showRevoked bool) []string {
		var out []string
		token := ""
		for {
			resp, err := h.client.ListApiTokens(asUser(owner), &tokenv1.ListApiTokensRequest{
				Parent: deviceA, PageSize: 2, PageToken: token, ShowRevoked: showRevoked,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range resp.GetApiTokens() {
				out = append(out, tok.GetDisplayName()+":"+strings.TrimPrefix(tok.GetState().String(), "API_TOKEN_STATE_"))
			}
			if token = resp.GetNextPageToken(); token == "" {
				return out
			}
		}
	}
	if got := strings.Join(list(false), " "); got != "a:ACTIVE c:ACTIVE d:ACTIVE e:ACTIVE" {
		t.Fatalf("list = %s", got)
	}
	if got := strings.Join(list(true), " "); got != "a:ACTIVE b:REVOKED c:ACTIVE d:ACTIVE e:ACTIVE" {
		t.Fatalf("list with revoked = %s", got)
	}
	resp, err := h.client.ListApiTokens(asUser(owner), &tokenv1.ListApiTokensRequest{Parent: deviceA, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.ListApiTokens(asUser(owner), &tokenv1.ListApiTokensRequest{Parent: deviceA, PageSize: 2, PageToken: resp.GetNextPageToken(), ShowRevoked: true})
	wantStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
}

func TestRevokeIsImmediateAndKeepsTheRecord(t *testing.T) {
	h := newHarness(t)
	created, secret := h.create(admin, deviceA, "SIEM")
	h.mustValidate(secret)
	h.clock.Advance(time.Minute)
	for range 2 { // revoking twice is harmless
		if _, err := h.client.DeleteApiToken(asUser(admin), &tokenv1.DeleteApiTokenRequest{Name: created.GetName()}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.validate(secret)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_REVOKED")
	got, err := h.client.GetApiToken(asUser(admin), &tokenv1.GetApiTokenRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetApiToken().GetState() != tokenv1.ApiTokenState_API_TOKEN_STATE_REVOKED ||
		!got.GetApiToken().GetRevokeTime().AsTime().Equal(epoch.Add(time.Minute)) {
		t.Fatalf("revoked token reads %v", got.GetApiToken())
	}
	_, err = h.client.RotateApiToken(asUser(admin), &tokenv1.RotateApiTokenRequest{Name: created.GetName()})
	wantStatus(t, err, codes.FailedPrecondition, "TOKEN_REVOKED")
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	created, secret := h.create(owner, deviceA, "SIEM")
	h.clock.Advance(90*24*time.Hour - time.Second)
	h.mustValidate(secret)
	h.clock.Advance(time.Second)
	_, err := h.validate(secret)
	wantStatus(t, err, codes.Unauthenticated, "TOKEN_EXPIRED")
	got, err := h.client.GetApiToken(asUser(owner), &tokenv1.GetApiTokenRequest{Name: created.GetName()})
	if err != nil || got.GetApiToken().GetState() != tokenv1.ApiTokenState_API_TOKEN_STATE_EXPIRED {
		t.Fatalf("expired token reads %v, %v", got, err)
	}
	_, err = h.client.RotateApiToken(asUser(owner), &tokenv1.RotateApiTokenRequest{Name: created.GetName()})
	wantStatus(t, err, codes.FailedPrecondition, "TOKEN_EXPIRED")
}
