package export

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// TestComponentRunsAndStops runs the real component with its peers down:
// internal calls work, calls that need a peer fail with UNAVAILABLE, and
// shutdown stops every goroutine (goleak checks in TestMain).
func TestComponentRunsAndStops(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	stale := filepath.Join(dataDir, "export-spool", "archive-crashed.gzip")
	if err := os.MkdirAll(filepath.Dir(stale), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "127.0.0.1:1" // nothing listens there
	env := component.Env{
		DataDir:    dataDir,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: prometheus.NewRegistry(),
		Signer:     auth.NewSigner(priv, component.Export, 0),
		Verifier:   auth.NewVerifier(pub),
		Peers:      map[string]string{component.Tenancy: down, component.Membership: down},
		Secret:     []byte("deployment secret"),
		Settings:   NewSettings(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- component.Run(ctx, Component, env, lis) }()

	conn, err := client.Dial(lis.Addr().String(), client.Options{Signer: auth.NewSigner(priv, "collector", 0)})
	if err != nil {
		t.Fatal(err)
	}
	export := exportv1.NewExportServiceClient(conn)
	resp, err := export.PurgeDeviceLogs(asPeer(), &exportv1.PurgeDeviceLogsRequest{Device: deviceFW1})
	if err != nil || resp.GetDeletedRecords() != 0 {
		t.Fatalf("PurgeDeviceLogs = %v, %v", resp, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale spool file survived startup: %v", err)
	}
	stream, err := export.IngestLogs(asPeer())
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&exportv1.IngestLogsRequest{Device: deviceFW1, Records: []*exportv1.LogRecord{event(testNow, "x")}})
	_, err = stream.CloseAndRecv()
	wantStatus(t, err, codes.Unavailable, "")

	_ = conn.Close()
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
}
