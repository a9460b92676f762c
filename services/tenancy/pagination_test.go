package tenancy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// pagesFor is how many pages n items take at page size size: the last page
// is never empty, and an empty listing is one empty page.
func pagesFor(n, size int) int {
	if n == 0 {
		return 1
	}
	return (n + size - 1) / size
}

// TestListOrganizationsPages lists many organizations of several owners,
// as their owner and as a member who sees some of each account, at every
// page size: each visible organization exactly once, in name order.
func TestListOrganizationsPages(t *testing.T) {
	h := newHarness(t)
	const carl = "carl@example.com"
	rng := rand.New(rand.NewPCG(7, 11))
	ids := make([]string, 0, 40)
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("org-%02d", i))
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })

	// owner: 20 organizations, ann sees every third through an
	// organization case and org-?? with a device through a device case;
	// other: 12, all seen by ann; carl: 5, none seen; ann: 3 of her own.
	var ownerOrgs, annSees []string
	annCases := grant(privNone)
	for i, id := range ids {
		switch {
		case i < 20:
			h.createOrg(t, owner, id)
			ownerOrgs = append(ownerOrgs, orgName(id))
			switch i % 3 {
			case 0:
				annCases.Cases[orgName(id)] = privMember
				annSees = append(annSees, orgName(id))
			case 1:
				h.createDevice(t, owner, id, "dev1")
				if i%2 == 1 {
					annCases.Cases[deviceName(id, "dev1")] = privAdmin
					annSees = append(annSees, orgName(id))
				}
			}
		case i < 32:
			h.createOrg(t, other, id)
			annSees = append(annSees, orgName(id))
		case i < 37:
			h.createOrg(t, user(carl), id)
		default:
			h.createOrg(t, ann, id)
			annSees = append(annSees, orgName(id))
		}
	}
	h.grants.set(annEmail, ownerEmail, annCases)
	h.grants.set(annEmail, otherEmail, grant(privMember))
	h.grants.set(annEmail, carl, grant(privNone))
	slices.Sort(ownerOrgs)
	slices.Sort(annSees)

	for _, tc := range []struct {
		name string
		want []string
		list func(size int32) ([]string, int)
	}{
		{"owner", ownerOrgs, func(size int32) ([]string, int) { return h.listAllOrgs(t, owner, size) }},
		{"member", annSees, func(size int32) ([]string, int) { return h.listAllOrgs(t, ann, size) }},
	} {
		for size := 1; size <= len(tc.want)+1; size++ {
			got, pages := tc.list(int32(size))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s, page size %d: listed %q, want %q", tc.name, size, got, tc.want)
			}
			if want := pagesFor(len(tc.want), size); pages != want {
				t.Fatalf("%s, page size %d: %d pages, want %d", tc.name, size, pages, want)
			}
		}
		// Without a page size, the default (50) holds them all.
		if got, pages := tc.list(0); !slices.Equal(got, tc.want) || pages != 1 {
			t.Fatalf("%s, default page size: %d pages of %q", tc.name, pages, got)
		}
	}
}

// TestListDevicesPages lists an organization's devices at every page size,
// as the owner and as a member who sees some of them.
func TestListDevicesPages(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	h.createOrg(t, owner, "org10") // shares a prefix
	h.createDevice(t, owner, "org10", "dev-00")
	rng := rand.New(rand.NewPCG(3, 5))
	var all, visible []string
	cases := grant(privNone)
	for _, i := range rng.Perm(23) {
		id := fmt.Sprintf("dev-%02d", i)
		h.createDevice(t, owner, "org1", id)
		if i%3 != 2 {
			cases.Cases[deviceName("org1", id)] = privMember
		} else {
			cases.Cases[deviceName("org1", id)] = privNone
		}
	}
	for i := range 23 {
		all = append(all, deviceName("org1", fmt.Sprintf("dev-%02d", i)))
		if i%3 != 2 {
			visible = append(visible, deviceName("org1", fmt.Sprintf("dev-%02d", i)))
		}
	}
	h.grants.set(annEmail, ownerEmail, cases)
	for _, tc := range []struct {
		name string
		want []string
		list func(size int32) ([]string, int)
	}{
		{"owner", all, func(size int32) ([]string, int) {
			return h.listAllDevices(t, owner, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: size})
		}},
		{"member", visible, func(size int32) ([]string, int) {
			return h.listAllDevices(t, ann, &tenancyv1.ListDevicesRequest{Parent: orgName("org1"), PageSize: size})
		}},
	} {
		for size := 1; size <= len(tc.want)+1; size++ {
			got, pages := tc.list(int32(size))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s, page size %d: listed %q, want %q", tc.name, size, got, tc.want)
			}
			if want := pagesFor(len(tc.want), size); pages != want {
				t.Fatalf("%s, page size %d: %d pages, want %d", tc.name, size, pages, want)
			}
		}
	}
}

// TestDefaultPageSize checks that an unset page size means 50 and that the
// rest follows.
func TestDefaultPageSize(t *testing.T) {
	h := newHarness(t)
	h.createOrg(t, owner, "org1")
	var want []string
	for i := range 53 {
		id := fmt.Sprintf("dev-%02d", i)
		h.createDevice(t, owner, "org1", id)
		want = append(want, deviceName("org1", id))
	}
	first, err := h.client.ListDevices(as(t, owner), &tenancyv1.ListDevicesRequest{Parent: orgName("org1")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(first.GetDevices()); n != 50 || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %d devices, next token %q; want 50 and a token", n, first.GetNextPageToken())
	}
	got, pages := h.listAllDevices(t, owner, &tenancyv1.ListDevicesRequest{Parent: orgName("org1")})
	if !slices.Equal(got, want) || pages != 2 {
		t.Fatalf("%d pages of %q", pages, got)
	}
}

// TestPagesAreStableUnderChanges creates and deletes organizations while
// paging: every organization that exists throughout is listed exactly
// once, and the order never goes back.
func TestPagesAreStableUnderChanges(t *testing.T) {
	h := newHarness(t)
	var stable []string
	for i := 0; i < 30; i += 2 {
		id := fmt.Sprintf("org-%02d", i)
		h.createOrg(t, owner, id)
		stable = append(stable, orgName(id))
	}
	h.createOrg(t, owner, "org-99")
	seen := map[string]int{}
	last := ""
	req := &tenancyv1.ListOrganizationsRequest{PageSize: 4}
	for page := 0; ; page++ {
		resp, err := h.client.ListOrganizations(as(t, owner), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range resp.GetOrganizations() {
			if o.GetName() <= last {
				t.Fatalf("page %d lists %s after %s", page, o.GetName(), last)
			}
			last = o.GetName()
			seen[o.GetName()]++
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		// Between pages: an organization before the cursor and one after
		// it appear, one not yet listed goes.
		h.createOrg(t, owner, fmt.Sprintf("org-%02d", 2*page+1))
		h.createOrg(t, owner, fmt.Sprintf("org-%02d", 60-page))
		if page == 1 {
			if _, err := h.client.DeleteOrganization(as(t, owner), &tenancyv1.DeleteOrganizationRequest{Name: orgName("org-99")}); err != nil {
				t.Fatal(err)
			}
		}
		req.PageToken = resp.GetNextPageToken()
	}
	for _, name := range stable {
		if seen[name] != 1 {
			t.Errorf("%s listed %d times", name, seen[name])
		}
	}
	if seen[orgName("org-99")] != 0 {
		t.Errorf("deleted organization listed")
	}
}
