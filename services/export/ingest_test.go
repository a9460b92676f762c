package export

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// event is a system_event record at t whose event type is mark.
func event(t time.Time, mark string) *exportv1.LogRecord {
	return &exportv1.LogRecord{
		LogType:  18,
		UtcTime:  timestamppb.New(t),
		Category: &exportv1.LogRecord_SystemEvent{SystemEvent: &exportv1.SystemEventLog{SystemEventType: mark}},
	}
}

func marksOf(records []*exportv1.LogRecord) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.GetSystemEvent().GetSystemEventType()
	}
	return out
}

func storedRecords(t *testing.T, h *harness, device string) []*exportv1.LogRecord {
	t.Helper()
	var out []*exportv1.LogRecord
	err := h.store.Scan(t.Context(), store.Query{Device: device}, func(e store.Entry) bool {
		out = append(out, e.Record)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIngestAcknowledgedRecordsSurviveRestart(t *testing.T) {
	h := newHarness(t, false)
	gen := simulate.New(1, time.UTC)
	all := slices.Collect(gen.Days(testNow, 2, 300))
	resp, err := h.ingest(asPeer(), deviceFW2, all[:250], all[250:500], all[500:])
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAcceptedRecords() != int64(len(all)) {
		t.Fatalf("accepted %d, want %d", resp.GetAcceptedRecords(), len(all))
	}
	h.restart(t)
	got := storedRecords(t, h, deviceFW2)
	if len(got) != len(all) {
		t.Fatalf("after reopening: %d records, want %d", len(got), len(all))
	}
	for i := range all {
		if !proto.Equal(got[i], all[i]) {
			t.Fatalf("record %d changed:\n got %v\nwant %v", i, got[i], all[i])
		}
	}
}

func TestIngestRejectsABatchAsAWhole(t *testing.T) {
	h := newHarness(t, true)
	good := []*exportv1.LogRecord{event(testNow.Add(-time.Hour), "a"), event(testNow.Add(-time.Hour), "b")}
	bad := []*exportv1.LogRecord{event(testNow.Add(-time.Minute), "c"), event(testNow.Add(-time.Minute), "d"), event(testNow, "e")}
	bad[2].LogType = 3
	_, err := h.ingest(asPeer(), deviceFW2, good, bad, []*exportv1.LogRecord{event(testNow, "never sent")})
	wantStatus(t, err, codes.InvalidArgument, "LOG_TYPE_MISMATCH")
	info := errorInfo(t, err)
	if info["record_index"] != "2" || info["batch_index"] != "1" || info["accepted_records"] != "2" {
		t.Fatalf("metadata %v", info)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "records[2].log_type") {
		t.Fatalf("message %q does not name the record", msg)
	}
	if got := marksOf(storedRecords(t, h, deviceFW2)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("stored %q, want the first batch only", got)
	}
}

func errorInfo(t *testing.T, err error) map[string]string {
	t.Helper()
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(interface{ GetMetadata() map[string]string }); ok {
			return info.GetMetadata()
		}
	}
	t.Fatalf("no ErrorInfo in %v", err)
	return nil
}

func TestIngestChecksEveryRecord(t *testing.T) {
	h := newHarness(t, true)
	at := time.Date(2026, 5, 9, 22, 15, 30, 0, time.UTC) // Berlin: 2026-05-10 00:15:30
	cases := []struct {
		name   string
		edit   func(r *exportv1.LogRecord)
		reason string
	}{
		{"no category", func(r *exportv1.LogRecord) { r.Category = nil }, "CATEGORY_REQUIRED"},
		{"log_type mismatch", func(r *exportv1.LogRecord) { r.LogType = 0 }, "LOG_TYPE_MISMATCH"},
		{"no utc_time", func(r *exportv1.LogRecord) { r.UtcTime = nil }, "UTC_TIME_REQUIRED"},
		{"invalid utc_time", func(r *exportv1.LogRecord) { r.UtcTime = &timestamppb.Timestamp{Nanos: -1} }, "INVALID_TIMESTAMP"},
		{"before 2000", func(r *exportv1.LogRecord) {
			r.UtcTime = timestamppb.New(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC))
		}, "UTC_TIME_OUT_OF_RANGE"},
		{"far future", func(r *exportv1.LogRecord) { r.UtcTime = timestamppb.New(testNow.Add(25 * time.Hour)) }, "UTC_TIME_OUT_OF_RANGE"},
		{"device_time in UTC", func(r *exportv1.LogRecord) { r.DeviceTime = "2026-05-09 22:15:30" }, "DEVICE_TIME_MISMATCH"},
		{"device_time malformed", func(r *exportv1.LogRecord) { r.DeviceTime = "2026-05-10T00:15:30" }, "DEVICE_TIME_MISMATCH"},
		{"value too long", func(r *exportv1.LogRecord) { r.GetSystemEvent().SystemEventType = strings.Repeat("x", 4097) }, "VALUE_TOO_LONG"},
		{"port out of range", func(r *exportv1.LogRecord) {
			r.LogType = 2
			r.Category = &exportv1.LogRecord_Traffic{Traffic: &exportv1.TrafficLog{Srcport: 65536}}
		}, "PORT_OUT_OF_RANGE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := event(at, "x")
			tc.edit(r)
			_, err := h.ingest(asPeer(), deviceFW1, []*exportv1.LogRecord{event(at, "fine"), r})
			wantStatus(t, err, codes.InvalidArgument, tc.reason)
		})
	}
	if n := len(storedRecords(t, h, deviceFW1)); n != 0 {
		t.Fatalf("%d records stored from rejected batches", n)
	}

	filled, given, fraction := event(at, "filled"), event(at, "given"), event(at.Add(999*time.Millisecond), "fraction")
	given.DeviceTime = "2026-05-10 00:15:30"
	h.mustIngest(t, deviceFW1, []*exportv1.LogRecord{filled, given, fraction})
	for _, r := range storedRecords(t, h, deviceFW1) {
		if r.GetDeviceTime() != "2026-05-10 00:15:30" || r.GetUtcTime().GetNanos() != 0 || r.GetUtcTime().GetSeconds() != at.Unix() {
			t.Errorf("%s stored with utc_time %v, device_time %q", r.GetSystemEvent().GetSystemEventType(), r.GetUtcTime().AsTime(), r.GetDeviceTime())
		}
	}
}

