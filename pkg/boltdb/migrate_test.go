package boltdb

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// recorder builds migrations that log their names when applied.
type recorder struct{ applied []string }

func (r *recorder) step(name string) Migration {
	return Migration{Name: name, Apply: func(*bolt.Tx, *bolt.Bucket) error {
		r.applied = append(r.applied, name)
		return nil
	}}
}

func TestMigrationsApplyInOrderExactlyOnce(t *testing.T) {
	path := testPath(t)
	var rec recorder
	first := Schema{Service: "tenancy", Migrations: []Migration{rec.step("a"), rec.step("b")}}
	if err := openTest(t, path, first).Close(); err != nil {
		t.Fatal(err)
	}
	if err := openTest(t, path, first).Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(rec.applied, want) {
		t.Fatalf("applied = %v, want %v", rec.applied, want)
	}

	upgraded := Schema{Service: "tenancy", Migrations: append(first.Migrations, rec.step("c"), rec.step("d"))}
	db := openTest(t, path, upgraded)
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(rec.applied, want) {
		t.Fatalf("applied after upgrade = %v, want %v", rec.applied, want)
	}
	requireVersion(t, db, 4)
}

func TestFailingMigrationRollsBack(t *testing.T) {
	path := testPath(t)
	db := openTest(t, path, tenancySchema())
	putWidget(t, db, "before")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	var rec recorder
	broken := tenancySchema(
		rec.step("add index"),
		Migration{Name: "rewrite widgets", Apply: func(_ *bolt.Tx, root *bolt.Bucket) error {
			if err := Bucket(root, widgetsBucket).Put(widgetKey, []byte("half-done")); err != nil {
				return err
			}
			return boom
		}},
		rec.step("never reached"),
	)
	_, err := Open(path, broken, Options{NoSync: true})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the migration's error", err)
	}
	if !strings.Contains(err.Error(), `"rewrite widgets"`) {
		t.Errorf("error %q does not name the failing migration", err)
	}
	if want := []string{"add index"}; !reflect.DeepEqual(rec.applied, want) {
		t.Errorf("applied = %v, want %v", rec.applied, want)
	}

	// Steps before the failure stay committed; the failed one left nothing.
	db = openTest(t, path, tenancySchema(rec.step("add index")))
	requireVersion(t, db, 2)
	if got := getWidget(t, db); got != "before" {
		t.Errorf("widget = %q, want the pre-migration value", got)
	}
}
