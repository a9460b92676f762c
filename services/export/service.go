// Package export is the export service: it stores each device's security
// logs and serves them page by page, as a stream and as the Open API's
// daily archives. Every RPC authorizes its caller: users through their
// privilege on the device (decided by the membership service), API tokens
// only for their own device, other services through their internal
// identity.
package export

import (
	"log/slog"
	"os"
	"time"

	"github.com/tollgate/tollgate/pkg/pagetoken"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// Config is what the service is built from.
type Config struct {
	Store      store.Store
	Tenancy    TenancyClient
	Membership MembershipClient
	Pages      *pagetoken.Codec
	// SpoolDir holds archives while they are built; "" means os.TempDir().
	SpoolDir string
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service implements exportv1.ExportServiceServer.
type Service struct {
	exportv1.UnimplementedExportServiceServer
	store      store.Store
	tenancy    TenancyClient
	membership MembershipClient
	pages      *pagetoken.Codec
	spoolDir   string
	logger     *slog.Logger
	now        func() time.Time
	zones      zoneCache
}

// NewService returns the service described by cfg.
func NewService(cfg Config) *Service {
	s := &Service{
		store:      cfg.Store,
		tenancy:    cfg.Tenancy,
		membership: cfg.Membership,
		pages:      cfg.Pages,
		spoolDir:   cfg.SpoolDir,
		logger:     cfg.Logger,
		now:        cfg.Now,
	}
	if s.spoolDir == "" {
		s.spoolDir = os.TempDir()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}
