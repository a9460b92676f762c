package boltdb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero. bbolt itself would wait forever, which turns a
// second instance of a service into a silent hang.
const DefaultTimeout = 5 * time.Second

const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// ErrLocked means another process (or another Open in this process) holds
// the database file.
var ErrLocked = errors.New("database file is locked by another process")

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock; zero means DefaultTimeout.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock. The file must already be at
	// the schema's version, since migrations need a read-write transaction.
	ReadOnly bool
	// NoSync skips fsync on commit. Only for benchmarks and tests: a crash
	// can lose committed transactions or corrupt the file.
	NoSync bool
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// DB is an open service database. The embedded *bolt.DB stays reachable for
// stats and batching, but View and Update here hand out the root bucket so
// that callers never touch the meta bucket by accident.
type DB struct {
	*bolt.DB
	schema Schema
}

// Open opens (creating if needed) the database at path, checks that it
// belongs to schema.Service and applies pending migrations.
func Open(path string, schema Schema, opts Options) (*DB, error) {
	if err := schema.validate(); err != nil {
		return nil, err
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
			return nil, fmt.Errorf("boltdb: creating directory for %s: %w", path, err)
		}
	}
	bdb, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{DB: bdb, schema: schema}
	if err := db.prepare(opts.ReadOnly); err != nil {
		return nil, errors.Join(err, bdb.Close())
	}
	return db, nil
}

func openBolt(path string, opts Options) (*bolt.DB, error) {
	bdb, err := bolt.Open(path, fileMode, &bolt.Options{
		Timeout:  opts.timeout(),
		ReadOnly: opts.ReadOnly,
		NoSync:   opts.NoSync,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("boltdb: %s: %w (gave up after %s; is another instance running?)", path, ErrLocked, opts.timeout())
	}
	if err != nil {
		return nil, fmt.Errorf("boltdb: opening %s: %w", path, err)
	}
	return bdb, nil
}

// prepare brings the file to the schema's version, or in read-only mode
// verifies that it already is.
func (db *DB) prepare(readOnly bool) error {
	if !readOnly {
		err := db.DB.Update(func(tx *bolt.Tx) error { return initLayout(tx, db.schema.Service) })
		if err != nil {
			return err
		}
	}
	var version uint64
	err := db.DB.View(func(tx *bolt.Tx) (err error) {
		version, err = checkSchema(tx, db.schema)
		return err
	})
	if err != nil {
		return err
	}
	if readOnly {
		if version < db.schema.Version() {
			return fmt.Errorf("boltdb: %s is at schema version %d but %s needs %d; open it read-write once to migrate",
				db.Path(), version, db.schema.Service, db.schema.Version())
		}
		return nil
	}
	return migrate(db.DB, db.schema, version)
}

// SchemaVersion reports the version recorded in the file.
func (db *DB) SchemaVersion() (uint64, error) {
	var version uint64
	err := db.DB.View(func(tx *bolt.Tx) (err error) {
		version, err = checkSchema(tx, db.schema)
		return err
	})
	return version, err
}

// View runs fn in a read-only transaction; root is the "v1" bucket.
func (db *DB) View(fn func(tx *bolt.Tx, root *bolt.Bucket) error) error {
	return db.DB.View(func(tx *bolt.Tx) error {
		root, err := rootOf(tx)
		if err != nil {
			return err
		}
		return fn(tx, root)
	})
}

// Update runs fn in a read-write transaction; root is the "v1" bucket.
// The transaction commits only if fn returns nil.
func (db *DB) Update(fn func(tx *bolt.Tx, root *bolt.Bucket) error) error {
	return db.DB.Update(func(tx *bolt.Tx) error {
		root, err := rootOf(tx)
		if err != nil {
			return err
		}
		return fn(tx, root)
	})
}

// Backup writes a consistent copy of the whole file to w while the database
// stays online: a read transaction pins one snapshot for the duration.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.DB.View(func(tx *bolt.Tx) (err error) {
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("boltdb: backing up %s: %w", db.Path(), err)
	}
	return n, nil
}

// Close releases the file and its lock.
func (db *DB) Close() error {
	return db.DB.Close()
}
