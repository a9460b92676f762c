// Package storetest is the conformance suite of the tenancy store: every
// implementation runs it from its own tests.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
//	}
package storetest

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/tenancy/store"
)

// Run runs every conformance test; newStore must return an empty store
// that lives as long as t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, st store.Store)
	}{
		{"CreateOrganizationThenGet", testCreateOrganizationThenGet},
		{"GetMissingOrganization", testGetMissingOrganization},
		{"CreateOrganizationRefusesTakenID", testCreateOrganizationRefusesTakenID},
		{"ListOrganizationsOfSeveralOwnersInIDOrder", testListOrganizationsOfSeveralOwnersInIDOrder},
		{"ListOrganizationsPagesWithKeep", testListOrganizationsPagesWithKeep},
		{"ListOrganizationsKeepMayUseTheStore", testListOrganizationsKeepMayUseTheStore},
		{"UpdateOrganizationAppliesMutation", testUpdateOrganizationAppliesMutation},
		{"UpdateOrganizationFailureChangesNothing", testUpdateOrganizationFailureChangesNothing},
		{"UpdateOrganizationKeepsOwner", testUpdateOrganizationKeepsOwner},
		{"UpdateMissingOrganization", testUpdateMissingOrganization},
		{"DeleteEmptyOrganization", testDeleteEmptyOrganization},
		{"DeleteOrganizationRefusedWhileDevicesRemain", testDeleteOrganizationRefusedWhileDevicesRemain},
		{"DeleteOrganizationWithForce", testDeleteOrganizationWithForce},
		{"DeleteOrganizationEmptiedDeviceByDevice", testDeleteOrganizationEmptiedDeviceByDevice},

		{"CreateDeviceInMissingOrganization", testCreateDeviceInMissingOrganization},
		{"CreateDeviceThenGet", testCreateDeviceThenGet},
		{"GetMissingDevice", testGetMissingDevice},
		{"CreateDeviceRefusesTakenID", testCreateDeviceRefusesTakenID},
		{"SerialNumberUniqueInOrganization", testSerialNumberUniqueInOrganization},
		{"SerialNumberUniqueAcrossOrganizations", testSerialNumberUniqueAcrossOrganizations},
		{"SerialNumberReusableAfterDelete", testSerialNumberReusableAfterDelete},
		{"ConcurrentCreatesOfOneSerialNumber", testConcurrentCreatesOfOneSerialNumber},
		{"ListDevicesPagesWithKeep", testListDevicesPagesWithKeep},
		{"ListDevicesOfMissingOrEmptyOrganization", testListDevicesOfMissingOrEmptyOrganization},
		{"UpdateDeviceAppliesMutation", testUpdateDeviceAppliesMutation},
		{"UpdateDeviceFailureChangesNothing", testUpdateDeviceFailureChangesNothing},
		{"UpdateDeviceKeepsSerialNumber", testUpdateDeviceKeepsSerialNumber},
		{"UpdateMissingDevice", testUpdateMissingDevice},
		{"DeleteDevice", testDeleteDevice},
		{"ReturnedRecordsAreCopies", testReturnedRecordsAreCopies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

var (
	created = timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	expires = timestamppb.New(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
)

func newOrganization(id, owner string) *tenancyv1.Organization {
	return &tenancyv1.Organization{
		Name:        resource.OrganizationName(id),
		DisplayName: "Organization " + id,
		Owner:       owner,
		CreateTime:  created,
		UpdateTime:  created,
	}
}

func newDevice(org, id, serial string) *tenancyv1.Device {
	return &tenancyv1.Device{
		Name:         resource.Device{Org: org, Device: id}.Name(),
		DisplayName:  "Device " + id,
		Model:        "USG FLEX 200",
		SerialNumber: serial,
		MacAddress:   "00:11:22:33:44:55",
		TimeZone:     "Europe/Berlin",
		License:      &tenancyv1.License{ExpireTime: expires},
		CreateTime:   created,
		UpdateTime:   created,
	}
}

func mustCreateOrganization(t *testing.T, st store.Store, id, owner string) *tenancyv1.Organization {
	t.Helper()
	org := newOrganization(id, owner)
	if err := st.CreateOrganization(t.Context(), id, proto.CloneOf(org)); err != nil {
		t.Fatalf("CreateOrganization(%s): %v", id, err)
	}
	return org
}

func mustCreateDevice(t *testing.T, st store.Store, org, id, serial string) *tenancyv1.Device {
	t.Helper()
	d := newDevice(org, id, serial)
	if err := st.CreateDevice(t.Context(), org, id, proto.CloneOf(d)); err != nil {
		t.Fatalf("CreateDevice(%s/%s): %v", org, id, err)
	}
	return d
}

func mustGetOrganization(t *testing.T, st store.Store, id string) *tenancyv1.Organization {
	t.Helper()
	org, err := st.GetOrganization(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOrganization(%s): %v", id, err)
	}
	return org
}

func mustGetDevice(t *testing.T, st store.Store, org, id string) *tenancyv1.Device {
	t.Helper()
	d, err := st.GetDevice(t.Context(), org, id)
	if err != nil {
		t.Fatalf("GetDevice(%s/%s): %v", org, id, err)
	}
	return d
}

func mustListOrganizations(t *testing.T, st store.Store, owners []string, after string, limit int, keep func(*tenancyv1.Organization) bool) []string {
	t.Helper()
	orgs, err := st.ListOrganizations(t.Context(), owners, after, limit, keep)
	if err != nil {
		t.Fatalf("ListOrganizations(%v, %q, %d): %v", owners, after, limit, err)
	}
	out := make([]string, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, o.GetName())
	}
	return out
}

func mustListDevices(t *testing.T, st store.Store, org, after string, limit int, keep func(*tenancyv1.Device) bool) []string {
	t.Helper()
	devices, err := st.ListDevices(t.Context(), org, after, limit, keep)
	if err != nil {
		t.Fatalf("ListDevices(%s, %q, %d): %v", org, after, limit, err)
	}
	out := make([]string, 0, len(devices))
	for _, d := range devices {
		out = append(out, d.GetName())
	}
	return out
}

func requireEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func requireKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

func requireReason(t *testing.T, err, kind error, reason string) {
	t.Helper()
	requireKind(t, err, kind)
	var r *errs.Reasoned
	if !errors.As(err, &r) || r.Reason != reason {
		t.Fatalf("err = %v, want reason %s", err, reason)
	}
}

func orgNames(ids ...string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, resource.OrganizationName(id))
	}
	return out
}

