// Package boltstore is the bbolt implementation of the token store.
//
// Bucket layout, under the versioned root bucket of pkg/boltdb:
//
//	v1/
//	  tokens/<token id>                                → record (JSON, record.go): name, display name, creator, hint,
//	                                                     create/expire/rotate/revoke times, last use time and address,
//	                                                     current secret HMAC + hash key id, previous secret HMAC + key id
//	                                                     + grace end; never a secret
//	  device_tokens/<device name>\x00<create ns><id>   → empty (index: a device's tokens, oldest first)
//	  grace_ends/<grace end ns><id>                    → empty (index: pending grace-period ends, earliest first)
//	  device_live_tokens/<device name>\x00<create ns><id> → empty (index: a device's tokens not revoked, so
//	                                                     creation checks its limit without reading revoked ones)
//
// Times in keys are 8-byte big-endian Unix nanoseconds. Indexes are written
// in the same transaction as the records they point at.
package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/services/token/store"
)

var (
	bucketTokens       = []byte("tokens")
	bucketDeviceTokens = []byte("device_tokens")
	bucketGraceEnds    = []byte("grace_ends")
	bucketLiveTokens   = []byte("device_live_tokens")
)

// Schema is the token database schema; its migrations create the buckets.
var Schema = boltdb.Schema{
	Service: "token",
	Migrations: []boltdb.Migration{
		boltdb.CreateBuckets(bucketTokens, bucketDeviceTokens, bucketGraceEnds),
		{Name: "index unrevoked tokens", Apply: indexLiveTokens},
	},
}

// Store is the bbolt token store.
type Store struct{ db *boltdb.DB }

var _ store.Store = (*Store)(nil)

// New wraps an open database (opened with Schema).
func New(db *boltdb.DB) *Store { return &Store{db: db} }

func notFound(id string) error { return fmt.Errorf("token %q: %w", id, errs.ErrNotFound) }

// load returns the token with id, or nil if there is none.
func load(root *bolt.Bucket, id string) (*store.Token, error) {
	v := root.Bucket(bucketTokens).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decode([]byte(id), v)
}

// write stores t and keeps the indexes in step; old is the stored version
// (nil for a new token).
func write(root *bolt.Bucket, old, t *store.Token) error {
	v, err := encode(t)
	if err != nil {
		return err
	}
	if err := root.Bucket(bucketTokens).Put([]byte(t.ID), v); err != nil {
		return err
	}
	key, err := deviceKey(t.Device, t.CreateTime, t.ID)
	if err != nil {
		return err
	}
	if old == nil {
		if err := root.Bucket(bucketDeviceTokens).Put(key, nil); err != nil {
			return err
		}
	}
	switch {
	case (old == nil || old.RevokeTime.IsZero()) && !t.RevokeTime.IsZero():
		if err := root.Bucket(bucketLiveTokens).Delete(key); err != nil {
			return err
		}
	case old == nil && t.RevokeTime.IsZero():
		if err := root.Bucket(bucketLiveTokens).Put(key, nil); err != nil {
			return err
		}
	}
	if err := unindexGrace(root, old); err != nil {
		return err
	}
	if t.Previous == nil {
		return nil
	}
	grace, err := graceKey(t.Previous.GraceEnd, t.ID)
	if err != nil {
		return err
	}
	return root.Bucket(bucketGraceEnds).Put(grace, nil)
}

func unindexGrace(root *bolt.Bucket, t *store.Token) error {
	if t == nil || t.Previous == nil {
		return nil
	}
	key, err := graceKey(t.Previous.GraceEnd, t.ID)
	if err != nil {
		return err
	}
	return root.Bucket(bucketGraceEnds).Delete(key)
}

// insert stores a new token, refusing a taken id.
func insert(root *bolt.Bucket, t *store.Token) error {
	if root.Bucket(bucketTokens).Get([]byte(t.ID)) != nil {
		return fmt.Errorf("token %q: %w", t.ID, errs.ErrAlreadyExists)
	}
	return write(root, nil, t)
}

// deviceTokens walks the device's index from after (exclusive; zero for
// the start) and calls visit for each token until it returns false.
func deviceTokens(root *bolt.Bucket, device string, after store.Position, visit func(*store.Token) bool) error {
	return walkDeviceIndex(root.Bucket(bucketDeviceTokens), root, device, after, visit)
}

// walkDeviceIndex walks a device-keyed index (all tokens, or the unrevoked
// ones).
func walkDeviceIndex(index, root *bolt.Bucket, device string, after store.Position, visit func(*store.Token) bool) error {
	prefix, err := devicePrefix(device)
	if err != nil {
		return err
	}
	start := prefix
	if after.ID != "" {
		if start, err = deviceKey(device, after.CreateTime, after.ID); err != nil {
			return err
		}
	}
	c := index.Cursor()
	k, _ := c.Seek(start)
	if after.ID != "" && bytes.Equal(k, start) {
		k, _ = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		_, id, err := splitTimeKey(k[len(prefix):])
		if err != nil {
			return err
		}
		t, err := load(root, id)
		if err != nil {
			return err
		}
		if t == nil {
			return fmt.Errorf("device index points at missing token %q", id)
		}
		if !visit(t) {
			return nil
		}
	}
	return nil
}

