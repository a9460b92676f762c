package logline

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// populated returns a record of c with every field set to a non-zero value;
// strings carry the bytes the escaping must handle.
func populated(c category.Category) *exportv1.LogRecord {
	r := &exportv1.LogRecord{
		LogType:    c.LogType,
		UtcTime:    &timestamppb.Timestamp{Seconds: 1_718_500_000 + int64(c.LogType)},
		DeviceTime: "2024-06-16 03:06:40",
	}
	m := c.Fields(r)
	fds := c.Field.Message().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		var v protoreflect.Value
		switch fd.Kind() {
		case protoreflect.StringKind:
			v = protoreflect.ValueOfString(fmt.Sprintf("%s %d \"quoted\" 100%% \t\nnaïve", fd.Name(), i))
		case protoreflect.Int32Kind:
			v = protoreflect.ValueOfInt32(-int32(i) - 1)
		case protoreflect.Int64Kind:
			v = protoreflect.ValueOfInt64(1<<40 + int64(i))
		case protoreflect.Uint32Kind:
			v = protoreflect.ValueOfUint32(65535 - uint32(i))
		case protoreflect.BoolKind:
			v = protoreflect.ValueOfBool(true)
		}
		m.Set(fd, v)
	}
	return r
}
