package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/logs/simulate"
	"github.com/tollgate/tollgate/pkg/resource"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// runSimulate ingests realistic records of every category for a device of
// a running suite, through the export service's ingest stream.
func runSimulate(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("simulate", errOut)
	dataDir := fs.String("data-dir", "./data", "data directory of a running `tollgate up`")
	device := fs.String("device", "", "the device, organizations/{org}/devices/{device} (required)")
	days := fs.Int("days", 7, "how many complete days before today to fill")
	perDay := fs.Int("per-day", 1000, "records per day")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same records")
	batch := fs.Int("batch", 1000, "records per ingest message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := resource.ParseDevice("device", *device); err != nil {
		return usageError{fmt.Errorf("-device: %v", err)}
	}
	switch {
	case *days < 1 || *days > 366:
		return usageError{fmt.Errorf("-days: between 1 and 366")}
	case *perDay < 1 || *perDay > 10_000_000:
		return usageError{fmt.Errorf("-per-day: between 1 and 10000000")}
	case *batch < 1 || *batch > 10_000:
		return usageError{fmt.Errorf("-batch: between 1 and 10000")}
	}
	st, err := readState(*dataDir)
	if err != nil {
		return err
	}
	key, err := auth.LoadPrivateKey(st.IdentityKey)
	if err != nil {
		return err
	}
	signer := auth.NewSigner(key, "simulate", 0)
	conns := map[string]*grpc.ClientConn{}
	for _, name := range []string{component.Tenancy, component.Export} {
		conn, err := client.Dial(st.Components[name], client.Options{Signer: signer})
		if err != nil {
			return err
		}
		defer conn.Close()
		conns[name] = conn
	}
	start := time.Now()
	n, err := ingestSimulated(ctx, tenancyv1.NewTenancyServiceClient(conns[component.Tenancy]),
		exportv1.NewExportServiceClient(conns[component.Export]), *device, *days, *perDay, *seed, *batch)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	_, err = fmt.Fprintf(out, "ingested %d records for %s over %d days in %s (%.0f records/s)\n",
		n, *device, *days, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return err
}

// ingestSimulated streams days × perDay generated records of device to the
// export service and returns how many it made durable. Calls go out with
// the caller's own service identity.
func ingestSimulated(ctx context.Context, tenancy tenancyv1.TenancyServiceClient, export exportv1.ExportServiceClient,
	device string, days, perDay int, seed uint64, batch int) (int64, error) {
	target, err := tenancy.ResolveTarget(ctx, &tenancyv1.ResolveTargetRequest{Target: device})
	if err != nil {
		return 0, fmt.Errorf("device %s: %w", device, err)
	}
	loc, err := time.LoadLocation(target.GetDevice().GetTimeZone())
	if err != nil {
		return 0, fmt.Errorf("device time zone: %w", err)
	}
	stream, err := export.IngestLogs(ctx)
	if err != nil {
		return 0, err
	}
	records := make([]*exportv1.LogRecord, 0, batch)
	send := func() error {
		if len(records) == 0 {
			return nil
		}
		err := stream.Send(&exportv1.IngestLogsRequest{Device: device, Records: records})
		records = make([]*exportv1.LogRecord, 0, batch)
		return err
	}
	for r := range simulate.New(seed, loc).Days(time.Now(), days, perDay) {
		records = append(records, r)
		if len(records) == batch {
			if err := send(); err != nil {
				break // the real error comes from CloseAndRecv
			}
		}
	}
	_ = send()
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return resp.GetAcceptedRecords(), fmt.Errorf("ingest: %w", err)
	}
	return resp.GetAcceptedRecords(), nil
}
