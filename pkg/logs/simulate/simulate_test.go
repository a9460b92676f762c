package simulate

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/pkg/logs/logline"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDayIsRealisticAndComplete(t *testing.T) {
	loc := mustZone(t, "Europe/Berlin")
	day := time.Date(2026, 3, 29, 12, 0, 0, 0, loc) // 23 hours: DST starts
	start, end := time.Date(2026, 3, 29, 0, 0, 0, 0, loc), time.Date(2026, 3, 30, 0, 0, 0, 0, loc)
	records := slices.Collect(New(7, loc).Day(day, 500))
	if len(records) != 500 {
		t.Fatalf("%d records, want 500", len(records))
	}
	seen := map[int32]bool{}
	var prev time.Time
	for i, r := range records {
		at := r.GetUtcTime().AsTime()
		if at.Before(start) || !at.Before(end) || at.Before(prev) {
			t.Fatalf("record %d at %s: outside the day or out of order", i, at)
		}
		prev = at
		if r.GetDeviceTime() != at.In(loc).Format(logline.DeviceTimeLayout) {
			t.Fatalf("record %d: device_time %q for %s", i, r.GetDeviceTime(), at)
		}
		c, ok := category.Of(r)
		if !ok || c.LogType != r.GetLogType() {
			t.Fatalf("record %d: log_type %d, category %v", i, r.GetLogType(), c.Name)
		}
		seen[c.LogType] = true
		checkValues(t, r)
	}
	if len(seen) != category.Count {
		t.Fatalf("only %d categories appear", len(seen))
	}
}

// checkValues checks that a record encodes without a quote in any value
// and that addresses, MACs and ports are well formed.
func checkValues(t *testing.T, r *exportv1.LogRecord) {
	t.Helper()
	line, err := logline.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line, "%22") {
		t.Fatalf("a value holds a double quote: %s", line)
	}
	c, _ := category.Of(r)
	m := r.ProtoReflect().Get(c.Field).Message()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case ipFields[name]:
			if _, err := netip.ParseAddr(v.String()); err != nil {
				t.Errorf("%s = %q is not an address (%s)", name, v.String(), line)
			}
		case strings.HasSuffix(name, "_mac"):
			if _, err := net.ParseMAC(v.String()); err != nil {
				t.Errorf("%s = %q is not a MAC", name, v.String())
			}
		case strings.HasSuffix(name, "port"):
			if v.Uint() > 65535 {
				t.Errorf("%s = %d", name, v.Uint())
			}
		}
		return true
	})
}

var ipFields = map[string]bool{
	"srcip": true, "dstip": true, "snat_ip": true, "dnat_ip": true, "station_ip": true,
	"ip": true, "assigned_ip": true, "risk_ip": true,
}

func TestDeterministic(t *testing.T) {
	loc := mustZone(t, "Pacific/Kiritimati")
	day1 := time.Date(2026, 5, 1, 0, 0, 0, 0, loc)
	day2 := day1.AddDate(0, 0, 1)
	a := New(42, loc)
	first := slices.Collect(a.Day(day2, 60))
	for range a.Day(day1, 60) { // another day in between must not change day2
	}
	again := slices.Collect(New(42, loc).Day(day2, 60))
	if len(first) != len(again) {
		t.Fatal("lengths differ")
	}
	for i := range first {
		if !proto.Equal(first[i], again[i]) {
			t.Fatalf("record %d differs between runs with the same seed", i)
		}
	}
	other := slices.Collect(New(43, loc).Day(day2, 60))
	if proto.Equal(first[30], other[30]) {
		t.Fatal("different seeds gave the same record")
	}
}

func TestDaysEndBeforeToday(t *testing.T) {
	loc := mustZone(t, "Pacific/Pago_Pago")
	now := time.Date(2026, 5, 10, 8, 0, 0, 0, loc)
	records := slices.Collect(New(1, loc).Days(now, 3, 30))
	if len(records) != 90 {
		t.Fatalf("%d records, want 90", len(records))
	}
	first, last := records[0].GetUtcTime().AsTime(), records[89].GetUtcTime().AsTime()
	if first.Before(time.Date(2026, 5, 7, 0, 0, 0, 0, loc)) || !last.Before(time.Date(2026, 5, 10, 0, 0, 0, 0, loc)) {
		t.Fatalf("records span %s to %s", first.In(loc), last.In(loc))
	}
	for i := 1; i < len(records); i++ {
		if records[i].GetUtcTime().AsTime().Before(records[i-1].GetUtcTime().AsTime()) {
			t.Fatalf("record %d out of order", i)
		}
	}
}

func TestEscapingSample(t *testing.T) {
	loc := mustZone(t, "UTC")
	r := EscapingSample(time.Date(2026, 5, 1, 1, 2, 3, 500, time.UTC), loc)
	line, err := logline.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, `mail_from="%22Billing Dept%22 <billing@supplier-example.com>"`) || !strings.Contains(line, "100%25 overdue%09pay now%0Asecond line") {
		t.Fatalf("sample not escaped as expected: %s", line)
	}
	back, err := logline.Decode([]byte(line))
	if err != nil || !proto.Equal(back, r) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
}