func (s *Store) CreateToken(_ context.Context, t *store.Token, admit func([]*store.Token) error) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		if admit != nil {
			var existing []*store.Token
			err := walkDeviceIndex(root.Bucket(bucketLiveTokens), root, t.Device, store.Position{}, func(e *store.Token) bool {
				existing = append(existing, e)
				return true
			})
			if err != nil {
				return err
			}
			if err := admit(existing); err != nil {
				return err
			}
		}
		return insert(root, t)
	})
}

func (s *Store) GetToken(_ context.Context, id string) (*store.Token, error) {
	var t *store.Token
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) (err error) {
		if t, err = load(root, id); err == nil && t == nil {
			err = notFound(id)
		}
		return err
	})
	return t, err
}

func (s *Store) ListDeviceTokens(_ context.Context, device string, after store.Position, limit int, keep func(*store.Token) bool) ([]*store.Token, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []*store.Token
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		return deviceTokens(root, device, after, func(t *store.Token) bool {
			if keep == nil || keep(t) {
				out = append(out, t)
			}
			return len(out) < limit
		})
	})
	return out, err
}

func (s *Store) UpdateToken(_ context.Context, id string, mutate func(*store.Token) error) (*store.Token, error) {
	var updated *store.Token
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		old, err := load(root, id)
		if err != nil {
			return err
		}
		if old == nil {
			return notFound(id)
		}
		t, err := load(root, id) // a separate copy for mutate to change
		if err != nil {
			return err
		}
		if err := mutate(t); err != nil {
			return err
		}
		if t.ID != old.ID || t.Name != old.Name || t.Device != old.Device || !t.CreateTime.Equal(old.CreateTime) {
			return fmt.Errorf("token %q: id, name, device and create time cannot change: %w", id, errs.ErrFailedPrecondition)
		}
		updated = t
		return write(root, old, t)
	})
	return updated, err
}

func (s *Store) DeleteDeviceTokens(_ context.Context, device string) ([]*store.Token, error) {
	var deleted []*store.Token
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		err := deviceTokens(root, device, store.Position{}, func(t *store.Token) bool {
			deleted = append(deleted, t)
			return true
		})
		if err != nil {
			return err
		}
		// Deleting only after the walk: bbolt cursors must not see their
		// bucket change under them.
		index, tokens := root.Bucket(bucketDeviceTokens), root.Bucket(bucketTokens)
		for _, t := range deleted {
			key, err := deviceKey(t.Device, t.CreateTime, t.ID)
			if err != nil {
				return err
			}
			if err := index.Delete(key); err != nil {
				return err
			}
			if err := root.Bucket(bucketLiveTokens).Delete(key); err != nil {
				return err
			}
			if err := unindexGrace(root, t); err != nil {
				return err
			}
			if err := tokens.Delete([]byte(t.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	return deleted, err
}

func (s *Store) RecordUses(_ context.Context, uses map[string]store.Use) error {
	if len(uses) == 0 {
		return nil
	}
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		for id, use := range uses {
			t, err := load(root, id)
			if err != nil {
				return err
			}
			if t == nil || !use.Time.After(t.LastUseTime) {
				continue
			}
			t.LastUseTime, t.LastUseAddress = use.Time, use.Address
			v, err := encode(t)
			if err != nil {
				return err
			}
			if err := root.Bucket(bucketTokens).Put([]byte(id), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) NextGraceEnd(_ context.Context) (time.Time, bool, error) {
	var (
		next  time.Time
		found bool
	)
	err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) error {
		k, _ := root.Bucket(bucketGraceEnds).Cursor().First()
		if k == nil {
			return nil
		}
		var err error
		next, _, err = splitTimeKey(k)
		found = err == nil
		return err
	})
	return next, found, err
}

func (s *Store) EndGraces(_ context.Context, now time.Time) ([]*store.Token, error) {
	var ended []*store.Token
	err := s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		var due []string
		c := root.Bucket(bucketGraceEnds).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			end, id, err := splitTimeKey(k)
			if err != nil {
				return err
			}
			if end.After(now) {
				break
			}
			due = append(due, id)
		}
		for _, id := range due {
			old, err := load(root, id)
			if err != nil {
				return err
			}
			if old == nil || old.Previous == nil {
				return fmt.Errorf("grace index points at token %q without a previous secret", id)
			}
			t := *old
			t.Previous = nil
			if err := write(root, old, &t); err != nil {
				return err
			}
			ended = append(ended, &t)
		}
		return nil
	})
	return ended, err
}

// Import stores many new tokens in one transaction, with their indexes:
// for bulk loads such as restoring an export or building a benchmark
// fixture. A taken id fails the whole import.
func (s *Store) Import(_ context.Context, tokens []*store.Token) error {
	return s.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
		for _, t := range tokens {
			if err := insert(root, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// indexLiveTokens is schema migration 2: it creates the index of unrevoked
// tokens and fills it from the stored records.
func indexLiveTokens(_ *bolt.Tx, root *bolt.Bucket) error {
	live, err := root.CreateBucketIfNotExists(bucketLiveTokens)
	if err != nil {
		return err
	}
	return root.Bucket(bucketTokens).ForEach(func(id, v []byte) error {
		t, err := decode(id, v)
		if err != nil || !t.RevokeTime.IsZero() {
			return err
		}
		key, err := deviceKey(t.Device, t.CreateTime, t.ID)
		if err != nil {
			return err
		}
		return live.Put(key, nil)
	})
}
