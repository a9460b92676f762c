package auth

import (
	"context"

	"github.com/tollgate/tollgate/pkg/errs"
)

type asSelfKey struct{}

// AsSelf returns a context whose outgoing calls carry the calling
// component's own service identity instead of the principal being served:
// for internal RPCs made while serving a user (which are refused to users).
func AsSelf(ctx context.Context) context.Context {
	return context.WithValue(ctx, asSelfKey{}, true)
}

// ActingAsSelf reports whether outgoing calls from ctx carry the component's own
// identity (see AsSelf); in-process fakes of peers use it in tests.
func ActingAsSelf(ctx context.Context) bool {
	v, _ := ctx.Value(asSelfKey{}).(bool)
	return v
}

// OutgoingPrincipal is the principal that calls made with ctx assert for
// the component named self: the principal being served, or the component
// itself when there is none or under AsSelf. In-process fakes of peers use
// it to judge calls as the real peer would.
func OutgoingPrincipal(ctx context.Context, self string) Principal {
	if p, ok := FromContext(ctx); ok && !ActingAsSelf(ctx) {
		return p
	}
	return Principal{Kind: KindService, Service: self}
}

// RequireUser returns the calling user's email. API tokens and services
// may not use the user-facing RPCs.
func RequireUser(ctx context.Context) (string, error) {
	p, ok := FromContext(ctx)
	switch {
	case !ok:
		return "", errs.New(errs.ErrUnauthenticated, "UNAUTHENTICATED", "no caller identity")
	case p.Kind == KindUser:
		return p.Email, nil
	case p.Kind == KindToken:
		return "", errs.New(errs.ErrPermissionDenied, "TOKEN_SCOPE", "API tokens can only read their own device's logs and describe themselves")
	default:
		return "", errs.New(errs.ErrPermissionDenied, "USER_REQUIRED", "this method acts for a user; services use the internal methods")
	}
}

// RequireService allows only other Tollgate components (and internal tools
// holding the identity key).
func RequireService(ctx context.Context) error {
	if p, ok := FromContext(ctx); ok && p.Kind == KindService {
		return nil
	}
	return errs.New(errs.ErrPermissionDenied, "INTERNAL_ONLY", "this method is internal to Tollgate")
}
