package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"github.com/tollgate/tollgate/pkg/server"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	"github.com/tollgate/tollgate/services/export/store/boltstore"
)

// DefaultGRPCAddr is where exportd listens unless told otherwise.
const DefaultGRPCAddr = "127.0.0.1:9104"

// Component is the export service as the launcher and exportd run it.
var Component = component.Service{
	Name:        component.Export,
	Schema:      boltstore.Schema,
	Peers:       []string{component.Tenancy, component.Membership},
	NewSettings: NewSettings,
	Setup:       setup,
}

func setup(_ context.Context, env *component.Env, db *boltdb.DB, srv *server.Server) (func(), error) {
	settings, ok := env.Settings.(*Settings)
	if !ok {
		settings = NewSettings().(*Settings)
	}
	spoolDir, err := prepareSpoolDir(env.DataDir)
	if err != nil {
		return nil, err
	}
	conns, err := env.DialPeers(component.Tenancy, component.Membership)
	if err != nil {
		return nil, err
	}
	st := boltstore.New(db)
	svc := NewService(Config{
		Store:      st,
		Tenancy:    tenancyv1.NewTenancyServiceClient(conns[component.Tenancy]),
		Membership: membershipv1.NewMembershipServiceClient(conns[component.Membership]),
		Pages:      pagetoken.New(env.Secret, component.Export),
		SpoolDir:   spoolDir,
		Logger:     env.Logger,
	})
	srv.Register(&exportv1.ExportService_ServiceDesc, svc)
	stopRetention := startRetention(st, settings.Retention, retentionInterval, time.Now, env.Logger)
	return func() {
		stopRetention()
		_ = st.Close()
		conns.Close()
	}, nil
}

// prepareSpoolDir makes an empty directory for archives being built, next
// to the database (a container's root file system may be read-only);
// leftovers of a crash are removed.
func prepareSpoolDir(dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "export-spool")
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("archive spool %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("archive spool %s: %w", dir, err)
	}
	return dir, nil
}
