package boltstore

import (
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/services/export/store"
	"github.com/tollgate/tollgate/services/export/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) (store.Store, func()) {
		db, err := boltdb.Open(filepath.Join(dir, "export.db"), Schema, boltdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := New(db)
		return s, func() {
			_ = s.Close()
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		}
	})
}
