// Package logjson renders log records as JSON lines for NDJSON streams:
// exactly the JSON of protojson with UseProtoNames and EmitUnpopulated (the
// REST API's JSON: proto field order, int64 as strings, Timestamps in RFC
// 3339, unset oneof members left out, unset messages as null), appended
// into a buffer without protojson's generic machinery, which made it the
// largest cost of streaming logs.
package logjson

import (
	"errors"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// Append appends r's JSON to b.
func Append(b []byte, r *exportv1.LogRecord) ([]byte, error) {
	return appendMessage(b, r.ProtoReflect())
}

// appendMessage covers the kinds LogRecord uses and reports
// ErrUnsupported for others.
func appendMessage(b []byte, m protoreflect.Message) ([]byte, error) {
	desc := m.Descriptor()
	if desc.FullName() == "google.protobuf.Timestamp" {
		return appendTimestamp(b, m)
	}
	keys := jsonKeys(desc)
	b = append(b, '{')
	first := true
	fields := desc.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		has := m.Has(fd)
		if !has && fd.ContainingOneof() != nil {
			continue
		}
		if fd.IsList() || fd.IsMap() {
			return b, ErrUnsupported
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, keys[i]...)
		if fd.Kind() == protoreflect.MessageKind && !has {
			b = append(b, "null"...)
			continue
		}
		var err error
		if b, err = appendValue(b, fd, m.Get(fd)); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// ErrUnsupported is returned for field kinds LogRecord does not use.
var ErrUnsupported = errors.New("logjson: field kind not supported")

func appendValue(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return appendString(b, v.String())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendInt(b, v.Int(), 10), '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendUint(b, v.Uint(), 10), '"'), nil
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool()), nil
	case protoreflect.MessageKind:
		return appendMessage(b, v.Message())
	}
	return b, ErrUnsupported
}

// appendString quotes s as protojson does: only '"', '\\' and control
// characters are escaped; invalid UTF-8 is an error.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return b, errors.New("logjson: invalid UTF-8")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// appendTimestamp renders a Timestamp as protojson does: UTC, with 0, 3, 6
// or 9 fractional digits.
func appendTimestamp(b []byte, m protoreflect.Message) ([]byte, error) {
	fields := m.Descriptor().Fields()
	secs, nanos := m.Get(fields.ByNumber(1)).Int(), m.Get(fields.ByNumber(2)).Int()
	t := time.Unix(secs, nanos).UTC()
	b = append(b, '"')
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if nanos != 0 {
		frac := strconv.AppendInt(nil, 1_000_000_000+nanos, 10)[1:] // 9 digits
		switch {
		case nanos%1_000_000 == 0:
			frac = frac[:3]
		case nanos%1_000 == 0:
			frac = frac[:6]
		}
		b = append(append(b, '.'), frac...)
	}
	return append(b, 'Z', '"'), nil
}

var keyCache sync.Map // protoreflect.FullName → []string

// jsonKeys are the `"name":` prefixes of a message's fields, by index.
func jsonKeys(desc protoreflect.MessageDescriptor) []string {
	if k, ok := keyCache.Load(desc.FullName()); ok {
		return k.([]string)
	}
	fields := desc.Fields()
	keys := make([]string, fields.Len())
	for i := range keys {
		keys[i] = `"` + string(fields.Get(i).Name()) + `":`
	}
	keyCache.Store(desc.FullName(), keys)
	return keys
}
