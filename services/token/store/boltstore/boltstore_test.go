package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/services/token/store"
	"github.com/tollgate/tollgate/services/token/store/storetest"
)

func open(t *testing.T) *Store {
	t.Helper()
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "token.db"), Schema, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return New(db)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestImport(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(id string) *store.Token {
		d := "organizations/o/devices/d"
		return &store.Token{ID: id, Name: d + "/apiTokens/" + id, Device: d, CreateTime: now, Current: store.SecretHash{Hash: []byte{1}, KeyID: "k"}}
	}
	if err := s.Import(ctx, []*store.Token{mk("a"), mk("b")}); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListDeviceTokens(ctx, "organizations/o/devices/d", store.Position{}, 10, nil)
	if err != nil || len(page) != 2 {
		t.Fatalf("imported tokens listed %d, %v", len(page), err)
	}
	if err := s.Import(ctx, []*store.Token{mk("c"), mk("a")}); !errors.Is(err, errs.ErrAlreadyExists) {
		t.Fatalf("import over a taken id = %v", err)
	}
	if _, err := s.GetToken(ctx, "c"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatal("a failed import was partly written")
	}
}

func TestRefusesInconsistentName(t *testing.T) {
	s := open(t)
	bad := &store.Token{ID: "a", Name: "organizations/o/devices/d/apiTokens/b", Device: "organizations/o/devices/d", CreateTime: time.Now()}
	if err := s.CreateToken(context.Background(), bad, nil); err == nil {
		t.Fatal("a name that does not match device and id was stored")
	}
}
