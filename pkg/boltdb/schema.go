package boltdb

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Migration upgrades the schema by one step. Migrations run in order, each in
// its own read-write transaction together with the version bump, so a crash
// leaves the file at a consistent version.
type Migration struct {
	Name  string
	Apply func(tx *bolt.Tx, root *bolt.Bucket) error
}

// Schema describes one service's database.
type Schema struct {
	// Service is recorded in the file so that opening another service's file
	// fails instead of silently reading foreign buckets.
	Service string
	// Migrations[i] upgrades version i to i+1; the current version is
	// len(Migrations). Append only: never reorder or remove an entry.
	Migrations []Migration
}

// Version is the schema version a binary built with s expects.
func (s Schema) Version() uint64 { return uint64(len(s.Migrations)) }

var (
	// ErrWrongService means the file belongs to another service.
	ErrWrongService = errors.New("database belongs to another service")
	// ErrNewerSchema means the file was written by a newer binary; opening it
	// would risk corrupting data this binary does not understand.
	ErrNewerSchema = errors.New("database schema is newer than this binary supports")
	// ErrNotInitialized means the file lacks the Tollgate layout.
	ErrNotInitialized = errors.New("database has no tollgate layout")
)

var (
	rootBucket       = []byte("v1")
	metaBucket       = []byte("meta")
	serviceKey       = []byte("service")
	schemaVersionKey = []byte("schema_version")
)

func (s Schema) validate() error {
	if s.Service == "" {
		return errors.New("boltdb: schema has no service name")
	}
	for i, m := range s.Migrations {
		if m.Name == "" || m.Apply == nil {
			return fmt.Errorf("boltdb: %s migration %d needs both a name and an Apply func", s.Service, i)
		}
	}
	return nil
}

// initLayout creates the root and meta buckets of a fresh file at version 0.
// A file holding other top-level buckets is refused rather than adopted,
// because it was not written by Tollgate.
func initLayout(tx *bolt.Tx, service string) error {
	if tx.Bucket(rootBucket) != nil {
		return nil
	}
	if first, _ := tx.Cursor().First(); first != nil {
		return fmt.Errorf("boltdb: %s: %w (found buckets but no %q)", tx.DB().Path(), ErrNotInitialized, rootBucket)
	}
	root, err := tx.CreateBucket(rootBucket)
	if err != nil {
		return err
	}
	meta, err := root.CreateBucket(metaBucket)
	if err != nil {
		return err
	}
	if err := meta.Put(serviceKey, []byte(service)); err != nil {
		return err
	}
	return meta.Put(schemaVersionKey, Uint64Key(0))
}

// checkSchema returns the file's schema version after verifying that the file
// belongs to s.Service and is not newer than s. Older versions pass: the
// caller decides whether to migrate or refuse.
func checkSchema(tx *bolt.Tx, s Schema) (uint64, error) {
	root, err := rootOf(tx)
	if err != nil {
		return 0, err
	}
	meta := root.Bucket(metaBucket)
	if meta == nil {
		return 0, fmt.Errorf("boltdb: %s: %w (no %q bucket)", tx.DB().Path(), ErrNotInitialized, metaBucket)
	}
	if owner := string(meta.Get(serviceKey)); owner != s.Service {
		return 0, fmt.Errorf("boltdb: %s: %w: it belongs to %q, not %q", tx.DB().Path(), ErrWrongService, owner, s.Service)
	}
	version, err := ParseUint64Key(meta.Get(schemaVersionKey))
	if err != nil {
		return 0, fmt.Errorf("boltdb: %s: reading schema version: %w", tx.DB().Path(), err)
	}
	if version > s.Version() {
		return 0, fmt.Errorf("boltdb: %s: %w: file is at schema version %d, this binary of %s supports up to %d",
			tx.DB().Path(), ErrNewerSchema, version, s.Service, s.Version())
	}
	return version, nil
}

// migrate applies the migrations after version from, one transaction each.
func migrate(db *bolt.DB, s Schema, from uint64) error {
	for version := from; version < s.Version(); version++ {
		m := s.Migrations[version]
		err := db.Update(func(tx *bolt.Tx) error {
			root, err := rootOf(tx)
			if err != nil {
				return err
			}
			if err := m.Apply(tx, root); err != nil {
				return err
			}
			return root.Bucket(metaBucket).Put(schemaVersionKey, Uint64Key(version+1))
		})
		if err != nil {
			return fmt.Errorf("boltdb: %s migration %q (version %d to %d) failed: %w", s.Service, m.Name, version, version+1, err)
		}
	}
	return nil
}

func rootOf(tx *bolt.Tx) (*bolt.Bucket, error) {
	root := tx.Bucket(rootBucket)
	if root == nil {
		return nil, fmt.Errorf("boltdb: %s: %w", tx.DB().Path(), ErrNotInitialized)
	}
	return root, nil
}