func deviceNames(org string, ids ...string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, resource.Device{Org: org, Device: id}.Name())
	}
	return out
}

// pageOrganizations lists owners' organizations page by page, as the
// service does, and returns every name seen.
func pageOrganizations(t *testing.T, st store.Store, owners []string, limit int, keep func(*tenancyv1.Organization) bool) []string {
	t.Helper()
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		page := mustListOrganizations(t, st, owners, after, limit, keep)
		if len(page) > limit {
			t.Fatalf("page of %d organizations, limit %d", len(page), limit)
		}
		got = append(got, page...)
		if len(page) < limit {
			return got
		}
		after = strings.TrimPrefix(page[len(page)-1], "organizations/")
	}
}

func testCreateOrganizationThenGet(t *testing.T, st store.Store) {
	want := mustCreateOrganization(t, st, "acme", "owner@example.com")
	requireEqual(t, "stored organization", mustGetOrganization(t, st, "acme"), want)
}

func testGetMissingOrganization(t *testing.T, st store.Store) {
	_, err := st.GetOrganization(t.Context(), "nowhere")
	requireKind(t, err, errs.ErrNotFound)
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	_, err = st.GetOrganization(t.Context(), "acm")
	requireKind(t, err, errs.ErrNotFound)
}

func testCreateOrganizationRefusesTakenID(t *testing.T, st store.Store) {
	first := mustCreateOrganization(t, st, "acme", "owner@example.com")
	err := st.CreateOrganization(t.Context(), "acme", newOrganization("acme", "thief@example.com"))
	requireKind(t, err, errs.ErrAlreadyExists)
	requireEqual(t, "first organization", mustGetOrganization(t, st, "acme"), first)
	// The refused organization did not reach the owner index either.
	requireEqual(t, "thief's organizations", mustListOrganizations(t, st, []string{"thief@example.com"}, "", 10, nil), []string{})
}

