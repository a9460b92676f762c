package token

import (
	"context"
	"errors"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store/boltstore"
)

// DefaultGRPCAddr is where tokend listens unless told otherwise.
const DefaultGRPCAddr = "127.0.0.1:9103"

// Component is the token service as the launcher and tokend run it.
var Component = component.Service{
	Name:        component.Token,
	Schema:      boltstore.Schema,
	Peers:       []string{component.Tenancy, component.Membership},
	NewSettings: func() component.Settings { return NewSettings() },
	Setup:       setup,
}

func setup(ctx context.Context, env *component.Env, db *boltdb.DB, srv *server.Server) (func(), error) {
	settings, ok := env.Settings.(*Settings)
	if !ok || settings == nil {
		return nil, errors.New("token settings missing")
	}
	if settings.HashKeyFile == "" {
		return nil, errors.New("no token hash key: set --token-hash-key")
	}
	keys, err := settings.keyring()
	if err != nil {
		return nil, err
	}
	conns, err := env.DialPeers(component.Tenancy, component.Membership)
	if err != nil {
		return nil, err
	}
	svc := NewService(Config{
		Store:                boltstore.New(db),
		Tenancy:              tenancyv1.NewTenancyServiceClient(conns[component.Tenancy]),
		Access:               membershipv1.NewMembershipServiceClient(conns[component.Membership]),
		Keys:                 keys,
		Pages:                pagetoken.New(env.Secret, component.Token),
		Logger:               env.Logger,
		MaxTokensPerDevice:   settings.MaxTokensPerDevice,
		MaxLifetime:          settings.MaxLifetime,
		LastUseFlushInterval: settings.LastUseFlushInterval,
	})
	srv.Register(&tokenv1.TokenService_ServiceDesc, svc)
	stop := svc.Start(ctx)
	return func() {
		stop()
		conns.Close()
	}, nil
}
