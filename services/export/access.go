package export

import (
	"context"
	"fmt"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
)

// deviceForRead authorizes reading the logs of the named device: users
// with MEMBER or better on it, and API tokens of that very device (while
// its license is active). A device the caller may not see is NOT_FOUND,
// exactly like one that does not exist.
func (s *Service) deviceForRead(ctx context.Context, field, name string) (device, error) {
	p, err := principal(ctx)
	if err != nil {
		return device{}, err
	}
	switch p.Kind {
	case auth.KindToken:
		return s.deviceForToken(ctx, p, field, name)
	case auth.KindUser:
		d, err := s.existingDevice(ctx, field, name)
		if err != nil {
			return device{}, err
		}
		decision, err := s.decide(ctx, p.Email, d)
		if err != nil {
			return device{}, err
		}
		switch {
		case !decision.Visible():
			return device{}, notFound(field, name)
		case !decision.Allows(access.ReadData):
			return device{}, errs.New(errs.ErrPermissionDenied, "PERMISSION_DENIED",
				fmt.Sprintf("your privilege on %s does not allow reading its logs", name))
		}
		return d, nil
	default:
		return device{}, errs.New(errs.ErrPermissionDenied, "USER_OR_TOKEN_REQUIRED",
			"logs are read for a user or an API token; services have no data access of their own")
	}
}

// deviceForArchive authorizes the Open API archive download: the device's
// own API tokens, or Tollgate services (the gateway acting for a token it
// has already checked).
func (s *Service) deviceForArchive(ctx context.Context, field, name string) (device, error) {
	p, err := principal(ctx)
	if err != nil {
		return device{}, err
	}
	switch p.Kind {
	case auth.KindToken:
		return s.deviceForToken(ctx, p, field, name)
	case auth.KindService:
		d, err := s.existingDevice(ctx, field, name)
		if err != nil {
			return device{}, err
		}
		return d, nil
	default:
		return device{}, errs.New(errs.ErrPermissionDenied, "TOKEN_REQUIRED",
			"daily archives are served to the device's API tokens (Open API); users page or stream the logs instead")
	}
}

func (s *Service) deviceForToken(ctx context.Context, p auth.Principal, field, name string) (device, error) {
	if p.Device != name {
		return device{}, errs.New(errs.ErrPermissionDenied, "TOKEN_SCOPE", "an API token only reaches its own device's logs")
	}
	d, err := s.existingDevice(ctx, field, name)
	if err != nil {
		return device{}, err
	}
	if !d.licenseExpiry.After(s.now()) {
		return device{}, errs.New(errs.ErrPermissionDenied, "LICENSE_EXPIRED",
			"the device's license has expired: its API tokens work again once it is renewed")
	}
	return d, nil
}

func principal(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, errs.New(errs.ErrUnauthenticated, "UNAUTHENTICATED", "no caller identity")
	}
	return p, nil
}

func notFound(field, name string) error {
	return errs.New(errs.ErrNotFound, "NOT_FOUND", fmt.Sprintf("%s %q not found", field, name))
}

// existingDevice resolves name, answering NOT_FOUND (naming field) for a
// device that does not exist.
func (s *Service) existingDevice(ctx context.Context, field, name string) (device, error) {
	d, found, err := s.resolveDevice(ctx, name)
	if err != nil {
		return device{}, err
	}
	if !found {
		return device{}, notFound(field, name)
	}
	return d, nil
}
