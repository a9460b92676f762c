package export

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// IngestLogs stores a collector's stream of batches for one device.
//
// Each message is a batch, accepted or rejected as a whole. A batch is
// acknowledged only once it is durable, and batches are stored in order,
// so when the stream ends with an error every earlier batch is durable
// and nothing of the failing one is: the error says which batch and
// record failed and how many records were stored before it
// (accepted_records), and the collector resends from there. On success the
// response counts every stored record.
func (s *Service) IngestLogs(stream exportv1.ExportService_IngestLogsServer) error {
	ctx := stream.Context()
	if err := auth.RequireService(ctx); err != nil {
		return err
	}
	var (
		deviceName string
		accepted   int64
	)
	for batch := 0; ; batch++ {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&exportv1.IngestLogsResponse{AcceptedRecords: accepted})
		}
		if err != nil {
			return err
		}
		if deviceName == "" {
			deviceName = req.GetDevice()
		} else if req.GetDevice() != deviceName {
			return rejected(batch, accepted, errs.Invalid("device", "DEVICE_CHANGED",
				fmt.Sprintf("device: a stream carries one device's logs; it began with %s", deviceName)))
		}
		// Resolved for every batch: a device deleted mid-stream takes no
		// more records.
		d, found, err := s.resolveDevice(ctx, deviceName)
		if err != nil {
			return err
		}
		if !found {
			return rejected(batch, accepted, errs.New(errs.ErrNotFound, "UNKNOWN_DEVICE", fmt.Sprintf("device %q does not exist", deviceName)))
		}
		records := req.GetRecords()
		if err := prepareRecords(records, d.zone, s.now()); err != nil {
			return rejected(batch, accepted, err)
		}
		if err := s.store.Append(ctx, deviceName, records); err != nil {
			return err
		}
		accepted += int64(len(records))
	}
}

// rejected tells the collector which batch failed and how much of the
// stream is durable.
func rejected(batch int, accepted int64, err error) error {
	var r *errs.Reasoned
	if !errors.As(err, &r) {
		return err
	}
	out := r.With("batch_index", strconv.Itoa(batch)).With("accepted_records", strconv.FormatInt(accepted, 10))
	out.Message = fmt.Sprintf("batch %d rejected, none of it stored (%d records of earlier batches are durable): %s", batch, accepted, r.Message)
	return out
}
