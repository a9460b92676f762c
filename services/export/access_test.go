package export

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// outcome is a status code and reason; the zero value means OK.
type outcome struct {
	code   codes.Code
	reason string
}

var (
	allowed       = outcome{}
	invisible     = outcome{codes.NotFound, "NOT_FOUND"}
	tokenScope    = outcome{codes.PermissionDenied, "TOKEN_SCOPE"}
	internalOnly  = outcome{codes.PermissionDenied, "INTERNAL_ONLY"}
	noServiceRead = outcome{codes.PermissionDenied, "USER_OR_TOKEN_REQUIRED"}
	tokenRequired = outcome{codes.PermissionDenied, "TOKEN_REQUIRED"}
	licenseGone   = outcome{codes.PermissionDenied, "LICENSE_EXPIRED"}
)

// TestAccessMatrix calls every RPC as every kind of principal on device
// fw-1 and checks the documented answer.
func TestAccessMatrix(t *testing.T) {
	h := newHarness(t, true)
	const (
		admin    = "admin@acme.example"
		member   = "member@acme.example"
		none     = "none@acme.example"
		outsider = "outsider@elsewhere.example"
	)
	h.membership.grant(admin, deviceFW1, membershipv1.Privilege_PRIVILEGE_ADMIN)
	h.membership.grant(member, deviceFW1, membershipv1.Privilege_PRIVILEGE_MEMBER)
	h.membership.grant(none, deviceFW1, membershipv1.Privilege_PRIVILEGE_NONE)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	yesterday := time.Date(2026, 5, 9, 12, 0, 0, 0, berlin)
	h.mustIngest(t, deviceFW1, []*exportv1.LogRecord{event(yesterday, "x")})

	rpcs := map[string]func(ctx context.Context) error{
		"ListLogs": func(ctx context.Context) error {
			_, err := h.client.ListLogs(ctx, &exportv1.ListLogsRequest{Parent: deviceFW1})
			return err
		},
		"StreamLogs": func(ctx context.Context) error {
			_, err := h.streamAll(ctx, &exportv1.StreamLogsRequest{Parent: deviceFW1})
			return err
		},
		"GetArchive": func(ctx context.Context) error {
			_, err := h.archive(ctx, deviceFW1, "2026-05-09")
			return err
		},
		"IngestLogs": func(ctx context.Context) error {
			_, err := h.ingest(ctx, deviceFW1, []*exportv1.LogRecord{event(yesterday, "y")})
			return err
		},
		// Purging a device nobody reads here keeps fw-1's data for the
		// other calls.
		"PurgeDeviceLogs": func(ctx context.Context) error {
			_, err := h.client.PurgeDeviceLogs(ctx, &exportv1.PurgeDeviceLogsRequest{Device: deviceFW2})
			return err
		},
	}
	principals := map[string]context.Context{
		"owner":             asUser(owner),
		"ADMIN":             asUser(admin),
		"MEMBER":            asUser(member),
		"NONE":              asUser(none),
		"outsider":          asUser(outsider),
		"token of device":   asToken(deviceFW1),
		"token of other":    asToken(deviceFW2),
		"token, no license": asToken(deviceOld),
		"service":           asPeer(),
	}
	user := map[string]outcome{"ListLogs": allowed, "StreamLogs": allowed, "GetArchive": tokenRequired, "IngestLogs": internalOnly, "PurgeDeviceLogs": internalOnly}
	hidden := map[string]outcome{"ListLogs": invisible, "StreamLogs": invisible, "GetArchive": tokenRequired, "IngestLogs": internalOnly, "PurgeDeviceLogs": internalOnly}
	foreignToken := map[string]outcome{"ListLogs": tokenScope, "StreamLogs": tokenScope, "GetArchive": tokenScope, "IngestLogs": internalOnly, "PurgeDeviceLogs": internalOnly}
	want := map[string]map[string]outcome{
		"owner":             user,
		"ADMIN":             user,
		"MEMBER":            user,
		"NONE":              hidden,
		"outsider":          hidden,
		"token of device":   {"ListLogs": allowed, "StreamLogs": allowed, "GetArchive": allowed, "IngestLogs": internalOnly, "PurgeDeviceLogs": internalOnly},
		"token of other":    foreignToken,
		"token, no license": foreignToken,
		"service":           {"ListLogs": noServiceRead, "StreamLogs": noServiceRead, "GetArchive": allowed, "IngestLogs": allowed, "PurgeDeviceLogs": allowed},
	}
	for who, ctx := range principals {
		for rpc, call := range rpcs {
			t.Run(who+"/"+rpc, func(t *testing.T) {
				expect := want[who][rpc]
				err := call(ctx)
				if expect == allowed {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				wantStatus(t, err, expect.code, expect.reason)
			})
		}
	}

	// A token of a device whose license expired reads nothing, even its own.
	t.Run("own token, expired license", func(t *testing.T) {
		_, err := h.client.ListLogs(asToken(deviceOld), &exportv1.ListLogsRequest{Parent: deviceOld})
		wantStatus(t, err, licenseGone.code, licenseGone.reason)
	})
	t.Run("deleted device", func(t *testing.T) {
		_, err := h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: org + "/devices/gone"})
		wantStatus(t, err, invisible.code, invisible.reason)
	})
}
