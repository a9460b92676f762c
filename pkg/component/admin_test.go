package component

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/server"
	adminv1 "github.com/tollgate/tollgate/proto/tollgate/admin/v1"
)

var demoSchema = boltdb.Schema{Service: "demo", Migrations: []boltdb.Migration{{
	Name:  "things bucket",
	Apply: func(_ *bolt.Tx, root *bolt.Bucket) error { _, err := root.CreateBucket([]byte("things")); return err },
}}}

// bigValue spans several backup chunks.
var bigValue = bytes.Repeat([]byte("tollgate"), 3*backupChunkSize/8)

// demoService stores bigValue under "big" when it starts.
var demoService = Service{
	Name:   "demo",
	Schema: demoSchema,
	Setup: func(_ context.Context, _ *Env, db *boltdb.DB, _ *server.Server) (func(), error) {
		return nil, db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
			return root.Bucket([]byte("things")).Put([]byte("big"), bigValue)
		})
	},
}

// runDemo runs demoService with the server options given and returns its
// address and the identity key; it stops when the test ends.
func runDemo(t *testing.T, serverOptions ...grpc.ServerOption) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	env := Env{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry(),
		Signer: auth.NewSigner(key, "demo", 0), Verifier: auth.NewVerifier(pub), ShutdownTimeout: time.Second,
		ServerOptions: serverOptions}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, demoService, env, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return lis.Addr().String(), key
}

// backup calls Backup as the "admin" service and writes the file to dir.
func backup(t *testing.T, ctx context.Context, addr string, key ed25519.PrivateKey, tls credentials.TransportCredentials, service string) (*adminv1.BackupHeader, string, error) {
	t.Helper()
	conn, err := client.Dial(addr, client.Options{Signer: auth.NewSigner(key, "admin", 0), TLS: tls})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := adminv1.NewAdminServiceClient(conn).Backup(ctx, &adminv1.BackupRequest{Service: service})
	if err != nil {
		return nil, "", err
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(t.TempDir(), service+".db")
	var file bytes.Buffer
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", err
		}
		file.Write(msg.GetChunk())
	}
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return first.GetHeader(), path, nil
}

func TestBackupStreamsAConsistentCopyOfTheDatabase(t *testing.T) {
	addr, key := runDemo(t)
	header, path, err := backup(t, context.Background(), addr, key, nil, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if header.GetService() != "demo" || header.GetSchemaVersion() != 1 || header.GetSnapshotTime() == nil {
		t.Fatalf("header = %v", header)
	}
	db, err := boltdb.Open(path, demoSchema, boltdb.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer db.Close()
	err = db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if got := root.Bucket([]byte("things")).Get([]byte("big")); !bytes.Equal(got, bigValue) {
			t.Errorf("backup holds %d bytes under big, want %d", len(got), len(bigValue))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackupRefusesAnotherServiceNameAndNonServiceCallers(t *testing.T) {
	addr, key := runDemo(t)
	if _, _, err := backup(t, context.Background(), addr, key, nil, "tenancy"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("backup of tenancy from the demo service = %v, want FAILED_PRECONDITION", err)
	}
	asUser := auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindUser, Email: "owner@example.com"})
	if _, _, err := backup(t, asUser, addr, key, nil, "demo"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("backup by a user = %v, want PERMISSION_DENIED", err)
	}
	if _, _, err := backup(t, context.Background(), addr, key, nil, "Not A Name"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("backup of a malformed name = %v, want INVALID_ARGUMENT", err)
	}
}
