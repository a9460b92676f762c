package membership

import (
	"context"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	"github.com/tollgate/tollgate/pkg/servertest"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	"github.com/tollgate/tollgate/services/membership/store/boltstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The people of the tests. The owner's fixture organization o1 holds
// device d1; the other owner has organization x1 with device x1d.
const (
	ownerEmail = "owner@example.com"
	otherEmail = "other@example.com"
	annEmail   = "ann@example.com"
)

var (
	owner   = auth.Principal{Kind: auth.KindUser, Email: ownerEmail}
	other   = auth.Principal{Kind: auth.KindUser, Email: otherEmail}
	ann     = auth.Principal{Kind: auth.KindUser, Email: annEmail}
	service = auth.Principal{Kind: auth.KindService, Service: component.Tenancy}
	token   = auth.Principal{
		Kind:         auth.KindToken,
		TokenName:    "organizations/o1/devices/d1/apiTokens/t1",
		Device:       "organizations/o1/devices/d1",
		Organization: "organizations/o1",
	}
)

// harness is a membership service behind the real interceptor chain on an
// in-memory listener, with a client that asserts any principal.
type harness struct {
	client  membershipv1.MembershipServiceClient
	tenancy *fakeTenancy
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "membership.db"), boltstore.Schema, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the server's cleanup, so it runs after it.
	t.Cleanup(func() { _ = db.Close() })
	tenancy := newFakeTenancy()
	tenancy.addOrganization(ownerEmail, "o1", "d1")
	tenancy.addOrganization(otherEmail, "x1", "x1d")
	svc := NewService(boltstore.New(db), tenancyTargets{client: tenancy}, pagetoken.New([]byte("test secret"), component.Membership))
	srv := servertest.Start(t, component.Membership, func(s *server.Server) {
		s.Register(&membershipv1.MembershipService_ServiceDesc, svc)
	})
	t.Cleanup(func() {
		tenancy.mu.Lock()
		defer tenancy.mu.Unlock()
		if tenancy.lastErr != nil {
			t.Error(tenancy.lastErr)
		}
	})
	return &harness{client: membershipv1.NewMembershipServiceClient(srv.Conn), tenancy: tenancy}
}

// as returns a context whose calls assert p.
func as(t *testing.T, p auth.Principal) context.Context { return auth.NewContext(t.Context(), p) }

var (
	privNone   = membershipv1.Privilege_PRIVILEGE_NONE
	privMember = membershipv1.Privilege_PRIVILEGE_MEMBER
	privAdmin  = membershipv1.Privilege_PRIVILEGE_ADMIN
	privOwner  = membershipv1.Privilege_PRIVILEGE_OWNER
)

func exceptionalCase(target string, p membershipv1.Privilege) *membershipv1.ExceptionalCase {
	return &membershipv1.ExceptionalCase{Target: target, Privilege: p}
}

// createMember adds a member to the owner's account, failing the test on error.
func (h *harness) createMember(t *testing.T, email string, def membershipv1.Privilege, cases ...*membershipv1.ExceptionalCase) *membershipv1.Member {
	t.Helper()
	resp, err := h.client.CreateMember(as(t, owner), &membershipv1.CreateMemberRequest{
		Member: &membershipv1.Member{Email: email, AccessPrivilege: def, ExceptionalCases: cases},
	})
	if err != nil {
		t.Fatalf("CreateMember(%s): %v", email, err)
	}
	return resp.GetMember()
}

// requireStatus checks an RPC error's code and, unless reason is empty, its
// ErrorInfo reason.
func requireStatus(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	s := status.Convert(err)
	if s.Code() != code {
		t.Fatalf("code = %s (%q), want %s", s.Code(), s.Message(), code)
	}
	if got := errs.Reason(s); reason != "" && got != reason {
		t.Fatalf("reason = %q (%q), want %s", got, s.Message(), reason)
	}
	return s
}

// fieldOf returns the field of a status's first BadRequest violation.
func fieldOf(s *status.Status) string {
	for _, d := range s.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetField()
		}
	}
	return ""
}
