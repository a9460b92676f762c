package tenancy

import (
	"context"
	"errors"

	"github.com/tollgate/tollgate/pkg/access"
	"github.com/tollgate/tollgate/pkg/auth"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// membershipGrants reads grants from the membership service on every call:
// no cache, so a removed member or a lowered privilege takes effect on the
// next request.
type membershipGrants struct {
	client membershipv1.MembershipServiceClient
}

func (m membershipGrants) ListGrants(ctx context.Context, user string) (map[string]access.Grant, error) {
	resp, err := m.client.ListGrants(auth.AsSelf(ctx), &membershipv1.ListGrantsRequest{User: user})
	if err != nil {
		return nil, err
	}
	out := make(map[string]access.Grant, len(resp.GetGrants()))
	for _, g := range resp.GetGrants() {
		out[g.GetOwner()] = access.GrantFromProto(g.GetAccessPrivilege(), g.GetExceptionalCases())
	}
	return out, nil
}

// peerCleaner tells the token, export and membership services about
// deletions.
type peerCleaner struct {
	tokens     tokenv1.TokenServiceClient
	export     exportv1.ExportServiceClient
	membership membershipv1.MembershipServiceClient
}

func (p peerCleaner) DeviceDeleted(ctx context.Context, device string) error {
	_, tokErr := p.tokens.DeleteDeviceTokens(auth.AsSelf(ctx), &tokenv1.DeleteDeviceTokensRequest{Device: device})
	_, logErr := p.export.PurgeDeviceLogs(auth.AsSelf(ctx), &exportv1.PurgeDeviceLogsRequest{Device: device})
	_, caseErr := p.membership.ForgetTarget(auth.AsSelf(ctx), &membershipv1.ForgetTargetRequest{Target: device})
	return errors.Join(tokErr, logErr, caseErr)
}

func (p peerCleaner) OrganizationDeleted(ctx context.Context, org string) error {
	_, err := p.membership.ForgetTarget(auth.AsSelf(ctx), &membershipv1.ForgetTargetRequest{Target: org})
	return err
}
