package logline

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// vendorPair is the regular expression the vendor's own client parses
// lines with.
var vendorPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

func TestEveryCategoryRoundTrips(t *testing.T) {
	for _, c := range category.All() {
		t.Run(c.Name, func(t *testing.T) {
			in := populated(c)
			line, err := Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			checkVendorParses(t, line, Keys(c))
			out, err := Decode([]byte(line))
			if err != nil {
				t.Fatalf("decode %q: %v", line, err)
			}
			if !proto.Equal(in, out) {
				t.Fatalf("round trip changed the record\n in: %v\nout: %v", in, out)
			}
		})
	}
}

// checkVendorParses asserts that the vendor regex finds exactly the pairs of
// the line, with the keys in the documented order.
func checkVendorParses(t *testing.T, line string, keys []string) {
	t.Helper()
	matches := vendorPair.FindAllStringSubmatch(line, -1)
	var rebuilt []string
	for i, m := range matches {
		if i >= len(keys) || m[1] != keys[i] {
			t.Fatalf("pair %d is %q; want key %q (keys %v)", i, m[1], keys[min(i, len(keys)-1)], keys)
		}
		rebuilt = append(rebuilt, m[0])
	}
	if len(matches) != len(keys) {
		t.Fatalf("vendor regex found %d pairs, want %d in %q", len(matches), len(keys), line)
	}
	if strings.Join(rebuilt, " ") != line {
		t.Fatalf("the vendor's pairs do not cover the whole line %q", line)
	}
}

func TestZeroFieldsAreOmitted(t *testing.T) {
	r := &exportv1.LogRecord{
		LogType:  17,
		UtcTime:  &timestamppb.Timestamp{Seconds: 0},
		Category: &exportv1.LogRecord_DeviceEvent{DeviceEvent: &exportv1.DeviceEventLog{}},
	}
	line, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `log_type="17" utc_time="0"`; line != want {
		t.Fatalf("got %q, want %q", line, want)
	}
	back, err := Decode([]byte(line))
	if err != nil || !proto.Equal(r, back) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
}

func TestEscaping(t *testing.T) {
	cases := []struct{ value, encoded string }{
		{`plain text, spaces ok`, `plain text, spaces ok`},
		{`say "hi"`, `say %22hi%22`},
		{`100%`, `100%25`},
		{`%22 literal`, `%2522 literal`},
		{"line1\nline2\r\n", `line1%0Aline2%0D%0A`},
		{"tab\tnul\x00del\x7f", `tab%09nul%00del%7F`},
		{`back\slash = 'single'`, `back\slash = 'single'`},
		{"ünïcödé 😀 €", "ünïcödé 😀 €"},
		{`x" injected="1`, `x%22 injected=%221`},
	}
	for _, tc := range cases {
		r := &exportv1.LogRecord{
			LogType:  18,
			UtcTime:  &timestamppb.Timestamp{Seconds: 1},
			Category: &exportv1.LogRecord_SystemEvent{SystemEvent: &exportv1.SystemEventLog{SystemEventType: tc.value}},
		}
		line, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := `log_type="18" utc_time="1" system_event_type="` + tc.encoded + `"`; line != want {
			t.Errorf("%q encoded as %q, want %q", tc.value, line, want)
		}
		if got := vendorPair.FindAllStringSubmatch(line, -1); len(got) != 3 || got[2][2] != tc.encoded {
			t.Errorf("vendor regex on %q found %q", line, got)
		}
		back, err := Decode([]byte(line))
		if err != nil || back.GetSystemEvent().GetSystemEventType() != tc.value {
			t.Errorf("%q decoded as %q, %v", line, back.GetSystemEvent().GetSystemEventType(), err)
		}
	}
}

