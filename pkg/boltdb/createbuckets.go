package boltdb

import bolt "go.etcd.io/bbolt"

// CreateBuckets is a migration creating top-level buckets under the root:
// the first migration of most schemas.
func CreateBuckets(buckets ...[]byte) Migration {
	return Migration{Name: "create buckets", Apply: func(_ *bolt.Tx, root *bolt.Bucket) error {
		for _, b := range buckets {
			if _, err := root.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}}
}