func TestIngestUnknownOrChangingDevice(t *testing.T) {
	h := newHarness(t, true)
	batch := []*exportv1.LogRecord{event(testNow, "x")}
	_, err := h.ingest(asPeer(), org+"/devices/nope", batch)
	wantStatus(t, err, codes.NotFound, "UNKNOWN_DEVICE")

	stream, err := h.client.IngestLogs(asPeer())
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&exportv1.IngestLogsRequest{Device: deviceFW1, Records: batch})
	_ = stream.Send(&exportv1.IngestLogsRequest{Device: deviceFW2, Records: batch})
	_, err = stream.CloseAndRecv()
	wantStatus(t, err, codes.InvalidArgument, "DEVICE_CHANGED")

	_, err = h.ingest(asPeer(), deviceFW1, nil)
	wantStatus(t, err, codes.InvalidArgument, errs.ReasonInvalidArgument) // protovalidate: min_items
}

func TestIngestDeletedDeviceMidStream(t *testing.T) {
	h := newHarness(t, true)
	h.tenancy.add(org+"/devices/doomed", "UTC", testNow.Add(time.Hour))
	stream, err := h.client.IngestLogs(asPeer())
	if err != nil {
		t.Fatal(err)
	}
	batch := []*exportv1.LogRecord{event(testNow, "x")}
	if err := stream.Send(&exportv1.IngestLogsRequest{Device: org + "/devices/doomed", Records: batch}); err != nil {
		t.Fatal(err)
	}
	// Wait until the first batch is stored, then delete the device.
	for len(storedRecords(t, h, org+"/devices/doomed")) == 0 {
		time.Sleep(time.Millisecond)
	}
	h.tenancy.remove(org + "/devices/doomed")
	_ = stream.Send(&exportv1.IngestLogsRequest{Device: org + "/devices/doomed", Records: batch})
	_, err = stream.CloseAndRecv()
	wantStatus(t, err, codes.NotFound, "UNKNOWN_DEVICE")
	if info := errorInfo(t, err); info["accepted_records"] != "1" {
		t.Fatalf("metadata %v", info)
	}
}
