package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/services/token/store"
	"github.com/tollgate/tollgate/services/token/store/storetest"
	bolt "go.etcd.io/bbolt"
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

// TestMigrationIndexesUnrevokedTokens opens a version-1 database (tokens
// stored before the index of unrevoked tokens existed) and checks that the
// migration indexes exactly the unrevoked ones.
func TestMigrationIndexesUnrevokedTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.db")
	v1 := boltdb.Schema{Service: Schema.Service, Migrations: Schema.Migrations[:1]}
	db, err := boltdb.Open(path, v1, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, revoked := range []bool{false, true, false} {
		tok := &store.Token{ID: fmt.Sprintf("tok%d", i), Name: fmt.Sprintf("organizations/o/devices/d/apiTokens/tok%d", i),
			Device: "organizations/o/devices/d", CreateTime: at.Add(time.Duration(i) * time.Second),
			Current: store.SecretHash{Hash: []byte("hash"), KeyID: "k"}}
		if revoked {
			tok.RevokeTime = at.Add(time.Hour)
		}
		if err := db.Update(func(_ *bolt.Tx, root *bolt.Bucket) error {
			v, err := encode(tok)
			if err != nil {
				return err
			}
			if err := root.Bucket(bucketTokens).Put([]byte(tok.ID), v); err != nil {
				return err
			}
			key, err := deviceKey(tok.Device, tok.CreateTime, tok.ID)
			if err != nil {
				return err
			}
			return root.Bucket(bucketDeviceTokens).Put(key, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = boltdb.Open(path, Schema, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seen []string
	err = New(db).CreateToken(context.Background(), &store.Token{ID: "tok9", Name: "organizations/o/devices/d/apiTokens/tok9",
		Device: "organizations/o/devices/d", CreateTime: at.Add(time.Minute), Current: store.SecretHash{Hash: []byte("h"), KeyID: "k"}},
		func(existing []*store.Token) error {
			for _, e := range existing {
				seen = append(seen, e.ID)
			}
			return nil
		})
	if err != nil || fmt.Sprint(seen) != "[tok0 tok2]" {
		t.Fatalf("after migrating, admit saw %v (%v), want [tok0 tok2]", seen, err)
	}
}
