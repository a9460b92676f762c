package boltdb

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	widgetsBucket = []byte("widgets")
	widgetKey     = []byte("w1")
)

// tenancySchema has one migration creating the widgets bucket, so every
// test database starts at version 1 with somewhere to write.
func tenancySchema(extra ...Migration) Schema {
	return Schema{
		Service: "tenancy",
		Migrations: append([]Migration{{
			Name: "create widgets",
			Apply: func(_ *bolt.Tx, root *bolt.Bucket) error {
				_, err := CreateBucket(root, widgetsBucket)
				return err
			},
		}}, extra...),
	}
}

func testPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "state", "tenancy.db")
}

func openTest(t *testing.T, path string, schema Schema) *DB {
	t.Helper()
	db, err := Open(path, schema, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // Close is idempotent
	return db
}

func putWidget(t *testing.T, db *DB, value string) {
	t.Helper()
	err := db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		return Bucket(root, widgetsBucket).Put(widgetKey, []byte(value))
	})
	if err != nil {
		t.Fatalf("putting widget: %v", err)
	}
}

func getWidget(t *testing.T, db *DB) string {
	t.Helper()
	var value string
	err := db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		value = string(Bucket(root, widgetsBucket).Get(widgetKey))
		return nil
	})
	if err != nil {
		t.Fatalf("reading widget: %v", err)
	}
	return value
}

func requireVersion(t *testing.T, db *DB, want uint64) {
	t.Helper()
	got, err := db.SchemaVersion()
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if got != want {
		t.Fatalf("schema version = %d, want %d", got, want)
	}
}
