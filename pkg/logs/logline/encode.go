package logline

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// ErrUnencodable wraps the reasons a record has no line: no category,
// a log_type that contradicts it, or a utc_time the line cannot carry.
var ErrUnencodable = errors.New("logline: record cannot be encoded")

// Encode returns r's line, without a trailing newline.
func Encode(r *exportv1.LogRecord) (string, error) {
	b, err := Append(make([]byte, 0, 256), r)
	return string(b), err
}

// Append appends r's line, without a trailing newline, to dst. On error dst
// is returned unchanged.
func Append(dst []byte, r *exportv1.LogRecord) ([]byte, error) {
	c, ok := category.Of(r)
	switch {
	case !ok:
		return dst, fmt.Errorf("%w: no category is set", ErrUnencodable)
	case r.GetLogType() != c.LogType:
		return dst, fmt.Errorf("%w: log_type %d but the category is %s (%d)", ErrUnencodable, r.GetLogType(), c.Name, c.LogType)
	case r.GetUtcTime() == nil:
		return dst, fmt.Errorf("%w: utc_time is not set", ErrUnencodable)
	case r.GetUtcTime().GetNanos() != 0:
		// The line carries whole seconds; dropping the rest would lose data.
		return dst, fmt.Errorf("%w: utc_time has a fraction of a second", ErrUnencodable)
	}
	dst = append(dst, `log_type="`...)
	dst = strconv.AppendInt(dst, int64(c.LogType), 10)
	dst = append(dst, `" utc_time="`...)
	dst = strconv.AppendInt(dst, r.GetUtcTime().GetSeconds(), 10)
	dst = append(dst, '"')
	if dt := r.GetDeviceTime(); dt != "" {
		dst = append(dst, ` device_time="`...)
		dst = appendEscaped(dst, dt)
		dst = append(dst, '"')
	}
	msg, ok := structOf(r.ProtoReflect().Get(c.Field).Message())
	if !ok {
		return dst, nil // a nil category message has only zero fields
	}
	for i := range tables[c.LogType].fields {
		dst = appendField(dst, &tables[c.LogType].fields[i], msg)
	}
	return dst, nil
}

// appendField appends one field's pair unless it holds its zero value.
func appendField(dst []byte, f *field, msg reflect.Value) []byte {
	v := msg.Field(f.index)
	switch f.kind {
	case protoreflect.StringKind:
		s := v.String()
		if s == "" {
			return dst
		}
		dst = append(dst, f.prefix...)
		dst = appendEscaped(dst, s)
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		n := v.Int()
		if n == 0 {
			return dst
		}
		dst = append(dst, f.prefix...)
		dst = strconv.AppendInt(dst, n, 10)
	case protoreflect.Uint32Kind:
		n := v.Uint()
		if n == 0 {
			return dst
		}
		dst = append(dst, f.prefix...)
		dst = strconv.AppendUint(dst, n, 10)
	case protoreflect.BoolKind:
		if !v.Bool() {
			return dst
		}
		dst = append(dst, f.prefix...)
		dst = append(dst, '1')
	}
	return append(dst, '"')
}
