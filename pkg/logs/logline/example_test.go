package logline_test

import (
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/logline"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

func ExampleEncode() {
	line, err := logline.Encode(&exportv1.LogRecord{
		LogType:    2,
		UtcTime:    &timestamppb.Timestamp{Seconds: 1778371200},
		DeviceTime: "2026-05-10 02:00:00",
		Category: &exportv1.LogRecord_Traffic{Traffic: &exportv1.TrafficLog{
			TrafficDuration: 12, TrafficAppName: "HTTPS", Rx: 52000, Tx: 4100, TrafficProtocol: "TCP",
			Srcip: "192.168.1.20", Srcport: 51514, Dstip: "142.250.74.27", Dstport: 443,
		}},
	})
	fmt.Println(line, err)

	r, err := logline.Decode([]byte(`log_type="18" utc_time="1778371200" system_event_type="say %22hi%22, 100%25"`))
	fmt.Println(r.GetSystemEvent().GetSystemEventType(), err)
	// Output:
	// log_type="2" utc_time="1778371200" device_time="2026-05-10 02:00:00" traffic_duration="12" traffic_app_name="HTTPS" rx="52000" tx="4100" traffic_protocol="TCP" srcip="192.168.1.20" srcport="51514" dstip="142.250.74.27" dstport="443" <nil>
	// say "hi", 100% <nil>
}
