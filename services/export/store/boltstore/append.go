package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

const (
	// maxGroupRecords bounds one grouped commit, so a burst of batches
	// cannot build a transaction that holds the writer lock for long.
	maxGroupRecords = 50_000
	// fillPercent packs pages tightly: keys are time-ordered, so almost
	// every insert lands at the end of its bucket and half-empty pages
	// (bbolt's default split) would only waste space.
	fillPercent = 0.9
)

// batch is one Append waiting for its commit.
type batch struct {
	device  string
	records []encodedRecord
	done    chan error // buffered: the committer never blocks on a reply
}

type encodedRecord struct {
	category []byte // bucket name
	key      []byte // TimeKey with the sequence filled in at commit
	value    []byte
}

// Append encodes the records in the caller's goroutine and hands them to
// the committer, which writes concurrent batches in one transaction: one
// fsync acknowledges them all.
func (s *Store) Append(ctx context.Context, device string, records []*exportv1.LogRecord) error {
	if len(records) == 0 {
		return nil
	}
	if device == "" {
		// Caught here rather than in the shared commit, where it would fail
		// every batch grouped with this one.
		return errors.New("export store: a device name is required")
	}
	b := &batch{device: device, records: make([]encodedRecord, len(records)), done: make(chan error, 1)}
	for i, r := range records {
		c, ok := category.ByLogType(r.GetLogType())
		if !ok {
			return fmt.Errorf("export store: record %d: log_type %d is not a category", i, r.GetLogType())
		}
		key, err := boltdb.TimeKey(r.GetUtcTime().AsTime(), 0)
		if err != nil {
			return fmt.Errorf("export store: record %d: %w", i, err)
		}
		value, err := proto.Marshal(r)
		if err != nil {
			return fmt.Errorf("export store: record %d: %w", i, err)
		}
		b.records[i] = encodedRecord{category: []byte(c.Name), key: key, value: value}
	}
	return s.committer.submit(ctx, b)
}

// committer is the single goroutine that writes batches, grouping those
// that queue up while a commit is in progress.
type committer struct {
	db      *boltdb.DB
	queue   chan *batch
	mu      sync.RWMutex // held for reading while submitting, for writing by close
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
}

func startCommitter(db *boltdb.DB) *committer {
	c := &committer{db: db, queue: make(chan *batch, 256), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// submit queues b and waits for its commit. Once queued, the batch is
// committed even if ctx ends, so the caller waits for the outcome rather
// than guessing it.
func (c *committer) submit(ctx context.Context, b *batch) error {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	select {
	case c.queue <- b:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	return <-b.done
}

func (c *committer) run() {
	defer close(c.stopped)
	for {
		select {
		case b := <-c.queue:
			c.commitGroup(b)
		case <-c.stop:
			for {
				select {
				case b := <-c.queue:
					c.commitGroup(b)
				default:
					return
				}
			}
		}
	}
}

// close waits for queued batches to commit and stops the goroutine.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	<-c.stopped
}

// commitGroup commits first together with whatever else is queued.
func (c *committer) commitGroup(first *batch) {
	group := []*batch{first}
	n := len(first.records)
collect:
	for n < maxGroupRecords {
		select {
		case b := <-c.queue:
			group = append(group, b)
			n += len(b.records)
		default:
			break collect
		}
	}
	err := c.db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error { return write(root, group) })
	for _, b := range group {
		b.done <- err
	}
}

func write(root *bolt.Bucket, group []*batch) error {
	devices := root.Bucket(bucketDevices)
	seq := devices.Sequence()
	for _, b := range group {
		device, err := devices.CreateBucketIfNotExists([]byte(b.device))
		if err != nil {
			return fmt.Errorf("export store: device bucket %q: %w", b.device, err)
		}
		var buckets map[string]*bolt.Bucket
		for _, r := range b.records {
			bucket := buckets[string(r.category)]
			if bucket == nil {
				if bucket, err = device.CreateBucketIfNotExists(r.category); err != nil {
					return fmt.Errorf("export store: category bucket %q: %w", r.category, err)
				}
				bucket.FillPercent = fillPercent
				if buckets == nil {
					buckets = make(map[string]*bolt.Bucket, category.Count)
				}
				buckets[string(r.category)] = bucket
			}
			seq++
			binary.BigEndian.PutUint64(r.key[8:], seq)
			if err := bucket.Put(r.key, r.value); err != nil {
				return err
			}
		}
	}
	return devices.SetSequence(seq)
}
