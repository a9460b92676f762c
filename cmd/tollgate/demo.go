package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

const (
	demoOwner    = "demo@example.com"
	demoDevice   = "organizations/demo/devices/demo-fw"
	demoTimeZone = "Europe/Berlin"
)

// seedDemo creates a demo organization, device (with three days of logs)
// and API token in a running suite, and prints ready-to-run curl lines.
func seedDemo(ctx context.Context, rt *suiteRuntime, baseURL string, out io.Writer) error {
	signer := auth.NewSigner(rt.key, "demo", 0)
	dial := func(name string) (*grpc.ClientConn, error) {
		conn, err := client.Dial(rt.peers[name], client.Options{Signer: signer})
		return conn, err
	}
	tenConn, err := dial(component.Tenancy)
	if err != nil {
		return err
	}
	defer tenConn.Close()
	tokConn, err := dial(component.Token)
	if err != nil {
		return err
	}
	defer tokConn.Close()
	expConn, err := dial(component.Export)
	if err != nil {
		return err
	}
	defer expConn.Close()
	tenancy := tenancyv1.NewTenancyServiceClient(tenConn)
	asOwner := auth.NewContext(ctx, auth.Principal{Kind: auth.KindUser, Email: demoOwner})

	_, err = tenancy.CreateOrganization(asOwner, &tenancyv1.CreateOrganizationRequest{
		OrganizationId: "demo", Organization: &tenancyv1.Organization{DisplayName: "Demo organization"}})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("demo organization: %w", err)
	}
	_, err = tenancy.CreateDevice(asOwner, &tenancyv1.CreateDeviceRequest{Parent: "organizations/demo", DeviceId: "demo-fw", Device: &tenancyv1.Device{
		DisplayName: "Demo firewall", Model: "USG FLEX 200", SerialNumber: "DEMO00000001", MacAddress: "00:13:49:00:00:01",
		TimeZone: demoTimeZone, License: &tenancyv1.License{ExpireTime: timestamppb.New(time.Now().AddDate(1, 0, 0))},
	}})
	switch {
	case err == nil:
		n, err := ingestSimulated(ctx, tenancy, exportv1.NewExportServiceClient(expConn), demoDevice, 3, 500, 1, 1000)
		if err != nil {
			return fmt.Errorf("demo logs: %w", err)
		}
		fmt.Fprintf(out, "demo: %s created with %d log records over the last 3 days\n", demoDevice, n)
	case status.Code(err) == codes.AlreadyExists:
	default:
		return fmt.Errorf("demo device: %w", err)
	}
	created, err := tokenv1.NewTokenServiceClient(tokConn).CreateApiToken(asOwner, &tokenv1.CreateApiTokenRequest{
		Parent: demoDevice, ApiToken: &tokenv1.ApiToken{DisplayName: "demo " + time.Now().UTC().Format(time.RFC3339)}})
	if err != nil {
		return fmt.Errorf("demo token: %w", err)
	}
	loc, err := time.LoadLocation(demoTimeZone)
	if err != nil {
		return err
	}
	yesterday := time.Now().In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	secret := created.GetSecret()
	fmt.Fprintf(out, "demo: API token for %s (shown once): %s\n", demoDevice, secret)
	fmt.Fprintf(out, "  curl -s %s/v1/token -H 'X-API-Key: %s'\n", baseURL, secret)
	fmt.Fprintf(out, "  curl -s '%s/v1/%s/logs?page_size=5' -H 'Authorization: Bearer %s'\n", baseURL, demoDevice, secret)
	fmt.Fprintf(out, "  curl -s -X POST %s/open-api/v1/archive-logs/download -H 'X-Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"device_date\":\"%s\"}' -o %s.tar\n",
		baseURL, secret, yesterday, yesterday)
	return nil
}

var errNoDemoInProd = errors.New("--demo needs --dev")
