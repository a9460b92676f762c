package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
)

// runCmd runs one command function and returns what it printed.
func runCmd(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) error, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmd(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func mustCLI(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) error, args ...string) string {
	t.Helper()
	out, err := runCmd(t, cmd, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

func TestBackupWhileRunningThenRestoreAfterStopping(t *testing.T) {
	s := newLiveSuite(t)
	f := s.fixture()
	s.must(200, "POST", "/v1/members", f.owner, `{"email":"ann@example.com","access_privilege":"PRIVILEGE_MEMBER"}`)
	s.ingest("organizations/acme/devices/fw1", 1, 120)
	dataDir := s.rt.flags.dataDir
	if err := writeState(dataDir, suiteState{PID: os.Getpid(), Components: s.rt.peers, IdentityKey: identityKeyPath(dataDir)}); err != nil {
		t.Fatal(err)
	}

	backupDir := filepath.Join(t.TempDir(), "backup")
	mustCLI(t, runBackup, "--data-dir", dataDir, "--out", backupDir)
	manifest, err := readManifest(backupDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest.Databases) != len(services) {
		t.Fatalf("manifest lists %d databases, want %d", len(manifest.Databases), len(services))
	}
	for _, e := range manifest.Databases {
		if e.SizeBytes == 0 || len(e.SHA256) != 64 || e.SnapshotTime.IsZero() {
			t.Errorf("manifest entry %+v is incomplete", e)
		}
	}
	// Written after the backup, so a restore takes it away.
	s.must(200, "POST", "/v1/organizations?organization_id=later", f.owner, `{"display_name":"Later"}`)

	out, err := runCmd(t, runRestore, "--data-dir", dataDir, "--from", backupDir)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore into the running suite = %v, want a refusal\n%s", err, out)
	}
	s.must(200, "GET", "/v1/organizations/later", f.owner, "")

	for _, svc := range services {
		s.stop(svc.Name)
	}
	mustCLI(t, runRestore, "--data-dir", dataDir, "--from", backupDir)
	for _, svc := range services {
		s.restart(svc.Name)
	}
	s.waitReady()
	s.must(404, "GET", "/v1/organizations/later", f.owner, "")
	checkFixtureData(t, s, f)

	// Restoring into a fresh data dir, with the keys kept beside the
	// backup (and the dev user key, for the owner's token), gives a suite
	// with the same data. A later --data-dir wins over newLiveSuite's own.
	fresh := t.TempDir()
	copyDir(t, filepath.Join(dataDir, "keys"), filepath.Join(fresh, "keys"))
	copyDir(t, filepath.Join(dataDir, "dev"), filepath.Join(fresh, "dev"))
	mustCLI(t, runRestore, "--data-dir", fresh, "--from", backupDir)
	checkFixtureData(t, newLiveSuite(t, "--data-dir", fresh), f)
}

// checkFixtureData checks that the data written before the backup is all
// there: tenancy, membership, token (the API token still works) and export.
func checkFixtureData(t *testing.T, s *liveSuite, f fixture) {
	t.Helper()
	s.must(200, "GET", "/v1/organizations/acme/devices/fw1", f.owner, "")
	if r := s.must(200, "GET", "/v1/members", f.owner, ""); len(r.body["members"].([]any)) != 1 {
		t.Errorf("members = %v, want ann", r.body["members"])
	}
	s.must(200, "GET", "/v1/token", bearer(f.secret), "")
	if r := s.must(200, "GET", "/v1/organizations/acme/devices/fw1/logs?page_size=500", bearer(f.secret), ""); len(r.body["logs"].([]any)) != 120 {
		t.Errorf("%d log records, want 120", len(r.body["logs"].([]any)))
	}
}

func TestBackupOfOneServiceByAddress(t *testing.T) {
	s := newLiveSuite(t)
	dir := filepath.Join(t.TempDir(), "backup")
	mustCLI(t, runBackup, "--tenancy-addr", s.rt.peers[component.Tenancy],
		"--identity-key", identityKeyPath(s.rt.flags.dataDir), "--out", dir)
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Databases) != 1 || m.Databases[0].Service != component.Tenancy {
		t.Fatalf("manifest = %+v, want tenancy only", m.Databases)
	}
	if _, err := runCmd(t, runBackup, "--tenancy-addr", s.rt.peers[component.Tenancy],
		"--identity-key", identityKeyPath(s.rt.flags.dataDir), "--out", dir); err == nil || !strings.Contains(err.Error(), "already holds a backup") {
		t.Errorf("a second backup into the same directory = %v, want a refusal", err)
	}
	// The token service's address under the tenancy flag is caught.
	if _, err := runCmd(t, runBackup, "--tenancy-addr", s.rt.peers[component.Token],
		"--identity-key", identityKeyPath(s.rt.flags.dataDir), "--out", filepath.Join(t.TempDir(), "b")); err == nil || !strings.Contains(err.Error(), "serves token, not tenancy") {
		t.Errorf("backup from the wrong address = %v, want a refusal", err)
	}
}

func TestBackupFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{
		{}, // no --out
		{"--out", "x", "--tenancy-addr", "127.0.0.1:1"}, // no identity key
		{"--out", "x", "--tenancy-addr", "nowhere"},
		{"--out", "x", "--peer-tls-cert", "c.pem"},
	} {
		if _, err := runCmd(t, runBackup, args...); err == nil {
			t.Errorf("backup %v accepted", args)
		} else if !errors.As(err, new(usageError)) {
			t.Errorf("backup %v: %v, want a usage error", args, err)
		}
	}
}

// makeBackup writes a backup of empty databases of the named services.
func makeBackup(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	var m backupManifest
	for _, name := range names {
		db, err := boltdb.Open(filepath.Join(dir, backupFileName(name)), schemaOf(name), boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		version, _ := db.SchemaVersion()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		e := backupEntry{Service: name, File: backupFileName(name), SchemaVersion: version}
		e.SizeBytes, e.SHA256 = fileDigest(t, filepath.Join(dir, e.File))
		m.Databases = append(m.Databases, e)
	}
	if err := writeManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRestoreRefusesAChangedFileBeforeTouchingAnything(t *testing.T) {
	backupDir := makeBackup(t, component.Tenancy, component.Token)
	path := filepath.Join(backupDir, backupFileName(component.Token))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	_, err = runCmd(t, runRestore, "--data-dir", target, "--from", backupDir)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("restore of a damaged backup = %v, want a checksum refusal", err)
	}
	assertNoDatabases(t, target)
}

func TestRestoreRefusesALockedDataDirBeforeTouchingAnything(t *testing.T) {
	backupDir := makeBackup(t, component.Tenancy, component.Token)
	target := t.TempDir()
	held, err := boltdb.Open(component.DatabasePath(target, component.Token), schemaOf(component.Token), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, err = runCmd(t, runRestore, "--data-dir", target, "--from", backupDir)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore into a locked data dir = %v, want a refusal", err)
	}
	if _, err := os.Stat(component.DatabasePath(target, component.Tenancy)); err == nil {
		t.Error("tenancy was restored although token was refused")
	}
}

func TestRestoreOfOneService(t *testing.T) {
	backupDir := makeBackup(t, component.Tenancy, component.Token)
	target := t.TempDir()
	mustCLI(t, runRestore, "--data-dir", target, "--from", backupDir, "--service", component.Token)
	if _, err := os.Stat(component.DatabasePath(target, component.Token)); err != nil {
		t.Errorf("token not restored: %v", err)
	}
	if _, err := os.Stat(component.DatabasePath(target, component.Tenancy)); err == nil {
		t.Error("tenancy restored although only token was asked for")
	}
	if _, err := runCmd(t, runRestore, "--data-dir", target, "--from", backupDir, "--service", component.Export); err == nil {
		t.Error("restore of a service missing from the backup was accepted")
	}
}

func assertNoDatabases(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.db*"))
	if len(matches) > 0 {
		t.Errorf("files appeared in the target: %v", matches)
	}
}

func fileDigest(t *testing.T, path string) (int64, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return int64(len(b)), hex.EncodeToString(sum[:])
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
