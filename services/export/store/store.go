// Package store defines the export service's storage: each device's log
// records, kept per category in time order. The bbolt implementation lives
// in boltstore; storetest is the conformance suite every implementation
// must pass.
package store

import (
	"context"
	"time"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// Cursor is the position of one stored record: its utc_time and a sequence
// number unique within the store, so records sort by time and then by
// arrival. The zero Cursor is before every record.
type Cursor [16]byte

// Query selects records of one device.
type Query struct {
	Device string
	// LogTypes lists the categories to read; empty means all of them.
	LogTypes []int32
	// Start is inclusive and End exclusive; the zero time leaves that side
	// open.
	Start, End time.Time
	// After resumes a scan strictly after this cursor (a zero Cursor starts
	// at the beginning).
	After Cursor
	// Limit stops the scan after this many records; 0 means no limit.
	Limit int
}

// Entry is one record and its position.
type Entry struct {
	Cursor Cursor
	Record *exportv1.LogRecord
}

// Store keeps log records.
//
// Records passed to Append must be valid: category set, log_type matching
// it, utc_time a whole second between 1970 and 2262.
type Store interface {
	// Append stores records of device atomically and returns once they are
	// durable (committed and synced): all of them or none.
	Append(ctx context.Context, device string, records []*exportv1.LogRecord) error
	// Scan calls yield with the matching records in cursor order (time,
	// then arrival) until yield returns false or the records run out. It
	// reads in short transactions, so a slow consumer neither pins the
	// database nor makes memory grow; records appended during a scan may
	// or may not be seen.
	Scan(ctx context.Context, q Query, yield func(Entry) bool) error
	// PurgeBefore deletes every record older than cutoff, in small
	// transactions, and returns how many it deleted.
	PurgeBefore(ctx context.Context, cutoff time.Time) (int64, error)
	// PurgeDevice deletes every record of device and returns how many.
	PurgeDevice(ctx context.Context, device string) (int64, error)
	// Close stops background work; appends after Close fail. It does not
	// close the database, which belongs to whoever opened it.
	Close() error
}
