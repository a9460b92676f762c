package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
)

// lockProbeTimeout is how long restore waits for a database's lock before
// deciding that a running service holds it.
const lockProbeTimeout = 200 * time.Millisecond

// runRestore puts the databases of a backup into a stopped suite's data
// directory. Everything is checked before anything is replaced: the
// checksums, the service names, and that no service holds its database.
func runRestore(_ context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("restore", errOut)
	dataDir := fs.String("data-dir", "./data", "data directory of the stopped suite (or of one service) to restore into")
	from := fs.String("from", "", "backup directory written by tollgate backup (required)")
	var only stringList
	fs.Var(&only, "service", "restore only this service's database (repeatable; default: every database in the backup)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("tollgate restore: unexpected argument %q", fs.Arg(0))}
	case *from == "":
		return usageError{errors.New("tollgate restore: --from is required")}
	}
	manifest, err := readManifest(*from)
	if err != nil {
		return err
	}
	entries, err := selectEntries(manifest, only)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := e.verify(*from); err != nil {
			return fmt.Errorf("nothing restored: %w", err)
		}
	}
	for _, e := range entries {
		if err := ensureStopped(component.DatabasePath(*dataDir, e.Service), schemaOf(e.Service)); err != nil {
			return fmt.Errorf("nothing restored: %w", err)
		}
	}
	for _, e := range entries {
		target := component.DatabasePath(*dataDir, e.Service)
		if err := boltdb.RestoreFile(filepath.Join(*from, e.File), target, schemaOf(e.Service)); err != nil {
			return fmt.Errorf("restoring %s: %w", e.Service, err)
		}
		fmt.Fprintf(out, "restored %s (schema %d, snapshot %s) into %s\n", e.Service, e.SchemaVersion, e.SnapshotTime.Format(time.RFC3339), target)
	}
	return nil
}

// selectEntries picks the manifest entries to restore: those named by
// --service, else all. Every entry must be a service this binary knows.
func selectEntries(m backupManifest, only []string) ([]backupEntry, error) {
	for _, e := range m.Databases {
		if _, ok := serviceByName(e.Service); !ok {
			return nil, fmt.Errorf("the backup holds %q, which is not a Tollgate service", e.Service)
		}
	}
	if len(only) == 0 {
		if len(m.Databases) == 0 {
			return nil, errors.New("the backup lists no databases")
		}
		return m.Databases, nil
	}
	var picked []backupEntry
	for _, name := range only {
		i := slices.IndexFunc(m.Databases, func(e backupEntry) bool { return e.Service == name })
		if i < 0 {
			return nil, usageError{fmt.Errorf("tollgate restore: --service %s: not in this backup", name)}
		}
		if !slices.ContainsFunc(picked, func(e backupEntry) bool { return e.Service == name }) {
			picked = append(picked, m.Databases[i])
		}
	}
	return picked, nil
}

// ensureStopped refuses a database that a running service holds.
// RestoreFile refuses it too, but file by file; checking every target
// first keeps a refused restore from replacing some databases and not
// others.
func ensureStopped(path string, schema boltdb.Schema) error {
	db, err := boltdb.Open(path, schema, boltdb.Options{ReadOnly: true, Timeout: lockProbeTimeout})
	switch {
	case errors.Is(err, boltdb.ErrLocked):
		return fmt.Errorf("%s is in use: stop the suite (on Kubernetes, scale the service to zero) before restoring", path)
	case err != nil:
		return nil // missing or unreadable: RestoreFile replaces it
	default:
		return db.Close()
	}
}

func serviceByName(name string) (component.Service, bool) {
	i := slices.IndexFunc(services, func(s component.Service) bool { return s.Name == name })
	if i < 0 {
		return component.Service{}, false
	}
	return services[i], true
}

// schemaOf is the schema of a service known to be valid (selectEntries).
func schemaOf(name string) boltdb.Schema {
	svc, _ := serviceByName(name)
	return svc.Schema
}
