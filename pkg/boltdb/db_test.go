package boltdb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesLayout(t *testing.T) {
	path := testPath(t)
	db := openTest(t, path, tenancySchema())

	for p, want := range map[string]os.FileMode{filepath.Dir(path): dirMode, path: fileMode} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", p, got, want)
		}
	}
	err := db.DB.View(func(tx *bolt.Tx) error {
		meta := Bucket(tx.Bucket([]byte("v1")), []byte("meta"))
		if meta == nil {
			t.Fatal("v1/meta bucket missing")
		}
		if got := string(meta.Get([]byte("service"))); got != "tenancy" {
			t.Errorf("service = %q, want tenancy", got)
		}
		if got := meta.Get([]byte("schema_version")); string(got) != string(Uint64Key(1)) {
			t.Errorf("schema_version = %x, want 8-byte big-endian 1", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	requireVersion(t, db, 1)
}

func TestReopenKeepsData(t *testing.T) {
	path := testPath(t)
	db := openTest(t, path, tenancySchema())
	putWidget(t, db, "blue")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTest(t, path, tenancySchema())
	if got := getWidget(t, db); got != "blue" {
		t.Fatalf("widget after reopen = %q, want blue", got)
	}
	requireVersion(t, db, 1)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := testPath(t)
	newer := tenancySchema(Migration{Name: "noop", Apply: func(*bolt.Tx, *bolt.Bucket) error { return nil }})
	if err := openTest(t, path, newer).Close(); err != nil {
		t.Fatal(err)
	}

	_, err := Open(path, tenancySchema(), Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of newer file: err = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{"version 2", "up to 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenRefusesOtherService(t *testing.T) {
	path := testPath(t)
	if err := openTest(t, path, tenancySchema()).Close(); err != nil {
		t.Fatal(err)
	}

	_, err := Open(path, Schema{Service: "token"}, Options{})
	if !errors.Is(err, ErrWrongService) {
		t.Fatalf("err = %v, want ErrWrongService", err)
	}
	if !strings.Contains(err.Error(), `"tenancy"`) || !strings.Contains(err.Error(), `"token"`) {
		t.Errorf("error %q should name both services", err)
	}
}

func TestOpenRefusesForeignBoltFile(t *testing.T) {
	path := testPath(t)
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		t.Fatal(err)
	}
	foreign, err := bolt.Open(path, fileMode, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = foreign.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("someone-else"))
		return err
	})
	if err := errors.Join(err, foreign.Close()); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(path, tenancySchema(), Options{}); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("err = %v, want ErrNotInitialized", err)
	}
}

func TestOpenTimesOutOnLockedFile(t *testing.T) {
	path := testPath(t)
	openTest(t, path, tenancySchema())

	start := time.Now()
	_, err := Open(path, tenancySchema(), Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "another process") {
		t.Errorf("error %q should say another process holds the file", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("second Open took %s, Timeout not honoured", elapsed)
	}
}

func TestReadOnlyOpen(t *testing.T) {
	path := testPath(t)
	db := openTest(t, path, tenancySchema())
	putWidget(t, db, "red")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := Open(path, tenancySchema(), Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer ro.Close()
	if got := getWidget(t, ro); got != "red" {
		t.Errorf("widget = %q, want red", got)
	}
	err = ro.Update(func(*bolt.Tx, *bolt.Bucket) error { return nil })
	if !errors.Is(err, bolt.ErrDatabaseReadOnly) {
		t.Errorf("Update on read-only DB: err = %v, want ErrDatabaseReadOnly", err)
	}
}

func TestReadOnlyOpenRefusesPendingMigrations(t *testing.T) {
	path := testPath(t)
	if err := openTest(t, path, tenancySchema()).Close(); err != nil {
		t.Fatal(err)
	}
	newer := tenancySchema(Migration{Name: "noop", Apply: func(*bolt.Tx, *bolt.Bucket) error { return nil }})

	_, err := Open(path, newer, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Fatalf("err = %v, want a request to open read-write to migrate", err)
	}
}

func TestReadOnlyOpenOfMissingFileFails(t *testing.T) {
	path := testPath(t)
	if _, err := Open(path, tenancySchema(), Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open created the directory: stat err = %v", err)
	}
}

func TestOpenRejectsInvalidSchema(t *testing.T) {
	for name, schema := range map[string]Schema{
		"no service":      {},
		"unnamed step":    {Service: "tenancy", Migrations: []Migration{{Apply: func(*bolt.Tx, *bolt.Bucket) error { return nil }}}},
		"step without fn": {Service: "tenancy", Migrations: []Migration{{Name: "x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(testPath(t), schema, Options{}); err == nil {
				t.Fatal("Open accepted an invalid schema")
			}
		})
	}
}
