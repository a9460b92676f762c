package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/credentials"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/config"
	adminv1 "github.com/tollgate/tollgate/proto/tollgate/admin/v1"
)

// adminIdentity is the service name the backup tool calls the services as.
const adminIdentity = "admin"

// backupTarget is one service to back up and where it listens.
type backupTarget struct {
	service, addr string
}

type backupFlags struct {
	dataDir     string
	out         string
	identityKey string
	addrs       map[string]*string
	peerTLS     component.PeerTLSFlags
}

func parseBackupFlags(args []string, errOut io.Writer) (*backupFlags, error) {
	fs := newFlagSet("backup", errOut)
	f := &backupFlags{addrs: map[string]*string{}}
	fs.StringVar(&f.dataDir, "data-dir", "./data", "data directory of a running all-in-one suite (tollgate up), to find its services and identity key")
	fs.StringVar(&f.out, "out", "", "directory to write the backup to; must not hold a backup already (required)")
	fs.StringVar(&f.identityKey, "identity-key", "", "internal identity key file (default: the running suite's; required with --<service>-addr)")
	for _, svc := range services {
		f.addrs[svc.Name] = fs.String(svc.Name+"-addr", "", "back up the "+svc.Name+" service at this gRPC address instead of the suite in --data-dir")
	}
	f.peerTLS.Register(fs)
	fs.Lookup("peer-tls-server-name").Usage += "; " + serviceNamePlaceholder + " stands for each service's name, e.g. " + serviceNamePlaceholder + ".tollgate.svc"
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("tollgate backup: unexpected argument %q", fs.Arg(0))}
	}
	var p config.Problems
	p.NonEmpty("out", f.out)
	p.File("identity-key", f.identityKey)
	addressed := false
	for name, addr := range f.addrs {
		if *addr != "" {
			addressed = true
			p.HostPort(name+"-addr", *addr)
		}
	}
	if addressed && f.identityKey == "" {
		p.Addf("identity-key", "must be set with --<service>-addr (no state file is read then)")
	}
	f.peerTLS.Check(&p)
	if err := p.Err(); err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

// targets are the services given by --<service>-addr, else every service
// of the suite running in --data-dir; the key path comes along.
func (f *backupFlags) targets() ([]backupTarget, string, error) {
	var picked []backupTarget
	for _, svc := range services {
		if addr := *f.addrs[svc.Name]; addr != "" {
			picked = append(picked, backupTarget{service: svc.Name, addr: addr})
		}
	}
	if len(picked) > 0 {
		return picked, f.identityKey, nil
	}
	st, err := readState(f.dataDir)
	if err != nil {
		return nil, "", err
	}
	for _, svc := range services {
		addr := st.Components[svc.Name]
		if addr == "" {
			return nil, "", fmt.Errorf("%s lists no address for %s", statePath(f.dataDir), svc.Name)
		}
		picked = append(picked, backupTarget{service: svc.Name, addr: addr})
	}
	key := f.identityKey
	if key == "" {
		key = st.IdentityKey
	}
	return picked, key, nil
}

// serviceNamePlaceholder in --peer-tls-server-name stands for each
// service's name, since one invocation reaches services whose certificates
// carry different names.
const serviceNamePlaceholder = "{service}"

// peerTLSFor is the TLS setting for calls to one service.
func (f *backupFlags) peerTLSFor(service string) *component.PeerTLSFlags {
	tls := f.peerTLS
	tls.ServerName = strings.ReplaceAll(tls.ServerName, serviceNamePlaceholder, service)
	return &tls
}

// runBackup copies the databases of running services into a directory,
// online, through each service's AdminService. The services are backed up
// at the same time, so their snapshots are taken moments apart.
func runBackup(ctx context.Context, args []string, out, errOut io.Writer) error {
	f, err := parseBackupFlags(args, errOut)
	if err != nil {
		return err
	}
	targets, keyPath, err := f.targets()
	if err != nil {
		return err
	}
	key, err := auth.LoadPrivateKey(keyPath)
	if err != nil {
		return fmt.Errorf("identity key: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	creds := make([]credentials.TransportCredentials, len(targets))
	for i, t := range targets {
		if creds[i], err = f.peerTLSFor(t.service).Credentials(logger); err != nil {
			return fmt.Errorf("--peer-tls-*: %w", err)
		}
	}
	if err := prepareBackupDir(f.out); err != nil {
		return err
	}
	signer := auth.NewSigner(key, adminIdentity, 0)
	entries := make([]backupEntry, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range targets {
		g.Go(func() (err error) {
			entries[i], err = fetchBackup(gctx, t, signer, creds[i], f.out)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		for _, t := range targets {
			_ = os.Remove(filepath.Join(f.out, backupFileName(t.service))) // a failed backup leaves no databases behind
		}
		return err
	}
	if err := writeManifest(f.out, backupManifest{CreateTime: time.Now().UTC(), Databases: entries}); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, []string{e.Service, strconv.FormatUint(e.SchemaVersion, 10), strconv.FormatInt(e.SizeBytes, 10), e.SHA256[:16]})
	}
	if err := printTable(out, []string{"SERVICE", "SCHEMA", "BYTES", "SHA256"}, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "backup written to %s (keys are not included: keep the identity and token hash keys with it)\n", f.out)
	return err
}

// prepareBackupDir creates dir, refusing one that holds a backup already
// so that two backups never mix.
func prepareBackupDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	_, err := os.Stat(filepath.Join(dir, manifestFile))
	switch {
	case err == nil:
		return fmt.Errorf("%s already holds a backup; choose a new --out directory", dir)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// fetchBackup streams one service's database into dir/<service>.db
// through a temporary file, hashing it on the way.
func fetchBackup(ctx context.Context, t backupTarget, signer *auth.Signer, creds credentials.TransportCredentials, dir string) (backupEntry, error) {
	fail := func(err error) (backupEntry, error) {
		return backupEntry{}, fmt.Errorf("backup of %s at %s: %w", t.service, t.addr, err)
	}
	conn, err := client.Dial(t.addr, client.Options{Signer: signer, TLS: creds})
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	stream, err := adminv1.NewAdminServiceClient(conn).Backup(ctx, &adminv1.BackupRequest{Service: t.service})
	if err != nil {
		return fail(err)
	}
	first, err := stream.Recv()
	if err != nil {
		return fail(err)
	}
	header := first.GetHeader()
	if header.GetService() != t.service {
		return fail(fmt.Errorf("the stream began with %v, want a header for %s", first, t.service))
	}
	path := filepath.Join(dir, backupFileName(t.service))
	size, sum, err := receiveFile(stream, path)
	if err != nil {
		return fail(err)
	}
	return backupEntry{
		Service:       t.service,
		File:          backupFileName(t.service),
		SchemaVersion: header.GetSchemaVersion(),
		SizeBytes:     size,
		SHA256:        sum,
		SnapshotTime:  header.GetSnapshotTime().AsTime(),
	}, nil
}

// chunkStream is the receiving end of a backup after its header.
type chunkStream interface {
	Recv() (*adminv1.BackupResponse, error)
}

// receiveFile writes the stream's chunks to path, returning the size and
// SHA-256. The file appears at path only once complete and synced.
func receiveFile(stream chunkStream, path string) (int64, string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".partial-*")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	var size int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = tmp.Close()
			return 0, "", err
		}
		n, err := w.Write(msg.GetChunk())
		size += int64(n)
		if err != nil {
			_ = tmp.Close()
			return 0, "", err
		}
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return 0, "", err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, "", err
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}
