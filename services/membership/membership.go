package membership

import (
	"context"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/membership/store/boltstore"
)

// DefaultGRPCAddr is where membershipd listens unless told otherwise.
const DefaultGRPCAddr = "127.0.0.1:9102"

// Component is the membership service as the launcher and membershipd run
// it.
var Component = component.Service{
	Name:   component.Membership,
	Schema: boltstore.Schema,
	Peers:  []string{component.Tenancy},
	Setup:  setup,
}

func setup(_ context.Context, env *component.Env, db *boltdb.DB, srv *server.Server) (func(), error) {
	conns, err := env.DialPeers(component.Tenancy)
	if err != nil {
		return nil, err
	}
	svc := NewService(
		boltstore.New(db),
		tenancyTargets{client: tenancyv1.NewTenancyServiceClient(conns[component.Tenancy])},
		pagetoken.New(env.Secret, component.Membership),
	)
	srv.Register(&membershipv1.MembershipService_ServiceDesc, svc)
	return conns.Close, nil
}
