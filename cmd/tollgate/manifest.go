package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// manifestFile lists a backup directory's databases; it is written last,
// so a directory with a manifest holds a complete backup.
const manifestFile = "manifest.json"

// backupManifest is manifest.json.
type backupManifest struct {
	CreateTime time.Time     `json:"create_time"`
	Databases  []backupEntry `json:"databases"`
}

// backupEntry describes one database file of a backup.
type backupEntry struct {
	Service       string    `json:"service"`
	File          string    `json:"file"`
	SchemaVersion uint64    `json:"schema_version"`
	SizeBytes     int64     `json:"size_bytes"`
	SHA256        string    `json:"sha256"`
	SnapshotTime  time.Time `json:"snapshot_time"`
}

// backupFileName is where a service's database goes in a backup directory.
func backupFileName(service string) string { return service + ".db" }

func writeManifest(dir string, m backupManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileDurably(filepath.Join(dir, manifestFile), append(b, '\n'))
}

func readManifest(dir string) (backupManifest, error) {
	var m backupManifest
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s has no %s: not a complete backup made by `tollgate backup`", dir, manifestFile)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, manifestFile), err)
	}
	return m, nil
}

// verify checks that the entry's file in dir has the recorded size and
// SHA-256. The file name must be the one backup writes, so a manifest
// cannot point restore at files outside the backup.
func (e backupEntry) verify(dir string) error {
	if e.File != backupFileName(e.Service) {
		return fmt.Errorf("%s: manifest names file %q, want %q", e.Service, e.File, backupFileName(e.Service))
	}
	f, err := os.Open(filepath.Join(dir, e.File))
	if err != nil {
		return fmt.Errorf("%s: %w", e.Service, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("%s: reading %s: %w", e.Service, e.File, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != e.SizeBytes || sum != e.SHA256 {
		return fmt.Errorf("%s: %s is %d bytes with sha256 %s, but the manifest records %d bytes with sha256 %s: the file is damaged or was changed",
			e.Service, e.File, n, sum, e.SizeBytes, e.SHA256)
	}
	return nil
}

// writeFileDurably writes data to path through a synced temporary file and
// a rename, so path never holds a partial file.
func writeFileDurably(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
