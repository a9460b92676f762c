package boltdb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// RestoreFile replaces targetPath with a copy of the backup at backupPath.
// The copy is validated against schema before it goes live: it must belong
// to schema.Service and must not be newer than schema (older is fine, Open
// migrates it). The swap is a rename of a fsynced temp file, so a crash
// leaves either the old or the new database, never a mix.
//
// A target held by a running process is refused. The target's lock is held
// until the rename, but a process already blocked in Open on the old file
// wins it afterwards and keeps using the replaced inode; stop services
// before restoring.
func RestoreFile(backupPath, targetPath string, schema Schema) (err error) {
	if err := schema.validate(); err != nil {
		return err
	}
	dir := filepath.Dir(targetPath)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("boltdb: creating directory for %s: %w", targetPath, err)
	}
	release, err := lockExisting(targetPath)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, release()) }()

	tmpPath, err := copyToTemp(backupPath, dir, filepath.Base(targetPath)+".restore-*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmpPath) // best effort: the restore already failed
		}
	}()
	if err := validateBackup(tmpPath, schema); err != nil {
		return fmt.Errorf("boltdb: backup %s rejected: %w", backupPath, err)
	}
	if err := os.Rename(tmpPath, targetPath); err != nil {
		return fmt.Errorf("boltdb: moving restored database into place: %w", err)
	}
	renamed = true
	return syncDir(dir)
}

// lockExisting takes an exclusive, non-blocking lock on path so that a
// running service (which holds bbolt's lock on it) makes the restore fail.
// A missing file needs no lock.
func lockExisting(path string) (release func() error, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return func() error { return nil }, nil
	}
	if err != nil {
		return nil, fmt.Errorf("boltdb: opening %s to lock it: %w", path, err)
	}
	if err := lockExclusive(f); err != nil {
		return nil, errors.Join(fmt.Errorf("boltdb: %s: %w", path, err), f.Close())
	}
	// Closing the descriptor drops the lock.
	return f.Close, nil
}

func copyToTemp(srcPath, dir, pattern string) (path string, err error) {
	src, err := os.Open(srcPath)
	if err != nil {
		return "", fmt.Errorf("boltdb: opening backup: %w", err)
	}
	defer src.Close()

	dst, err := os.CreateTemp(dir, pattern) // created with mode 0600
	if err != nil {
		return "", fmt.Errorf("boltdb: creating temp file for restore: %w", err)
	}
	defer func() {
		if err != nil {
			_ = dst.Close()
			_ = os.Remove(dst.Name())
		}
	}()
	if _, err := io.Copy(dst, src); err != nil {
		return "", fmt.Errorf("boltdb: copying backup: %w", err)
	}
	if err := dst.Sync(); err != nil {
		return "", fmt.Errorf("boltdb: syncing restored copy: %w", err)
	}
	if err := dst.Close(); err != nil {
		return "", fmt.Errorf("boltdb: closing restored copy: %w", err)
	}
	return dst.Name(), nil
}

func validateBackup(path string, schema Schema) error {
	bdb, err := openBolt(path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	err = bdb.View(func(tx *bolt.Tx) error {
		_, err := checkSchema(tx, schema)
		return err
	})
	return errors.Join(err, bdb.Close())
}

// syncDir makes the rename durable: without it a crash can bring back the
// old directory entry.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("boltdb: opening %s to sync it: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		return errors.Join(fmt.Errorf("boltdb: syncing %s: %w", dir, err), d.Close())
	}
	return d.Close()
}
