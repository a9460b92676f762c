package boltdb

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestBucketPaths(t *testing.T) {
	db := openTest(t, testPath(t), tenancySchema())
	tenants, tenantA, members := []byte("tenants"), []byte("a"), []byte("members")

	err := db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if Bucket(root, tenants, tenantA, members) != nil {
			t.Error("Bucket found a path that was never created")
		}
		created, err := CreateBucket(root, tenants, tenantA, members)
		if err != nil {
			return err
		}
		if err := created.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		again, err := CreateBucket(root, tenants, tenantA, members)
		if err != nil {
			t.Errorf("CreateBucket on an existing path: %v", err)
		} else if string(again.Get([]byte("k"))) != "v" {
			t.Error("CreateBucket on an existing path returned a different bucket")
		}
		if Bucket(root) != root {
			t.Error("Bucket with an empty path should return the parent")
		}
		if Bucket(root, tenants, []byte("missing"), members) != nil {
			t.Error("Bucket should be nil when a middle level is missing")
		}
		if Bucket(nil, tenants) != nil {
			t.Error("Bucket(nil, ...) should be nil")
		}
		if _, err := CreateBucket(nil, tenants); err == nil {
			t.Error("CreateBucket(nil, ...) should fail")
		}
		if err := Bucket(root, tenants, tenantA).Put([]byte("leaf"), []byte("x")); err != nil {
			return err
		}
		if _, err := CreateBucket(root, tenants, tenantA, []byte("leaf")); err == nil {
			t.Error("CreateBucket through a plain key should fail")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	err = db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if got := Bucket(root, tenants, tenantA, members).Get([]byte("k")); string(got) != "v" {
			t.Errorf("value under created path = %q, want v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
