package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// scanChunk is how many records one read transaction collects. Short
// transactions keep a slow consumer from pinning old pages (and from
// stalling a writer that must grow the memory map), and bound the memory
// a scan holds.
const scanChunk = 512

func (s *Store) Scan(ctx context.Context, q store.Query, yield func(store.Entry) bool) error {
	r := scanRange{device: []byte(q.Device), logTypes: q.LogTypes, from: boundKey(q.Start), after: q.After}
	if !q.End.IsZero() {
		r.end = boundKey(q.End)
	}
	chunk := make([]store.Entry, 0, scanChunk)
	left := q.Limit
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := scanChunk
		if q.Limit > 0 {
			want = min(want, left)
		}
		chunk = chunk[:0]
		err := s.db.View(func(_ *bolt.Tx, root *bolt.Bucket) (err error) {
			chunk, err = r.read(root, want, chunk)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range chunk {
			if !yield(e) {
				return nil
			}
		}
		if len(chunk) < want {
			return nil
		}
		r.after = chunk[len(chunk)-1].Cursor
		if q.Limit > 0 {
			if left -= len(chunk); left == 0 {
				return nil
			}
		}
	}
}

// scanRange is a scan's position: keys in [from, end) strictly after
// after; end nil means no upper bound.
type scanRange struct {
	device   []byte
	logTypes []int32
	from     []byte
	end      []byte
	after    store.Cursor
}

// read appends up to n records after r.after to out, merging the selected
// category buckets by key.
func (r *scanRange) read(root *bolt.Bucket, n int, out []store.Entry) ([]store.Entry, error) {
	device := boltdb.Bucket(root, bucketDevices, r.device)
	if device == nil {
		return out, nil
	}
	seek, skip := r.from, []byte(nil)
	if r.after != (store.Cursor{}) && bytes.Compare(r.after[:], r.from) >= 0 {
		seek, skip = r.after[:], r.after[:]
	}
	var m merger
	for _, c := range r.categories() {
		b := device.Bucket([]byte(c.Name))
		if b == nil {
			continue
		}
		cur := b.Cursor()
		k, v := cur.Seek(seek)
		if skip != nil && bytes.Equal(k, skip) {
			k, v = cur.Next()
		}
		if r.inRange(k) {
			m.add(cur, k, v)
		}
	}
	m.init()
	for len(out) < n && m.len() > 0 {
		h := m.min()
		cursor, err := cursorOf(h.key)
		if err != nil {
			return out, err
		}
		rec := &exportv1.LogRecord{}
		if err := proto.Unmarshal(h.value, rec); err != nil {
			return out, fmt.Errorf("export store: decode record %x of %s: %w", h.key, r.device, err)
		}
		out = append(out, store.Entry{Cursor: cursor, Record: rec})
		h.key, h.value = h.cursor.Next()
		if r.inRange(h.key) {
			m.fix()
		} else {
			m.pop()
		}
	}
	return out, nil
}

func (r *scanRange) inRange(key []byte) bool {
	return key != nil && (r.end == nil || bytes.Compare(key, r.end) < 0)
}

func (r *scanRange) categories() []category.Category {
	if len(r.logTypes) == 0 {
		return category.All()
	}
	out := make([]category.Category, 0, len(r.logTypes))
	for _, t := range r.logTypes {
		if c, ok := category.ByLogType(t); ok {
			out = append(out, c)
		}
	}
	return out
}
