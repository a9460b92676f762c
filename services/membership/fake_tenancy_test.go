package membership

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/auth"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// fakeTenancy answers ResolveTarget from memory, and like the real one only
// for service principals, so that the membership service is caught if it
// calls on behalf of the user it serves.
type fakeTenancy struct {
	tenancyv1.TenancyServiceClient // nil: the membership service only resolves targets

	mu      sync.Mutex
	owners  map[string]string // organization or device name → owner email
	down    bool
	lastErr error // a caller-side problem seen by the fake, reported by the test
}

func newFakeTenancy() *fakeTenancy { return &fakeTenancy{owners: map[string]string{}} }

// addOrganization registers organizations/{org} and its devices for owner.
func (f *fakeTenancy) addOrganization(owner, org string, devices ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owners["organizations/"+org] = owner
	for _, d := range devices {
		f.owners["organizations/"+org+"/devices/"+d] = owner
	}
}

func (f *fakeTenancy) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeTenancy) ResolveTarget(ctx context.Context, in *tenancyv1.ResolveTargetRequest, _ ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if auth.OutgoingPrincipal(ctx, "membership").Kind != auth.KindService {
		f.lastErr = errors.New("ResolveTarget called without a service identity")
		return nil, status.Error(codes.PermissionDenied, "internal only")
	}
	if f.down {
		return nil, status.Error(codes.Unavailable, "tenancy is down")
	}
	owner, ok := f.owners[in.GetTarget()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "target %q not found", in.GetTarget())
	}
	return &tenancyv1.ResolveTargetResponse{Owner: owner}, nil
}
