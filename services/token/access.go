package token

import (
	"context"
	"errors"
	"fmt"
	"github.com/tollgate/tollgate/pkg/auth"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// managedDevice resolves a device for the calling user and checks that they
// may manage its tokens (ADMIN or owner). requested is the name the caller
// asked for, used in errors: a device the user may not see is NOT_FOUND
// whatever they asked about, a visible one without the right
// PERMISSION_DENIED.
func (s *Service) managedDevice(ctx context.Context, field, requested, device string) (*tenancyv1.ResolveTargetResponse, string, error) {
	user, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	target, err := s.resolveDevice(ctx, device)
	if err != nil {
		return nil, "", notFoundIf(err, field, requested)
	}
	d, err := s.decide(ctx, user, target.GetOwner(), device)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !d.Visible():
		return nil, "", notFound(field, requested)
	case !d.Allows(access.Manage):
		return nil, "", errs.New(errs.ErrPermissionDenied, "PERMISSION_DENIED",
			fmt.Sprintf("managing the API tokens of %s needs ADMIN; your privilege there is %s", device, d.Privilege))
	}
	return target, user, nil
}

// managedToken loads a token the calling user may manage.
func (s *Service) managedToken(ctx context.Context, field, name string) (*store.Token, error) {
	device, id, err := resource.ParseToken(field, name)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.managedDevice(ctx, field, name, device.Name()); err != nil {
		return nil, err
	}
	t, err := s.store.GetToken(ctx, id)
	if err != nil {
		return nil, notFoundIf(err, field, name)
	}
	if t.Name != name {
		return nil, notFound(field, name) // the id exists, under another device
	}
	return t, nil
}

func notFound(field, name string) error {
	return errs.New(errs.ErrNotFound, "NOT_FOUND", fmt.Sprintf("%s %q not found", field, name))
}

// notFoundIf replaces a NOT_FOUND with one naming the request field.
func notFoundIf(err error, field, name string) error {
	if errors.Is(err, errs.ErrNotFound) {
		return notFound(field, name)
	}
	return err
}
