package export

import (
	"context"

	"github.com/tollgate/tollgate/pkg/auth"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// PurgeDeviceLogs deletes every record of a device; tenancy calls it after
// deleting the device. The logs are unreachable from the moment the device
// is gone (every read resolves the device first); this frees the space.
func (s *Service) PurgeDeviceLogs(ctx context.Context, req *exportv1.PurgeDeviceLogsRequest) (*exportv1.PurgeDeviceLogsResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	n, err := s.store.PurgeDevice(ctx, req.GetDevice())
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "purged a deleted device's logs", "device", req.GetDevice(), "records", n)
	return &exportv1.PurgeDeviceLogsResponse{DeletedRecords: n}, nil
}
