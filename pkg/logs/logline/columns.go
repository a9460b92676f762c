package logline

import (
	"fmt"
	"reflect"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// AppendColumns appends r's values in Keys order — every column, zero
// values included, unescaped — to dst: one CSV row of r's category. The
// values are those of the line format (utc_time in epoch seconds, bools as
// 1/0).
func AppendColumns(dst []string, r *exportv1.LogRecord) ([]string, error) {
	c, ok := category.Of(r)
	if !ok || r.GetLogType() != c.LogType || r.GetUtcTime() == nil {
		return dst, fmt.Errorf("%w: no category, a contradicting log_type or no utc_time", ErrUnencodable)
	}
	dst = append(dst, strconv.Itoa(int(c.LogType)), strconv.FormatInt(r.GetUtcTime().GetSeconds(), 10), r.GetDeviceTime())
	msg, set := structOf(r.ProtoReflect().Get(c.Field).Message())
	for i := range tables[c.LogType].fields {
		f := &tables[c.LogType].fields[i]
		var v reflect.Value
		if set {
			v = msg.Field(f.index)
		}
		dst = append(dst, columnValue(f.kind, v))
	}
	return dst, nil
}

func columnValue(kind protoreflect.Kind, v reflect.Value) string {
	if !v.IsValid() {
		if kind == protoreflect.StringKind {
			return ""
		}
		return "0"
	}
	switch kind {
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		return strconv.FormatInt(v.Int(), 10)
	case protoreflect.Uint32Kind:
		return strconv.FormatUint(v.Uint(), 10)
	case protoreflect.BoolKind:
		if v.Bool() {
			return "1"
		}
		return "0"
	}
	return ""
}
