// Package component runs one Tollgate backend service: it opens the
// service's bbolt file, builds the shared gRPC server, lets the service
// register itself, serves until the context ends, and shuts down in order
// (health NOT_SERVING, drain, stop, then close the database last).
//
// Every service binary and the all-in-one launcher go through Run, so no
// service repeats this scaffolding.
package component

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/server"
	adminv1 "github.com/tollgate/tollgate/proto/tollgate/admin/v1"
)

// Component names, also used as peer names and in internal identities.
const (
	Tenancy    = "tenancy"
	Membership = "membership"
	Token      = "token"
	Export     = "export"
	Gateway    = "gateway"
)

// Env is what a service gets from whoever runs it.
type Env struct {
	DataDir         string
	Logger          *slog.Logger
	Registerer      prometheus.Registerer
	Signer          *auth.Signer   // this component's identity on outgoing calls
	Verifier        *auth.Verifier // checks the identity on incoming calls
	Peers           map[string]string
	ShutdownTimeout time.Duration
	ServerOptions   []grpc.ServerOption
	ClientTLS       credentials.TransportCredentials
	// Secret is the deployment secret that per-purpose keys (such as page
	// token keys) are derived from.
	Secret []byte
	// Settings holds the service's own settings (from Service.NewSettings),
	// already parsed and checked.
	Settings Settings
}

// Settings are a service's own flags (beyond the common ones), so the
// service binary and the all-in-one launcher offer the same options.
type Settings interface {
	// Register defines the flags on fs, with their defaults.
	Register(fs *flag.FlagSet)
	// Check reports invalid values.
	Check(p *config.Problems)
}

// Dial connects to a peer component by name.
func (e *Env) Dial(peer string) (*grpc.ClientConn, error) {
	addr := e.Peers[peer]
	if addr == "" {
		return nil, fmt.Errorf("no address configured for %s", peer)
	}
	return client.Dial(addr, client.Options{Signer: e.Signer, TLS: e.ClientTLS})
}

// Conns are client connections to peers by component name.
type Conns map[string]*grpc.ClientConn

// Close closes every connection.
func (c Conns) Close() {
	for _, conn := range c {
		_ = conn.Close()
	}
}

// DialPeers connects to several peers; on error none stays open.
func (e *Env) DialPeers(names ...string) (Conns, error) {
	conns := Conns{}
	for _, name := range names {
		conn, err := e.Dial(name)
		if err != nil {
			conns.Close()
			return nil, err
		}
		conns[name] = conn
	}
	return conns, nil
}

// Service describes a backend service.
type Service struct {
	Name   string
	Schema boltdb.Schema
	Peers  []string // the components it calls
	// NewSettings returns the service's settings with defaults; nil if it
	// has none.
	NewSettings func() Settings
	// Setup registers the service on srv. The returned cleanup runs after the
	// server has stopped and before the database closes.
	Setup func(ctx context.Context, env *Env, db *boltdb.DB, srv *server.Server) (cleanup func(), err error)
}

// DatabasePath is where a service keeps its bbolt file.
func DatabasePath(dataDir, service string) string {
	return filepath.Join(dataDir, service+".db")
}

// Run serves svc on lis until ctx ends, together with the AdminService
// (backups) that every service offers.
func Run(ctx context.Context, svc Service, env Env, lis net.Listener) (err error) {
	if env.Logger == nil || env.Registerer == nil || env.Signer == nil || env.Verifier == nil {
		return errors.New("component: logger, registerer, signer and verifier are required")
	}
	logger := env.Logger
	db, err := boltdb.Open(DatabasePath(env.DataDir, svc.Name), svc.Schema, boltdb.Options{})
	if err != nil {
		return fmt.Errorf("%s: open database: %w", svc.Name, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: close database: %w", svc.Name, cerr)
		}
		logger.Info("database closed")
	}()
	srv, err := server.New(server.Config{
		Component:       svc.Name,
		Logger:          logger,
		Registerer:      env.Registerer,
		Identity:        env.Verifier,
		ShutdownTimeout: env.ShutdownTimeout,
		Options:         env.ServerOptions,
	})
	if err != nil {
		return err
	}
	srv.Register(&adminv1.AdminService_ServiceDesc, &adminServer{service: svc.Name, db: db})
	cleanup, err := svc.Setup(ctx, &env, db, srv)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", svc.Name, err)
	}
	if cleanup != nil {
		defer cleanup()
	}
	return srv.Serve(ctx, lis)
}
