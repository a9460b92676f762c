package boltstore_test

import (
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate/tollgate/pkg/boltdb"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	"github.com/tollgate/tollgate/services/membership/store"
	"github.com/tollgate/tollgate/services/membership/store/boltstore"
	"github.com/tollgate/tollgate/services/membership/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openDB(t *testing.T, path string) *boltdb.DB {
	t.Helper()
	db, err := boltdb.Open(path, boltstore.Schema, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return boltstore.New(openDB(t, filepath.Join(t.TempDir(), "membership.db")))
	})
}

func TestMembersSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "membership.db")
	db := openDB(t, path)
	st := boltstore.New(db)
	m := &membershipv1.Member{
		Name:            "members/m1",
		Email:           "ann@example.com",
		Owner:           "owner@example.com",
		AccessPrivilege: membershipv1.Privilege_PRIVILEGE_MEMBER,
	}
	if err := st.CreateMember(t.Context(), "m1", m); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st = boltstore.New(openDB(t, path))
	got, err := st.GetMemberByEmail(t.Context(), m.GetOwner(), m.GetEmail())
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if got.GetName() != m.GetName() {
		t.Fatalf("after reopen: got %s, want %s", got.GetName(), m.GetName())
	}
}
