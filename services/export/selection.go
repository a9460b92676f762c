package export

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/services/export/store"
)

// selection is the records a ListLogs or StreamLogs request asks for.
type selection struct {
	device     string
	logTypes   []int32 // sorted; empty means all categories
	start, end time.Time
}

func parseSelection(device string, categories []string, start, end *timestamppb.Timestamp) (selection, error) {
	sel := selection{device: device}
	for _, name := range categories {
		c, ok := category.ByName(name)
		if !ok {
			return sel, errs.Invalid("categories", "UNKNOWN_CATEGORY", fmt.Sprintf("categories: %q is not a log category", name))
		}
		sel.logTypes = append(sel.logTypes, c.LogType)
	}
	slices.Sort(sel.logTypes)
	sel.logTypes = slices.Compact(sel.logTypes)
	var err error
	if sel.start, err = optionalTime("start_time", start); err != nil {
		return sel, err
	}
	if sel.end, err = optionalTime("end_time", end); err != nil {
		return sel, err
	}
	if start != nil && end != nil && sel.end.Before(sel.start) {
		return sel, errs.Invalid("end_time", "INVALID_TIME_RANGE", "end_time is before start_time")
	}
	return sel, nil
}

func optionalTime(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, errs.Invalid(field, "INVALID_TIMESTAMP", fmt.Sprintf("%s: %v", field, err))
	}
	return ts.AsTime(), nil
}

func (s selection) query() store.Query {
	return store.Query{Device: s.device, LogTypes: s.logTypes, Start: s.start, End: s.end}
}

// key renders the selection canonically; page tokens are bound to it, so a
// token only continues the query that issued it.
func (s selection) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "logs\x00%s\x00", s.device)
	for _, t := range s.logTypes {
		fmt.Fprintf(&b, "%d,", t)
	}
	for _, t := range []time.Time{s.start, s.end} {
		if t.IsZero() {
			b.WriteString("\x00-")
		} else {
			fmt.Fprintf(&b, "\x00%d.%09d", t.Unix(), t.Nanosecond())
		}
	}
	return b.String()
}
