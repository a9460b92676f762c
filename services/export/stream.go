package export

import (
	"github.com/tollgate/tollgate/pkg/errs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// streamBatch is how many records one StreamLogs message carries: enough to
// spread the per-message cost, small enough (≈ 250 KiB) to keep memory flat.
const streamBatch = 500

// StreamLogs sends every selected record in time order, in batches. The
// store reads in short chunks and each batch is sent before more is read,
// so memory stays flat however long the range; flow control makes a slow
// client slow the scan down, and a client that goes away cancels it.
func (s *Service) StreamLogs(req *exportv1.StreamLogsRequest, stream exportv1.ExportService_StreamLogsServer) error {
	ctx := stream.Context()
	if _, err := s.deviceForRead(ctx, "parent", req.GetParent()); err != nil {
		return err
	}
	sel, err := parseSelection(req.GetParent(), req.GetCategories(), req.GetStartTime(), req.GetEndTime())
	if err != nil {
		return err
	}
	if req.GetFormat() == "csv" && len(sel.logTypes) != 1 {
		return errs.Invalid("categories", "CSV_NEEDS_ONE_CATEGORY", "format csv needs exactly one category: each category has its own columns")
	}
	batch := &exportv1.StreamLogsResponse{}
	var sendErr error
	err = s.store.Scan(ctx, sel.query(), func(e store.Entry) bool {
		batch.Logs = append(batch.Logs, e.Record)
		if len(batch.Logs) == streamBatch {
			sendErr = stream.Send(batch)
			batch = &exportv1.StreamLogsResponse{}
		}
		return sendErr == nil
	})
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return err
	}
	if len(batch.Logs) > 0 {
		return stream.Send(batch)
	}
	return nil
}
