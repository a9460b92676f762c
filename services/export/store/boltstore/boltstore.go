// Package boltstore is the bbolt implementation of the export store.
//
// Bucket layout, under the versioned root bucket of pkg/boltdb:
//
//	v1/
//	  devices/                       its bucket sequence is the last record sequence number handed out
//	    <device name>/               one bucket per device, e.g. organizations/acme/devices/fw-1
//	      <category name>/           one bucket per category with records, e.g. traffic
//	        TimeKey(utc_time, seq) → exportv1.LogRecord (proto)
//
// Keys are boltdb.TimeKey: big-endian nanoseconds then a sequence number
// unique in the database, so a bucket is in time order, same-second
// records keep their arrival order, and a key identifies a record across
// categories (it is the store.Cursor). A category filter opens only its
// buckets; reading all categories merges the device's category cursors by
// key.
package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/services/export/store"
)

var bucketDevices = []byte("devices")

// Schema is the export database schema; its migrations create the buckets.
var Schema = boltdb.Schema{
	Service: "export",
	Migrations: []boltdb.Migration{
		boltdb.CreateBuckets(bucketDevices),
	},
}

// Store is the bbolt export store.
type Store struct {
	db        *boltdb.DB
	committer *committer
}

var _ store.Store = (*Store)(nil)

// New wraps an open database (opened with Schema) and starts the group
// committer; Close stops it.
func New(db *boltdb.DB) *Store {
	return &Store{db: db, committer: startCommitter(db)}
}

// Close stops the committer after the appends already queued are
// committed.
func (s *Store) Close() error {
	s.committer.close()
	return nil
}

// errClosed is returned by Append after Close.
var errClosed = errors.New("export store is closed")

var (
	// minKey sorts before and maxKey after every record key.
	minKey = make([]byte, len(store.Cursor{}))
	maxKey = bytes.Repeat([]byte{0xff}, len(store.Cursor{}))
)

// boundKey is the first key at or after t, clamped to the range time keys
// can hold.
func boundKey(t time.Time) []byte {
	k, err := boltdb.TimeKey(t, 0)
	switch {
	case err == nil:
		return k
	case t.Before(time.Unix(0, 0)):
		return minKey
	default:
		return maxKey
	}
}

// cursorOf copies a record key into a Cursor.
func cursorOf(key []byte) (store.Cursor, error) {
	var c store.Cursor
	if len(key) != len(c) {
		return c, fmt.Errorf("export store: record key of %d bytes, want %d", len(key), len(c))
	}
	copy(c[:], key)
	return c, nil
}
