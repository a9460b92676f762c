package tenancy

import (
	"context"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/tenancy/store/boltstore"
)

// DefaultGRPCAddr is where tenancyd listens unless told otherwise.
const DefaultGRPCAddr = "127.0.0.1:9101"

// Component is the tenancy service as the launcher and tenancyd run it.
var Component = component.Service{
	Name:   component.Tenancy,
	Schema: boltstore.Schema,
	Peers:  []string{component.Membership, component.Token, component.Export},
	Setup:  setup,
}

func setup(_ context.Context, env *component.Env, db *boltdb.DB, srv *server.Server) (func(), error) {
	conns, err := env.DialPeers(component.Membership, component.Token, component.Export)
	if err != nil {
		return nil, err
	}
	membership := membershipv1.NewMembershipServiceClient(conns[component.Membership])
	svc := NewService(
		boltstore.New(db),
		membershipGrants{client: membership},
		peerCleaner{
			tokens:     tokenv1.NewTokenServiceClient(conns[component.Token]),
			export:     exportv1.NewExportServiceClient(conns[component.Export]),
			membership: membership,
		},
		pagetoken.New(env.Secret, component.Tenancy),
		env.Logger,
	)
	srv.Register(&tenancyv1.TenancyService_ServiceDesc, svc)
	return conns.Close, nil
}