func testListOrganizationsOfSeveralOwnersInIDOrder(t *testing.T, st store.Store) {
	owners := map[string]string{
		"a1": "ann@example.com", "b2": "bob@example.com", "c3": "cat@example.com",
		"d4": "ann@example.com", "e5": "cat@example.com", "f6": "bob@example.com",
		"g7": "cat@example.com", "h8": "ann@example.com",
		// Owners whose emails extend or prefix ann's stay apart.
		"i9": "ann@example.co", "j0": "ann@example.com.au",
	}
	// Created out of id order.
	for _, id := range []string{"h8", "c3", "j0", "a1", "g7", "e5", "b2", "i9", "f6", "d4"} {
		mustCreateOrganization(t, st, id, owners[id])
	}
	requireEqual(t, "ann's", mustListOrganizations(t, st, []string{"ann@example.com"}, "", 100, nil), orgNames("a1", "d4", "h8"))
	requireEqual(t, "ann's and cat's", mustListOrganizations(t, st, []string{"cat@example.com", "ann@example.com"}, "", 100, nil),
		orgNames("a1", "c3", "d4", "e5", "g7", "h8"))
	requireEqual(t, "owner named twice", mustListOrganizations(t, st, []string{"bob@example.com", "bob@example.com"}, "", 100, nil),
		orgNames("b2", "f6"))
	requireEqual(t, "after d4", mustListOrganizations(t, st, []string{"cat@example.com", "ann@example.com"}, "d4", 100, nil),
		orgNames("e5", "g7", "h8"))
	requireEqual(t, "after an id that is no organization", mustListOrganizations(t, st, []string{"cat@example.com", "ann@example.com"}, "d", 100, nil),
		orgNames("d4", "e5", "g7", "h8"))
	requireEqual(t, "limit 2", mustListOrganizations(t, st, []string{"cat@example.com", "ann@example.com"}, "a1", 2, nil),
		orgNames("c3", "d4"))
	requireEqual(t, "nobody", mustListOrganizations(t, st, []string{"nobody@example.com"}, "", 100, nil), []string{})
	requireEqual(t, "no owners", mustListOrganizations(t, st, nil, "", 100, nil), []string{})

	all := []string{"ann@example.com", "bob@example.com", "cat@example.com", "ann@example.co", "ann@example.com.au"}
	for limit := 1; limit <= 11; limit++ {
		requireEqual(t, fmt.Sprintf("all pages of %d", limit), pageOrganizations(t, st, all, limit, nil),
			orgNames("a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "i9", "j0"))
	}
}

func testListOrganizationsPagesWithKeep(t *testing.T, st store.Store) {
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("org-%02d", i)
		owner := "ann@example.com"
		if i%2 == 1 {
			owner = "bob@example.com"
		}
		mustCreateOrganization(t, st, id, owner)
		if i%3 != 0 {
			want = append(want, resource.OrganizationName(id))
		}
	}
	var seen []string
	keep := func(o *tenancyv1.Organization) bool {
		seen = append(seen, o.GetName())
		return slices.Contains(want, o.GetName())
	}
	owners := []string{"ann@example.com", "bob@example.com"}
	// The limit counts kept organizations only.
	requireEqual(t, "first 3 kept", mustListOrganizations(t, st, owners, "", 3, keep), orgNames("org-01", "org-02", "org-04"))
	for _, name := range seen {
		if name > resource.OrganizationName("org-04") {
			t.Fatalf("keep was asked about %s, beyond the page", name)
		}
	}
	for limit := 1; limit <= 9; limit++ {
		requireEqual(t, fmt.Sprintf("kept, pages of %d", limit), pageOrganizations(t, st, owners, limit, keep), want)
	}
}

// testListOrganizationsKeepMayUseTheStore reads the store from keep (as the
// service does to see through to devices) while a writer grows the
// database: an implementation that calls keep inside a read transaction
// deadlocks here with bbolt, whose writer waits for readers to remap.
func testListOrganizationsKeepMayUseTheStore(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "a1", "ann@example.com")
	mustCreateOrganization(t, st, "b2", "ann@example.com")
	mustCreateDevice(t, st, "b2", "d1", "SERIAL-1")

	wrote := make(chan error, 1)
	var once sync.Once
	keep := func(o *tenancyv1.Organization) bool {
		once.Do(func() {
			go func() {
				big := newOrganization("zz", "bob@example.com")
				big.DisplayName = strings.Repeat("x", 8<<20) // forces the file and its map to grow
				wrote <- st.CreateOrganization(t.Context(), "zz", big)
			}()
			time.Sleep(200 * time.Millisecond) // let the writer reach its commit
		})
		id := strings.TrimPrefix(o.GetName(), "organizations/")
		devices, err := st.ListDevices(t.Context(), id, "", 10, nil)
		return err == nil && len(devices) > 0
	}
	listed := make(chan []*tenancyv1.Organization, 1)
	go func() {
		orgs, err := st.ListOrganizations(t.Context(), []string{"ann@example.com"}, "", 10, keep)
		if err != nil {
			t.Errorf("ListOrganizations: %v", err)
		}
		listed <- orgs
	}()
	select {
	case orgs := <-listed:
		if len(orgs) != 1 || orgs[0].GetName() != "organizations/b2" {
			t.Fatalf("listed %v, want only organizations/b2", orgs)
		}
	case <-time.After(10 * time.Second):
		// Nothing can be cleaned up after a deadlock (closing the store
		// would wait for it too), so crash with every goroutine's stack
		// from a goroutine of our own, which skips the test's cleanups.
		go func() {
			debug.SetTraceback("all")
			panic("ListOrganizations deadlocked: keep reads the store while a writer waits to grow it")
		}()
		select {}
	}
	if err := <-wrote; err != nil {
		t.Fatalf("concurrent CreateOrganization: %v", err)
	}
}

