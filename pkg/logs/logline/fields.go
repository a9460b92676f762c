package logline

import (
	"fmt"
	"reflect"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"

	"github.com/tollgate/tollgate/pkg/logs/category"
)

// DeviceTimeLayout is the Go layout of device_time, the Open API's
// yyyy-MM-dd HH:mm:ss in the device's time zone.
const DeviceTimeLayout = "2006-01-02 15:04:05"

// Keys every line may carry before the category's fields.
const (
	keyLogType    = "log_type"
	keyUTCTime    = "utc_time"
	keyDeviceTime = "device_time"
	headerKeys    = 3
)

// maxPairs bounds the pairs of one line; it also lets a uint64 bitmask
// track which keys a line already set.
const maxPairs = 64

// field is one category field, with what encoding and decoding need
// precomputed. Values are read and written through the generated struct's
// field (index) rather than protoreflect, whose setters allocate per value.
type field struct {
	name   string
	kind   protoreflect.Kind
	index  int    // of the Go struct field
	prefix string // ` name="`
}

// table is one category's fields in proto field order.
type table struct {
	category category.Category
	fields   []field
	byKey    map[string]int // key → index in fields
}

var tables [category.Count]table

func init() {
	for _, c := range category.All() {
		t := table{category: c, byKey: map[string]int{}}
		goFields := structFields(c)
		fds := c.Field.Message().Fields()
		for i := range fds.Len() {
			fd := fds.Get(i)
			switch fd.Kind() {
			case protoreflect.StringKind, protoreflect.Int32Kind, protoreflect.Int64Kind,
				protoreflect.Uint32Kind, protoreflect.BoolKind:
			default:
				panic(fmt.Sprintf("logline: %s has kind %s, which the line format does not define", fd.FullName(), fd.Kind()))
			}
			name := string(fd.Name())
			if name == keyLogType || name == keyUTCTime || name == keyDeviceTime {
				panic(fmt.Sprintf("logline: %s collides with a header key", fd.FullName()))
			}
			index, ok := goFields[name]
			if !ok {
				panic(fmt.Sprintf("logline: no Go struct field for %s", fd.FullName()))
			}
			t.byKey[name] = len(t.fields)
			t.fields = append(t.fields, field{name: name, kind: fd.Kind(), index: index, prefix: " " + name + `="`})
		}
		if len(t.fields)+headerKeys > maxPairs {
			panic(fmt.Sprintf("logline: %s has more fields than a line may hold", c.Name))
		}
		tables[c.LogType] = t
	}
}

// Keys returns the keys a line of category c may carry, in line order:
// log_type, utc_time, device_time, then the category's fields. It suits a
// CSV header row.
func Keys(c category.Category) []string {
	t := tables[c.LogType]
	keys := make([]string, 0, headerKeys+len(t.fields))
	keys = append(keys, keyLogType, keyUTCTime, keyDeviceTime)
	for _, f := range t.fields {
		keys = append(keys, f.name)
	}
	return keys
}

// structFields maps the proto field names of c's generated struct to the
// struct field indexes, read from the generated `protobuf:"...,name=x,..."`
// tags.
func structFields(c category.Category) map[string]int {
	msg := (&exportv1.LogRecord{}).ProtoReflect().NewField(c.Field).Message().Interface()
	typ := reflect.TypeOf(msg).Elem()
	out := map[string]int{}
	for i := range typ.NumField() {
		for part := range strings.SplitSeq(typ.Field(i).Tag.Get("protobuf"), ",") {
			if name, ok := strings.CutPrefix(part, "name="); ok {
				out[name] = i
			}
		}
	}
	return out
}

// structOf returns the settable generated struct behind a category message.
func structOf(m protoreflect.Message) (reflect.Value, bool) {
	p := reflect.ValueOf(m.Interface())
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return reflect.Value{}, false
	}
	return p.Elem(), true
}
