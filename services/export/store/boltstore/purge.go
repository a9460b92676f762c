package boltstore

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate/tollgate/pkg/boltdb"
)

// purgeChunk bounds the keys one retention transaction deletes, so the
// writer lock is only ever held briefly and ingest keeps flowing.
const purgeChunk = 10_000

// bucketRef names one device's category bucket.
type bucketRef struct{ device, category []byte }

func (s *Store) PurgeBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	cutoffKey := boundKey(cutoff)
	expired, err := s.expiredBuckets(cutoffKey)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, ref := range expired {
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			n, err := s.deleteOldest(ref, cutoffKey)
			total += int64(n)
			if err != nil {
				return total, err
			}
			if n < purgeChunk {
				break
			}
		}
	}
	return total, nil
}

// expiredBuckets lists the category buckets whose oldest record is before
// cutoffKey. Checking first in a read transaction spares a write (and its
// fsync) for every bucket with nothing to delete.
func (s *Store) expiredBuckets(cutoffKey []byte) ([]bucketRef, error) {
	var refs []bucketRef
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		return root.Bucket(bucketDevices).ForEachBucket(func(device []byte) error {
			b := root.Bucket(bucketDevices).Bucket(device)
			return b.ForEachBucket(func(cat []byte) error {
				if first, _ := b.Bucket(cat).Cursor().First(); first != nil && bytes.Compare(first, cutoffKey) < 0 {
					refs = append(refs, bucketRef{device: bytes.Clone(device), category: bytes.Clone(cat)})
				}
				return nil
			})
		})
	})
	return refs, err
}

// deleteOldest deletes up to purgeChunk keys before cutoffKey from one
// bucket and reports how many it deleted.
func (s *Store) deleteOldest(ref bucketRef, cutoffKey []byte) (int, error) {
	var n int
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		b := boltdb.Bucket(root, bucketDevices, ref.device, ref.category)
		if b == nil {
			return nil
		}
		// Keys are collected first: deleting under a moving cursor can
		// skip entries.
		keys := make([]byte, 0, purgeChunk*len(minKey))
		c := b.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, cutoffKey) < 0 && n < purgeChunk; k, _ = c.Next() {
			keys = append(keys, k...)
			n++
		}
		for i := range n {
			if err := b.Delete(keys[i*len(minKey) : (i+1)*len(minKey)]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Store) PurgeDevice(ctx context.Context, device string) (int64, error) {
	name := []byte(device)
	var present [][]byte
	exists := false
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		b := boltdb.Bucket(root, bucketDevices, name)
		if b == nil {
			return nil
		}
		exists = true
		return b.ForEachBucket(func(cat []byte) error {
			present = append(present, bytes.Clone(cat))
			return nil
		})
	})
	if err != nil || !exists {
		return 0, err
	}
	// One transaction per category keeps each write short; the device
	// bucket goes last, with anything an append added meanwhile.
	var total int64
	for _, cat := range present {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int64
		err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
			b := boltdb.Bucket(root, bucketDevices, name)
			if b == nil || b.Bucket(cat) == nil {
				return nil
			}
			n = int64(b.Bucket(cat).Stats().KeyN)
			return b.DeleteBucket(cat)
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	var n int64
	err = s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		devices := root.Bucket(bucketDevices)
		b := devices.Bucket(name)
		if b == nil {
			return nil
		}
		_ = b.ForEachBucket(func(cat []byte) error {
			n += int64(b.Bucket(cat).Stats().KeyN)
			return nil
		})
		return devices.DeleteBucket(name)
	})
	if err != nil {
		return total, err
	}
	return total + n, nil
}
