package export

import (
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/pkg/logs/logline"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

const (
	// maxValueBytes bounds one string value: enough for long URLs and mail
	// subjects, small enough that a record stays a log line.
	maxValueBytes = 4096
	// maxClockSkew is how far in the future a record may claim to be.
	maxClockSkew = 24 * time.Hour
	maxPort      = 65535
)

// earliestRecord is the oldest utc_time accepted: older stamps come from
// devices whose clock was never set.
var earliestRecord = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// recordProblem is why one record is refused.
type recordProblem struct{ field, reason, message string }

// prepareRecords checks a batch and normalizes it in place: utc_time is cut
// to whole seconds (what the Open API line carries) and an empty
// device_time is filled from the device's time zone. The first bad record
// rejects the batch.
func prepareRecords(records []*exportv1.LogRecord, zone *time.Location, now time.Time) error {
	for i, r := range records {
		if p := prepareRecord(r, zone, now); p != nil {
			field := fmt.Sprintf("records[%d].%s", i, p.field)
			return errs.Invalid(field, p.reason, field+": "+p.message).With("record_index", strconv.Itoa(i))
		}
	}
	return nil
}

func prepareRecord(r *exportv1.LogRecord, zone *time.Location, now time.Time) *recordProblem {
	c, ok := category.Of(r)
	if !ok {
		return &recordProblem{"category", "CATEGORY_REQUIRED", "no category is set"}
	}
	if r.GetLogType() != c.LogType {
		return &recordProblem{"log_type", "LOG_TYPE_MISMATCH", fmt.Sprintf("log_type is %d but the category is %s (%d)", r.GetLogType(), c.Name, c.LogType)}
	}
	if p := checkUTCTime(r, now); p != nil {
		return p
	}
	want := r.GetUtcTime().AsTime().In(zone).Format(logline.DeviceTimeLayout)
	switch r.GetDeviceTime() {
	case "":
		r.DeviceTime = want
	case want:
	default:
		return &recordProblem{"device_time", "DEVICE_TIME_MISMATCH", fmt.Sprintf("%q is not utc_time in the device's time zone %s (%q)", r.GetDeviceTime(), zone, want)}
	}
	return checkFields(c, r)
}

func checkUTCTime(r *exportv1.LogRecord, now time.Time) *recordProblem {
	ts := r.GetUtcTime()
	if ts == nil {
		return &recordProblem{"utc_time", "UTC_TIME_REQUIRED", "utc_time is required"}
	}
	if err := ts.CheckValid(); err != nil {
		return &recordProblem{"utc_time", "INVALID_TIMESTAMP", err.Error()}
	}
	t := ts.AsTime()
	if t.Before(earliestRecord) || t.After(now.Add(maxClockSkew)) {
		return &recordProblem{"utc_time", "UTC_TIME_OUT_OF_RANGE", fmt.Sprintf("%s is before 2000 or more than %s ahead of now", t.Format(time.RFC3339), maxClockSkew)}
	}
	if ts.GetNanos() != 0 {
		r.UtcTime = &timestamppb.Timestamp{Seconds: ts.GetSeconds()}
	}
	return nil
}

// checkFields bounds the category's values: string lengths and ports.
func checkFields(c category.Category, r *exportv1.LogRecord) *recordProblem {
	var problem *recordProblem
	r.ProtoReflect().Get(c.Field).Message().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		field := c.Name + "." + string(fd.Name())
		switch fd.Kind() {
		case protoreflect.StringKind:
			if n := len(v.String()); n > maxValueBytes {
				problem = &recordProblem{field, "VALUE_TOO_LONG", fmt.Sprintf("%d bytes; at most %d", n, maxValueBytes)}
			}
		case protoreflect.Uint32Kind: // the only unsigned fields are ports
			if v.Uint() > maxPort {
				problem = &recordProblem{field, "PORT_OUT_OF_RANGE", fmt.Sprintf("%d is not a port", v.Uint())}
			}
		}
		return problem == nil
	})
	return problem
}
