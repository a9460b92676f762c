package tenancy

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// TestCreateOrganization checks the owner and output-only fields, and a
// generated id.
func TestCreateOrganization(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.CreateOrganization(as(t, ann), &tenancyv1.CreateOrganizationRequest{
		Organization: &tenancyv1.Organization{Name: orgName("stolen"), DisplayName: "Ann's", Owner: ownerEmail, CreateTime: timestamppb.New(t0.AddDate(-1, 0, 0))},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.GetOrganization()
	if got.GetOwner() != annEmail || got.GetName() == orgName("stolen") || got.GetDisplayName() != "Ann's" ||
		!got.GetCreateTime().AsTime().Equal(t0) || !got.GetUpdateTime().AsTime().Equal(t0) {
		t.Fatalf("created %v", got)
	}
	read, err := h.client.GetOrganization(as(t, ann), &tenancyv1.GetOrganizationRequest{Name: got.GetName()})
	if err != nil || !proto.Equal(read.GetOrganization(), got) {
		t.Fatalf("read back %v, %v; want %v", read.GetOrganization(), err, got)
	}
	// The owner named in the request gets nothing.
	_, err = h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: got.GetName()})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
}

// TestUpdateOrganization renames an organization: the display name and
// update time change, nothing else does.
func TestUpdateOrganization(t *testing.T) {
	h := newHarness(t)
	before := h.createOrg(t, owner, "org1")
	h.clock.Set(t0.Add(time.Hour))
	resp, err := h.client.UpdateOrganization(as(t, owner), &tenancyv1.UpdateOrganizationRequest{
		Organization: &tenancyv1.Organization{Name: before.GetName(), DisplayName: "Renamed", Owner: annEmail, CreateTime: timestamppb.New(t0.AddDate(-1, 0, 0))},
		UpdateMask:   mask("display_name"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := proto.CloneOf(before)
	want.DisplayName = "Renamed"
	want.UpdateTime = timestamppb.New(t0.Add(time.Hour))
	if !proto.Equal(resp.GetOrganization(), want) {
		t.Fatalf("updated %v, want %v", resp.GetOrganization(), want)
	}
	read, err := h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: before.GetName()})
	if err != nil || !proto.Equal(read.GetOrganization(), want) {
		t.Fatalf("read back %v, %v; want %v", read.GetOrganization(), err, want)
	}
}

// TestDeleteOrganization refuses a non-empty organization without force,
// then deletes it and its devices with force and tells the other services
// about each device and the organization.
func TestDeleteOrganization(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	h.createOrg(t, owner, "org2")
	devices := []*tenancyv1.Device{h.createDevice(t, owner, "org1", "dev1"), h.createDevice(t, owner, "org1", "dev2")}
	kept := h.createDevice(t, owner, "org2", "dev1")

	before := h.snapshot(t, ownerEmail)
	_, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org1")})
	requireStatus(t, err, codes.FailedPrecondition, "ORGANIZATION_NOT_EMPTY")
	if after := h.snapshot(t, ownerEmail); !before.equal(after) {
		t.Fatalf("refused delete changed the state:\nbefore %v\nafter  %v", before, after)
	}

	if _, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org1"), Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: orgName("org1")})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	for _, d := range devices {
		_, err := h.client.GetDevice(as(t, owner), &tenancyv1.GetDeviceRequest{Name: d.GetName()})
		requireStatus(t, err, codes.NotFound, "NOT_FOUND")
	}
	want := []string{"device " + devices[0].GetName(), "device " + devices[1].GetName(), "organization " + orgName("org1")}
	if got := h.cleaner.told(); !slices.Equal(got, want) {
		t.Fatalf("cleaner told %q, want %q", got, want)
	}
	if !proto.Equal(h.getDevice(t, kept.GetName()), kept) {
		t.Fatal("another organization's device changed")
	}
	// Their serial numbers are free again.
	for i, d := range devices {
		in := h.deviceInput(d.GetSerialNumber())
		if _, err := h.client.CreateDevice(as(t, owner), &tenancyv1.CreateDeviceRequest{Parent: orgName("org2"), DeviceId: []string{"re-1", "re-2"}[i], Device: in}); err != nil {
			t.Fatalf("re-registering serial %s: %v", d.GetSerialNumber(), err)
		}
	}
	// An empty organization needs no force; a failing cleaner does not
	// undo the deletion.
	h.createOrg(t, owner, "org3")
	h.cleaner.setFail(true)
	if _, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org3")}); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetOrganization(as(t, owner), &tenancyv1.GetOrganizationRequest{Name: orgName("org3")})
	requireStatus(t, err, codes.NotFound, "NOT_FOUND")
}
