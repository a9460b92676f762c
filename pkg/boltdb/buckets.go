package boltdb

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bucket walks path below parent and returns the last bucket, or nil if any
// level is missing. With an empty path it returns parent.
func Bucket(parent *bolt.Bucket, path ...[]byte) *bolt.Bucket {
	bucket := parent
	for _, name := range path {
		if bucket == nil {
			return nil
		}
		bucket = bucket.Bucket(name)
	}
	return bucket
}

// CreateBucket walks path below parent, creating missing levels, and returns
// the last bucket. It needs a read-write transaction.
func CreateBucket(parent *bolt.Bucket, path ...[]byte) (*bolt.Bucket, error) {
	if parent == nil {
		return nil, fmt.Errorf("boltdb: creating bucket %q: parent bucket is nil", path)
	}
	bucket := parent
	for i, name := range path {
		var err error
		if bucket, err = bucket.CreateBucketIfNotExists(name); err != nil {
			return nil, fmt.Errorf("boltdb: creating bucket %q: %w", path[:i+1], err)
		}
	}
	return bucket, nil
}