func testUpdateOrganizationAppliesMutation(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	later := timestamppb.New(created.AsTime().Add(time.Hour))
	got, err := st.UpdateOrganization(t.Context(), "acme", func(o *tenancyv1.Organization) error {
		o.DisplayName = "Renamed"
		o.UpdateTime = later
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := newOrganization("acme", "owner@example.com")
	want.DisplayName = "Renamed"
	want.UpdateTime = later
	requireEqual(t, "returned organization", got, want)
	requireEqual(t, "stored organization", mustGetOrganization(t, st, "acme"), want)
}

func testUpdateOrganizationFailureChangesNothing(t *testing.T, st store.Store) {
	before := mustCreateOrganization(t, st, "acme", "owner@example.com")
	_, err := st.UpdateOrganization(t.Context(), "acme", func(o *tenancyv1.Organization) error {
		o.DisplayName = "Half-done"
		return errs.Invalid("organization.display_name", "TEST_REFUSAL", "refused")
	})
	requireReason(t, err, errs.ErrInvalidArgument, "TEST_REFUSAL")
	requireEqual(t, "organization after refused update", mustGetOrganization(t, st, "acme"), before)
}

func testUpdateOrganizationKeepsOwner(t *testing.T, st store.Store) {
	before := mustCreateOrganization(t, st, "acme", "owner@example.com")
	_, err := st.UpdateOrganization(t.Context(), "acme", func(o *tenancyv1.Organization) error {
		o.Owner = "thief@example.com"
		o.DisplayName = "Stolen"
		return nil
	})
	requireKind(t, err, errs.ErrFailedPrecondition)
	requireEqual(t, "organization after refused update", mustGetOrganization(t, st, "acme"), before)
	requireEqual(t, "owner's organizations", mustListOrganizations(t, st, []string{"owner@example.com"}, "", 10, nil), orgNames("acme"))
	requireEqual(t, "thief's organizations", mustListOrganizations(t, st, []string{"thief@example.com"}, "", 10, nil), []string{})
}

func testUpdateMissingOrganization(t *testing.T, st store.Store) {
	called := false
	_, err := st.UpdateOrganization(t.Context(), "nowhere", func(*tenancyv1.Organization) error { called = true; return nil })
	requireKind(t, err, errs.ErrNotFound)
	if called {
		t.Fatal("mutate called for a missing organization")
	}
}

func testDeleteEmptyOrganization(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateOrganization(t, st, "acme2", "owner@example.com")
	deleted, err := st.DeleteOrganization(t.Context(), "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "deleted devices", len(deleted), 0)
	_, err = st.GetOrganization(t.Context(), "acme")
	requireKind(t, err, errs.ErrNotFound)
	requireEqual(t, "owner's organizations", mustListOrganizations(t, st, []string{"owner@example.com"}, "", 10, nil), orgNames("acme2"))
	_, err = st.DeleteOrganization(t.Context(), "acme", true)
	requireKind(t, err, errs.ErrNotFound)
	// The id is free again, and nothing of the old owner's stays with it.
	mustCreateOrganization(t, st, "acme", "other@example.com")
	requireEqual(t, "owner's organizations after re-creation", mustListOrganizations(t, st, []string{"owner@example.com"}, "", 10, nil), orgNames("acme2"))
	requireEqual(t, "new owner's organizations", mustListOrganizations(t, st, []string{"other@example.com"}, "", 10, nil), orgNames("acme"))
}

func testDeleteOrganizationRefusedWhileDevicesRemain(t *testing.T, st store.Store) {
	org := mustCreateOrganization(t, st, "acme", "owner@example.com")
	d := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	deleted, err := st.DeleteOrganization(t.Context(), "acme", false)
	requireReason(t, err, errs.ErrFailedPrecondition, "ORGANIZATION_NOT_EMPTY")
	requireEqual(t, "deleted devices", len(deleted), 0)
	requireEqual(t, "organization", mustGetOrganization(t, st, "acme"), org)
	requireEqual(t, "device", mustGetDevice(t, st, "acme", "fw1"), d)
	requireEqual(t, "owner's organizations", mustListOrganizations(t, st, []string{"owner@example.com"}, "", 10, nil), orgNames("acme"))
	mustCreateOrganization(t, st, "other", "owner@example.com")
	err = st.CreateDevice(t.Context(), "other", "fw1", newDevice("other", "fw1", "SERIAL-1"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
}

func testDeleteOrganizationWithForce(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateOrganization(t, st, "acme1", "owner@example.com") // shares a prefix
	for i, id := range []string{"fw3", "fw1", "fw2"} {
		mustCreateDevice(t, st, "acme", id, fmt.Sprintf("SERIAL-%d", i))
	}
	kept := mustCreateDevice(t, st, "acme1", "fw1", "SERIAL-KEPT")

	deleted, err := st.DeleteOrganization(t.Context(), "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	requireEqual(t, "deleted devices", deleted, deviceNames("acme", "fw1", "fw2", "fw3"))
	_, err = st.GetOrganization(t.Context(), "acme")
	requireKind(t, err, errs.ErrNotFound)
	for _, id := range []string{"fw1", "fw2", "fw3"} {
		_, err := st.GetDevice(t.Context(), "acme", id)
		requireKind(t, err, errs.ErrNotFound)
	}
	requireEqual(t, "owner's organizations", mustListOrganizations(t, st, []string{"owner@example.com"}, "", 10, nil), orgNames("acme1"))
	requireEqual(t, "the other organization's device", mustGetDevice(t, st, "acme1", "fw1"), kept)

	// The serial numbers are free, and a new organization with the same id
	// starts empty.
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	requireEqual(t, "devices of the re-created organization", mustListDevices(t, st, "acme", "", 10, nil), []string{})
	for i := range 3 {
		mustCreateDevice(t, st, "acme1", fmt.Sprintf("new%d", i), fmt.Sprintf("SERIAL-%d", i))
	}
	err = st.CreateDevice(t.Context(), "acme", "x", newDevice("acme", "x", "SERIAL-KEPT"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
}

func testDeleteOrganizationEmptiedDeviceByDevice(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	if err := st.DeleteDevice(t.Context(), "acme", "fw1"); err != nil {
		t.Fatal(err)
	}
	deleted, err := st.DeleteOrganization(t.Context(), "acme", false)
	if err != nil {
		t.Fatalf("deleting an emptied organization: %v", err)
	}
	requireEqual(t, "deleted devices", len(deleted), 0)
}

func testCreateDeviceInMissingOrganization(t *testing.T, st store.Store) {
	err := st.CreateDevice(t.Context(), "nowhere", "fw1", newDevice("nowhere", "fw1", "SERIAL-1"))
	requireKind(t, err, errs.ErrNotFound)
	// Nothing was reserved for it.
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	mustCreateOrganization(t, st, "nowhere", "owner@example.com")
	requireEqual(t, "devices", mustListDevices(t, st, "nowhere", "", 10, nil), []string{})
}

func testCreateDeviceThenGet(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	want := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	requireEqual(t, "stored device", mustGetDevice(t, st, "acme", "fw1"), want)
}

func testGetMissingDevice(t *testing.T, st store.Store) {
	_, err := st.GetDevice(t.Context(), "nowhere", "fw1")
	requireKind(t, err, errs.ErrNotFound)
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	_, err = st.GetDevice(t.Context(), "acme", "fw1")
	requireKind(t, err, errs.ErrNotFound)
	mustCreateOrganization(t, st, "other", "owner@example.com")
	mustCreateDevice(t, st, "other", "fw1", "SERIAL-1")
	_, err = st.GetDevice(t.Context(), "acme", "fw1")
	requireKind(t, err, errs.ErrNotFound)
}

func testCreateDeviceRefusesTakenID(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	first := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	err := st.CreateDevice(t.Context(), "acme", "fw1", newDevice("acme", "fw1", "SERIAL-2"))
	requireKind(t, err, errs.ErrAlreadyExists)
	requireEqual(t, "first device", mustGetDevice(t, st, "acme", "fw1"), first)
	// The refused device's serial number was not reserved.
	mustCreateDevice(t, st, "acme", "fw2", "SERIAL-2")
	// The same id in another organization is another device.
	mustCreateOrganization(t, st, "other", "owner@example.com")
	mustCreateDevice(t, st, "other", "fw1", "SERIAL-3")
}

func testSerialNumberUniqueInOrganization(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	first := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	err := st.CreateDevice(t.Context(), "acme", "fw2", newDevice("acme", "fw2", "SERIAL-1"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
	_, err = st.GetDevice(t.Context(), "acme", "fw2")
	requireKind(t, err, errs.ErrNotFound)
	requireEqual(t, "first device", mustGetDevice(t, st, "acme", "fw1"), first)
	requireEqual(t, "devices", mustListDevices(t, st, "acme", "", 10, nil), deviceNames("acme", "fw1"))
}

func testSerialNumberUniqueAcrossOrganizations(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateOrganization(t, st, "globex", "other@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	err := st.CreateDevice(t.Context(), "globex", "fw1", newDevice("globex", "fw1", "SERIAL-1"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
	requireEqual(t, "devices of globex", mustListDevices(t, st, "globex", "", 10, nil), []string{})
	// Only the exact serial number is taken.
	mustCreateDevice(t, st, "globex", "fw1", "SERIAL-10")
	mustCreateDevice(t, st, "globex", "fw2", "SERIAL-")
}

func testSerialNumberReusableAfterDelete(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateOrganization(t, st, "globex", "other@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	if err := st.DeleteDevice(t.Context(), "acme", "fw1"); err != nil {
		t.Fatal(err)
	}
	mustCreateDevice(t, st, "globex", "fw9", "SERIAL-1")
	err := st.CreateDevice(t.Context(), "acme", "fw1", newDevice("acme", "fw1", "SERIAL-1"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
}

func testConcurrentCreatesOfOneSerialNumber(t *testing.T, st store.Store) {
	const n = 16
	for i := range n {
		mustCreateOrganization(t, st, fmt.Sprintf("org%d", i), "owner@example.com")
	}
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			org := fmt.Sprintf("org%d", i)
			results[i] = st.CreateDevice(t.Context(), org, "fw", newDevice(org, "fw", "SERIAL-1"))
		})
	}
	wg.Wait()
	succeeded := 0
	for _, err := range results {
		switch {
		case err == nil:
			succeeded++
		case !errors.Is(err, errs.ErrAlreadyExists):
			t.Fatalf("concurrent create: %v", err)
		}
	}
	requireEqual(t, "successful creates", succeeded, 1)
}

func testListDevicesPagesWithKeep(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateOrganization(t, st, "acme1", "owner@example.com") // shares a prefix
	mustCreateDevice(t, st, "acme1", "aaa", "SERIAL-OTHER")
	var all []string
	for i, id := range []string{"fw07", "fw02", "fw10", "fw01", "fw05", "fw03", "fw09", "fw04", "fw08", "fw06"} {
		mustCreateDevice(t, st, "acme", id, fmt.Sprintf("SERIAL-%d", i))
		all = append(all, id)
	}
	slices.Sort(all)
	requireEqual(t, "all devices", mustListDevices(t, st, "acme", "", 100, nil), deviceNames("acme", all...))
	requireEqual(t, "after fw04, 3", mustListDevices(t, st, "acme", "fw04", 3, nil), deviceNames("acme", "fw05", "fw06", "fw07"))
	requireEqual(t, "after an id that is no device", mustListDevices(t, st, "acme", "fw045", 2, nil), deviceNames("acme", "fw05", "fw06"))
	requireEqual(t, "after the last", mustListDevices(t, st, "acme", "fw10", 3, nil), []string{})

	even := func(d *tenancyv1.Device) bool {
		n := d.GetName()
		return strings.ContainsAny(n[len(n)-1:], "02468")
	}
	requireEqual(t, "limit counts kept devices", mustListDevices(t, st, "acme", "", 3, even), deviceNames("acme", "fw02", "fw04", "fw06"))
	for limit := 1; limit <= 11; limit++ {
		for _, keep := range []func(*tenancyv1.Device) bool{nil, even} {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				page := mustListDevices(t, st, "acme", after, limit, keep)
				got = append(got, page...)
				if len(page) < limit {
					break
				}
				after = page[len(page)-1][len("organizations/acme/devices/"):]
			}
			want := deviceNames("acme", all...)
			if keep != nil {
				want = deviceNames("acme", "fw02", "fw04", "fw06", "fw08", "fw10")
			}
			requireEqual(t, fmt.Sprintf("pages of %d (keep %v)", limit, keep != nil), got, want)
		}
	}
}

func testListDevicesOfMissingOrEmptyOrganization(t *testing.T, st store.Store) {
	_, err := st.ListDevices(t.Context(), "nowhere", "", 10, nil)
	requireKind(t, err, errs.ErrNotFound)
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	requireEqual(t, "devices of an empty organization", mustListDevices(t, st, "acme", "", 10, nil), []string{})
}

func testUpdateDeviceAppliesMutation(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	later := timestamppb.New(created.AsTime().Add(time.Hour))
	renewed := timestamppb.New(expires.AsTime().AddDate(1, 0, 0))
	got, err := st.UpdateDevice(t.Context(), "acme", "fw1", func(d *tenancyv1.Device) error {
		d.DisplayName = "Renamed"
		d.TimeZone = "Asia/Taipei"
		d.License = &tenancyv1.License{ExpireTime: renewed}
		d.UpdateTime = later
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := newDevice("acme", "fw1", "SERIAL-1")
	want.DisplayName = "Renamed"
	want.TimeZone = "Asia/Taipei"
	want.License = &tenancyv1.License{ExpireTime: renewed}
	want.UpdateTime = later
	requireEqual(t, "returned device", got, want)
	requireEqual(t, "stored device", mustGetDevice(t, st, "acme", "fw1"), want)
}

func testUpdateDeviceFailureChangesNothing(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	before := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	_, err := st.UpdateDevice(t.Context(), "acme", "fw1", func(d *tenancyv1.Device) error {
		d.DisplayName = "Half-done"
		return errs.Invalid("device.time_zone", "TEST_REFUSAL", "refused")
	})
	requireReason(t, err, errs.ErrInvalidArgument, "TEST_REFUSAL")
	requireEqual(t, "device after refused update", mustGetDevice(t, st, "acme", "fw1"), before)
}

func testUpdateDeviceKeepsSerialNumber(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	before := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	_, err := st.UpdateDevice(t.Context(), "acme", "fw1", func(d *tenancyv1.Device) error {
		d.SerialNumber = "SERIAL-2"
		d.DisplayName = "Renamed"
		return nil
	})
	requireReason(t, err, errs.ErrInvalidArgument, "IMMUTABLE_FIELD")
	requireEqual(t, "device after refused update", mustGetDevice(t, st, "acme", "fw1"), before)
	// The index did not move: the old number is still taken, the new one free.
	err = st.CreateDevice(t.Context(), "acme", "fw2", newDevice("acme", "fw2", "SERIAL-1"))
	requireReason(t, err, errs.ErrAlreadyExists, "SERIAL_NUMBER_TAKEN")
	mustCreateDevice(t, st, "acme", "fw3", "SERIAL-2")
}

func testUpdateMissingDevice(t *testing.T, st store.Store) {
	called := false
	mutate := func(*tenancyv1.Device) error { called = true; return nil }
	_, err := st.UpdateDevice(t.Context(), "nowhere", "fw1", mutate)
	requireKind(t, err, errs.ErrNotFound)
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	_, err = st.UpdateDevice(t.Context(), "acme", "fw1", mutate)
	requireKind(t, err, errs.ErrNotFound)
	if called {
		t.Fatal("mutate called for a missing device")
	}
}

func testDeleteDevice(t *testing.T, st store.Store) {
	mustCreateOrganization(t, st, "acme", "owner@example.com")
	mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")
	kept := mustCreateDevice(t, st, "acme", "fw2", "SERIAL-2")
	if err := st.DeleteDevice(t.Context(), "acme", "fw1"); err != nil {
		t.Fatal(err)
	}
	_, err := st.GetDevice(t.Context(), "acme", "fw1")
	requireKind(t, err, errs.ErrNotFound)
	requireEqual(t, "devices", mustListDevices(t, st, "acme", "", 10, nil), deviceNames("acme", "fw2"))
	requireEqual(t, "other device", mustGetDevice(t, st, "acme", "fw2"), kept)
	requireKind(t, st.DeleteDevice(t.Context(), "acme", "fw1"), errs.ErrNotFound)
	requireKind(t, st.DeleteDevice(t.Context(), "nowhere", "fw1"), errs.ErrNotFound)
	// The serial number is free again.
	mustCreateDevice(t, st, "acme", "fw3", "SERIAL-1")
}

func testReturnedRecordsAreCopies(t *testing.T, st store.Store) {
	wantOrg := mustCreateOrganization(t, st, "acme", "owner@example.com")
	wantDevice := mustCreateDevice(t, st, "acme", "fw1", "SERIAL-1")

	mustGetOrganization(t, st, "acme").DisplayName = "changed"
	orgs, err := st.ListOrganizations(t.Context(), []string{"owner@example.com"}, "", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	orgs[0].Owner = "thief@example.com"
	d := mustGetDevice(t, st, "acme", "fw1")
	d.License.ExpireTime = created
	d.SerialNumber = "SERIAL-2"
	devices, err := st.ListDevices(t.Context(), "acme", "", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	devices[0].DisplayName = "changed"

	requireEqual(t, "stored organization", mustGetOrganization(t, st, "acme"), wantOrg)
	requireEqual(t, "stored device", mustGetDevice(t, st, "acme", "fw1"), wantDevice)
}
