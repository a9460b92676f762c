// Package membership is the membership service: each owner's members,
// their access privileges and exceptional cases, and the access decisions
// every other service asks for. Owners manage their own members; other
// Tollgate components use the internal methods. Nothing is cached: every
// decision reads the store, so removing a member or lowering a privilege
// takes effect on the next request.
package membership

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/resource"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	"github.com/tollgate/tollgate/services/membership/store"
)

// Targets tells who owns an organization or device.
type Targets interface {
	// OwnerOf returns the email of the owner of target (an organization or
	// device name), or an error wrapping errs.ErrNotFound if it does not
	// exist.
	OwnerOf(ctx context.Context, target string) (string, error)
}

// Service implements membershipv1.MembershipServiceServer.
type Service struct {
	membershipv1.UnimplementedMembershipServiceServer
	store   store.Store
	targets Targets
	pages   *pagetoken.Codec
	now     func() time.Time
}

// NewService returns the service over st.
func NewService(st store.Store, targets Targets, pages *pagetoken.Codec) *Service {
	return &Service{store: st, targets: targets, pages: pages, now: time.Now}
}

// memberFor loads the named member for the calling user, who must be its
// owner. Anyone else, the member included, gets the same NOT_FOUND as for
// a name that does not exist, so names cannot be probed.
func (s *Service) memberFor(ctx context.Context, field, name string) (*membershipv1.Member, string, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	id, err := resource.ParseMember(field, name)
	if err != nil {
		return nil, "", err
	}
	m, err := s.store.GetMember(ctx, id)
	switch {
	case errors.Is(err, errs.ErrNotFound) || (err == nil && m.GetOwner() != user):
		return nil, "", notFound(field, name)
	case err != nil:
		return nil, "", err
	}
	return m, id, nil
}

func notFound(field, name string) error {
	return errs.New(errs.ErrNotFound, "NOT_FOUND", fmt.Sprintf("%s %q not found", field, name))
}
