package logline

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// encodes to a line that the vendor regex splits into exactly its pairs
// and that decodes to the same record.
func FuzzDecode(f *testing.F) {
	for _, c := range category.All() {
		line, err := Encode(populated(c))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(line))
	}
	f.Add([]byte(`log_type="9" utc_time="1" is_sync_timezone="1" daylight_offset="%25%22"`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := Decode(line)
		if err != nil {
			return
		}
		again, err := Encode(r)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode %v: %v", line, r, err)
		}
		c, _ := category.Of(r)
		if n := len(vendorPair.FindAllStringSubmatch(again, -1)); n < 2 || n > len(Keys(c)) {
			t.Fatalf("vendor regex found %d pairs in %q", n, again)
		}
		back, err := Decode([]byte(again))
		if err != nil || !proto.Equal(r, back) {
			t.Fatalf("%q → %q → %v, %v; want %v", line, again, back, err, r)
		}
	})
}

// FuzzRoundTrip fills a record of any category from fuzzed values and
// checks the encode/decode round trip.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(2), int64(1718500000), "2024-06-16 03:06:40", "a \"b\" %c\n", int64(-7), true)
	f.Add(uint8(15), int64(0), "", "", int64(0), false)
	f.Fuzz(func(t *testing.T, logType uint8, seconds int64, deviceTime, s string, n int64, b bool) {
		c, ok := category.ByLogType(int32(logType % category.Count))
		if !ok {
			t.Fatal("category missing")
		}
		in := &exportv1.LogRecord{LogType: c.LogType, UtcTime: &timestamppb.Timestamp{Seconds: seconds}, DeviceTime: deviceTime}
		m := c.Fields(in)
		fds := c.Field.Message().Fields()
		for i := range fds.Len() {
			fd := fds.Get(i)
			switch fd.Kind() {
			case protoreflect.StringKind:
				m.Set(fd, protoreflect.ValueOfString(s))
			case protoreflect.Int32Kind:
				m.Set(fd, protoreflect.ValueOfInt32(int32(n)))
			case protoreflect.Int64Kind:
				m.Set(fd, protoreflect.ValueOfInt64(n+int64(i)))
			case protoreflect.Uint32Kind:
				m.Set(fd, protoreflect.ValueOfUint32(uint32(n)))
			case protoreflect.BoolKind:
				m.Set(fd, protoreflect.ValueOfBool(b))
			}
		}
		if !validUTF8(in) {
			return // proto strings are UTF-8; the generated API cannot carry anything else
		}
		line, err := Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Decode([]byte(line))
		if err != nil {
			t.Fatalf("decode %q: %v", line, err)
		}
		if !proto.Equal(in, out) {
			t.Fatalf("round trip of %q changed the record\n in: %v\nout: %v", line, in, out)
		}
	})
}

func validUTF8(r *exportv1.LogRecord) bool {
	_, err := proto.Marshal(r)
	return err == nil
}
