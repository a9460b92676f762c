package boltdb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func writeBackup(t *testing.T, db *DB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(f)
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if n == 0 {
		t.Fatal("Backup wrote nothing")
	}
	return path
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	source := openTest(t, testPath(t), tenancySchema())
	putWidget(t, source, "green")
	backup := writeBackup(t, source)
	putWidget(t, source, "changed after backup")

	target := testPath(t)
	existing := openTest(t, target, tenancySchema())
	putWidget(t, existing, "to be replaced")
	if err := existing.Close(); err != nil {
		t.Fatal(err)
	}

	if err := RestoreFile(backup, target, tenancySchema()); err != nil {
		t.Fatalf("RestoreFile: %v", err)
	}
	restored := openTest(t, target, tenancySchema())
	if got := getWidget(t, restored); got != "green" {
		t.Errorf("restored widget = %q, want green", got)
	}
	requireVersion(t, restored, 1)
	leftovers, err := filepath.Glob(target + ".restore-*")
	if err != nil || len(leftovers) > 0 {
		t.Errorf("temp files left behind: %v %v", leftovers, err)
	}
}

func TestRestoreIntoMissingTarget(t *testing.T) {
	source := openTest(t, testPath(t), tenancySchema())
	putWidget(t, source, "green")
	backup := writeBackup(t, source)

	target := filepath.Join(t.TempDir(), "fresh", "tenancy.db")
	if err := RestoreFile(backup, target, tenancySchema()); err != nil {
		t.Fatalf("RestoreFile: %v", err)
	}
	if got := getWidget(t, openTest(t, target, tenancySchema())); got != "green" {
		t.Errorf("restored widget = %q, want green", got)
	}
}

func TestRestoreRefusesLockedTarget(t *testing.T) {
	backup := writeBackup(t, openTest(t, testPath(t), tenancySchema()))
	target := testPath(t)
	running := openTest(t, target, tenancySchema())
	putWidget(t, running, "live")

	if err := RestoreFile(backup, target, tenancySchema()); !errors.Is(err, ErrLocked) {
		t.Fatalf("RestoreFile over a running database: err = %v, want ErrLocked", err)
	}
	if got := getWidget(t, running); got != "live" {
		t.Errorf("running database changed to %q", got)
	}
}

func TestRestoreRejectsBadBackups(t *testing.T) {
	newer := tenancySchema(Migration{Name: "noop", Apply: func(*bolt.Tx, *bolt.Bucket) error { return nil }})
	cases := map[string]struct {
		backupSchema Schema
		want         error
	}{
		"newer schema":  {newer, ErrNewerSchema},
		"other service": {Schema{Service: "token"}, ErrWrongService},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			backup := writeBackup(t, openTest(t, testPath(t), tc.backupSchema))
			target := testPath(t)
			existing := openTest(t, target, tenancySchema())
			putWidget(t, existing, "keep me")
			if err := existing.Close(); err != nil {
				t.Fatal(err)
			}

			if err := RestoreFile(backup, target, tenancySchema()); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got := getWidget(t, openTest(t, target, tenancySchema())); got != "keep me" {
				t.Errorf("target changed to %q after a rejected restore", got)
			}
		})
	}
}

func TestRestoreAcceptsOlderBackupAndOpenMigratesIt(t *testing.T) {
	older := openTest(t, testPath(t), tenancySchema())
	putWidget(t, older, "old")
	backup := writeBackup(t, older)

	var rec recorder
	current := tenancySchema(rec.step("v2"))
	target := testPath(t)
	if err := RestoreFile(backup, target, current); err != nil {
		t.Fatalf("RestoreFile: %v", err)
	}
	db := openTest(t, target, current)
	requireVersion(t, db, 2)
	if len(rec.applied) != 1 || getWidget(t, db) != "old" {
		t.Errorf("applied = %v, widget = %q; want the v2 step once and the old data", rec.applied, getWidget(t, db))
	}
}
