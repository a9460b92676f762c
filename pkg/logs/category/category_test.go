package category

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// openAPIOrder is the log_type table of the Open API reference.
var openAPIOrder = []string{
	"common", "application_patrol", "traffic", "anti_malware", "threat_protection",
	"mail_protection", "web_protection", "ap_managed", "dhcp_event", "system_service",
	"vpn_connection", "interface_statistic", "user_event", "application_traffic",
	"anti_botnet", "sandbox", "sandbox_statistics", "device_event", "system_event",
	"reputation", "application_usage", "dns_filter", "dns_content_filter", "dut_scan_statistics",
}

func TestTableMatchesOpenAPI(t *testing.T) {
	if len(All()) != len(openAPIOrder) {
		t.Fatalf("got %d categories, want %d", len(All()), len(openAPIOrder))
	}
	for i, name := range openAPIOrder {
		c, ok := ByLogType(int32(i))
		if !ok || c.Name != name || c.LogType != int32(i) {
			t.Errorf("log_type %d: got %+v, want %s", i, c, name)
		}
		if byName, ok := ByName(name); !ok || byName.LogType != int32(i) {
			t.Errorf("ByName(%s) = %+v, %v", name, byName, ok)
		}
	}
	if _, ok := ByLogType(24); ok {
		t.Error("ByLogType(24) should not exist")
	}
	if _, ok := ByName("nope"); ok {
		t.Error(`ByName("nope") should not exist`)
	}
}

func TestOfAndFields(t *testing.T) {
	r := &exportv1.LogRecord{}
	if _, ok := Of(r); ok {
		t.Fatal("a record without category reported one")
	}
	traffic, _ := ByName("traffic")
	traffic.Fields(r).Set(traffic.Field.Message().Fields().ByName("rx"), protoreflect.ValueOfInt64(5))
	c, ok := Of(r)
	if !ok || c.Name != "traffic" || r.GetTraffic().GetRx() != 5 {
		t.Fatalf("Of = %+v %v, record %v", c, ok, r)
	}
}
