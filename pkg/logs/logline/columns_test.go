package logline

import (
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

func TestAppendColumnsMatchesKeys(t *testing.T) {
	r := &exportv1.LogRecord{
		LogType: 2, UtcTime: &timestamppb.Timestamp{Seconds: 1_700_000_000}, DeviceTime: "2023-11-14 23:13:20",
		Category: &exportv1.LogRecord_Traffic{Traffic: &exportv1.TrafficLog{TrafficAppName: `say "hi", ok`, Rx: 42, Srcport: 443}},
	}
	c, _ := category.ByName("traffic")
	keys := Keys(c)
	row, err := AppendColumns(nil, r)
	if err != nil || len(row) != len(keys) {
		t.Fatalf("row %v (%d columns, want %d): %v", row, len(row), len(keys), err)
	}
	got := map[string]string{}
	for i, k := range keys {
		got[k] = row[i]
	}
	want := map[string]string{"log_type": "2", "utc_time": "1700000000", "device_time": "2023-11-14 23:13:20",
		"traffic_app_name": `say "hi", ok`, "rx": "42", "srcport": "443", "tx": "0", "snat_ip": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := AppendColumns(nil, &exportv1.LogRecord{}); err == nil {
		t.Fatal("a record without a category has no row")
	}
}
