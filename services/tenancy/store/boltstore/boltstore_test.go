package boltstore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/tenancy/store"
	"github.com/tollgate/tollgate/services/tenancy/store/boltstore"
	"github.com/tollgate/tollgate/services/tenancy/store/storetest"
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
		return boltstore.New(openDB(t, filepath.Join(t.TempDir(), "tenancy.db")))
	})
}

// TestDataSurvivesReopen closes the database and opens it again: records
// and both indexes (owner, serial number) are still there.
func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenancy.db")
	db := openDB(t, path)
	st := boltstore.New(db)
	org := &tenancyv1.Organization{Name: "organizations/acme", DisplayName: "Acme", Owner: "owner@example.com"}
	device := &tenancyv1.Device{
		Name:         "organizations/acme/devices/fw1",
		DisplayName:  "Edge",
		SerialNumber: "S162L26100001",
		MacAddress:   "00:11:22:33:44:55",
		TimeZone:     "Europe/Berlin",
		License:      &tenancyv1.License{ExpireTime: timestamppb.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))},
	}
	if err := st.CreateOrganization(t.Context(), "acme", proto.CloneOf(org)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDevice(t.Context(), "acme", "fw1", proto.CloneOf(device)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st = boltstore.New(openDB(t, path))
	gotOrg, err := st.GetOrganization(t.Context(), "acme")
	if err != nil || !proto.Equal(gotOrg, org) {
		t.Fatalf("organization after reopen = %v, %v; want %v", gotOrg, err, org)
	}
	gotDevice, err := st.GetDevice(t.Context(), "acme", "fw1")
	if err != nil || !proto.Equal(gotDevice, device) {
		t.Fatalf("device after reopen = %v, %v; want %v", gotDevice, err, device)
	}
	orgs, err := st.ListOrganizations(t.Context(), []string{"owner@example.com"}, "", 10, nil)
	if err != nil || len(orgs) != 1 || orgs[0].GetName() != org.GetName() {
		t.Fatalf("owner's organizations after reopen = %v, %v", orgs, err)
	}
	if err := st.CreateOrganization(t.Context(), "globex", &tenancyv1.Organization{Name: "organizations/globex", Owner: "other@example.com"}); err != nil {
		t.Fatal(err)
	}
	err = st.CreateDevice(t.Context(), "globex", "fw1", &tenancyv1.Device{Name: "organizations/globex/devices/fw1", SerialNumber: device.GetSerialNumber()})
	var r *errs.Reasoned
	if !errors.As(err, &r) || r.Reason != "SERIAL_NUMBER_TAKEN" {
		t.Fatalf("serial number after reopen: err = %v, want SERIAL_NUMBER_TAKEN", err)
	}
}