func TestDecodeAcceptsAnyOrderAndLowerHex(t *testing.T) {
	r, err := Decode([]byte(`fqdn="a%2fb.example" utc_time="5" log_type="21" dstport="53" device_time="2024-01-01 00:00:05"`))
	if err != nil {
		t.Fatal(err)
	}
	f := r.GetDnsFilter()
	if r.GetLogType() != 21 || r.GetUtcTime().GetSeconds() != 5 || f.GetFqdn() != "a/b.example" || f.GetDstport() != 53 || r.GetDeviceTime() != "2024-01-01 00:00:05" {
		t.Fatalf("decoded %v", r)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, line := range []string{
		``,
		` log_type="0" utc_time="1"`,
		`log_type="0" utc_time="1" `,
		`log_type="0"  utc_time="1"`,
		`log_type="0"`,
		`utc_time="1"`,
		`log_type="24" utc_time="1"`,
		`log_type="-1" utc_time="1"`,
		`log_type="x" utc_time="1"`,
		`log_type="0" utc_time="1" utc_time="2"`,
		`log_type="0" log_type="0" utc_time="1"`,
		`log_type="0" utc_time="1" no_such_key="1"`,
		`log_type="0" utc_time="1" fqdn="not in common"`,
		`log_type="0" utc_time="1.5"`,
		`log_type="0" utc_time=""`,
		`log_type="0" utc_time="+1"`,
		`log_type="0" utc_time="9223372036854775808"`,
		`log_type="0" utc_time="1" cpu_usage="2147483648"`,
		`log_type="2" utc_time="1" srcport="4294967296"`,
		`log_type="2" utc_time="1" srcport="-1"`,
		`log_type="9" utc_time="1" is_sync_timezone="true"`,
		`log_type="0" utc_time="1" fw_ver="bad%2"`,
		`log_type="0" utc_time="1" fw_ver="bad%zz"`,
		`log_type="0" utc_time="1" fw_ver="raw` + "\t" + `tab"`,
		`log_type="0" utc_time="1" fw_ver="%FF"`,
		"log_type=\"0\" utc_time=\"1\" fw_ver=\"\xff\"",
		`log_type="0" utc_time="1" fw_ver="unterminated`,
		`log_type="0" utc_time="1" fw_ver=unquoted`,
		`log_type="0" utc_time="1"fw_ver="x"`,
		`log-type="0" utc_time="1"`,
	} {
		if r, err := Decode([]byte(line)); err == nil || !errors.Is(err, ErrSyntax) {
			t.Errorf("Decode(%q) = %v, %v; want an ErrSyntax", line, r, err)
		}
	}
}

func TestNumberLimits(t *testing.T) {
	line := `log_type="2" utc_time="-9223372036854775808" rx="9223372036854775807" tx="-9223372036854775808" snat_port="4294967295"`
	r, err := Decode([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.GetTraffic()
	if r.GetUtcTime().GetSeconds() != math.MinInt64 || tr.GetRx() != math.MaxInt64 || tr.GetTx() != math.MinInt64 || tr.GetSnatPort() != math.MaxUint32 {
		t.Fatalf("decoded %v", r)
	}
	again, err := Encode(r)
	if err != nil || again != line {
		t.Fatalf("re-encoded %q, %v", again, err)
	}
	r, err = Decode([]byte(`log_type="0" utc_time="1" cpu_usage="-2147483648" max_session="2147483647"`))
	if err != nil || r.GetCommon().GetCpuUsage() != math.MinInt32 || r.GetCommon().GetMaxSession() != math.MaxInt32 {
		t.Fatalf("int32 limits: %v, %v", r, err)
	}
}

func TestEncodeRejects(t *testing.T) {
	ts := &timestamppb.Timestamp{Seconds: 1}
	common := &exportv1.LogRecord_Common{Common: &exportv1.CommonLog{}}
	for name, r := range map[string]*exportv1.LogRecord{
		"no category":   {UtcTime: ts},
		"wrong type":    {LogType: 3, UtcTime: ts, Category: common},
		"no utc_time":   {Category: common},
		"sub-second ts": {UtcTime: &timestamppb.Timestamp{Seconds: 1, Nanos: 5}, Category: common},
	} {
		if line, err := Encode(r); !errors.Is(err, ErrUnencodable) {
			t.Errorf("%s: Encode = %q, %v; want ErrUnencodable", name, line, err)
		}
	}
}

func TestKeys(t *testing.T) {
	c, _ := category.ByName("dhcp_event")
	got := strings.Join(Keys(c), ",")
	if want := "log_type,utc_time,device_time,ip,client_host,client_mac,dhcp_action"; got != want {
		t.Fatalf("Keys = %s, want %s", got, want)
	}
}
