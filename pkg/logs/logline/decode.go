package logline

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// ErrSyntax wraps every reason Decode refuses a line.
var ErrSyntax = errors.New("logline: invalid line")

type pair struct{ key, value []byte }

// Decode parses one line (without its newline) into a record.
func Decode(line []byte) (*exportv1.LogRecord, error) {
	var buf [maxPairs]pair
	pairs, err := splitPairs(line, buf[:0])
	if err != nil {
		return nil, err
	}
	t, err := tableOf(pairs)
	if err != nil {
		return nil, err
	}
	r := &exportv1.LogRecord{LogType: t.category.LogType}
	msg, _ := structOf(t.category.Fields(r)) // Fields always returns a fresh, non-nil message
	var seen uint64
	for _, p := range pairs {
		slot, err := decodePair(r, msg, t, p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSyntax, p.key, err)
		}
		if seen&(1<<slot) != 0 {
			return nil, fmt.Errorf("%w: %s appears twice", ErrSyntax, p.key)
		}
		seen |= 1 << slot
	}
	if r.UtcTime == nil {
		return nil, fmt.Errorf("%w: utc_time is missing", ErrSyntax)
	}
	return r, nil
}

// splitPairs cuts a line into its key="value" pairs.
func splitPairs(line []byte, pairs []pair) ([]pair, error) {
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: empty line", ErrSyntax)
	}
	i := 0
	for {
		start := i
		for i < len(line) && isWordByte(line[i]) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: expected a key at byte %d", ErrSyntax, i)
		}
		key := line[start:i]
		if i+1 >= len(line) || line[i] != '=' || line[i+1] != '"' {
			return nil, fmt.Errorf(`%w: expected =" after %s`, ErrSyntax, key)
		}
		i += 2
		end := bytes.IndexByte(line[i:], '"')
		if end < 0 {
			return nil, fmt.Errorf("%w: value of %s is not terminated", ErrSyntax, key)
		}
		if len(pairs) == maxPairs {
			return nil, fmt.Errorf("%w: more than %d pairs", ErrSyntax, maxPairs)
		}
		pairs = append(pairs, pair{key: key, value: line[i : i+end]})
		i += end + 1
		if i == len(line) {
			return pairs, nil
		}
		if line[i] != ' ' {
			return nil, fmt.Errorf("%w: expected a space after the value of %s", ErrSyntax, key)
		}
		i++
	}
}

// isWordByte matches the vendor regex's \w: ASCII letters, digits and _.
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// tableOf finds log_type among the pairs and returns its category's table.
func tableOf(pairs []pair) (*table, error) {
	for _, p := range pairs {
		if string(p.key) != keyLogType {
			continue
		}
		n, err := parseInt(p.value, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: log_type: %w", ErrSyntax, err)
		}
		c, ok := category.ByLogType(int32(n))
		if !ok {
			return nil, fmt.Errorf("%w: log_type %d is not a category (0-%d)", ErrSyntax, n, category.Count-1)
		}
		return &tables[c.LogType], nil
	}
	return nil, fmt.Errorf("%w: log_type is missing", ErrSyntax)
}

// decodePair stores one pair and returns the slot (bit) of its key.
func decodePair(r *exportv1.LogRecord, msg reflect.Value, t *table, p pair) (uint, error) {
	switch string(p.key) {
	case keyLogType:
		return 0, nil // read by tableOf
	case keyUTCTime:
		s, err := parseInt(p.value, 64)
		if err != nil {
			return 0, err
		}
		r.UtcTime = &timestamppb.Timestamp{Seconds: s}
		return 1, nil
	case keyDeviceTime:
		s, err := unescape(p.value)
		r.DeviceTime = s
		return 2, err
	}
	i, ok := t.byKey[string(p.key)]
	if !ok {
		return 0, fmt.Errorf("not a key of %s", t.category.Name)
	}
	f := &t.fields[i]
	return uint(headerKeys + i), setField(msg.Field(f.index), f.kind, p.value)
}

// setField parses raw as kind into the struct field v.
func setField(v reflect.Value, kind protoreflect.Kind, raw []byte) error {
	switch kind {
	case protoreflect.StringKind:
		s, err := unescape(raw)
		v.SetString(s)
		return err
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		bits := 64
		if kind == protoreflect.Int32Kind {
			bits = 32
		}
		n, err := parseInt(raw, bits)
		v.SetInt(n)
		return err
	case protoreflect.Uint32Kind:
		n, err := parseUint(raw, math.MaxUint32)
		v.SetUint(n)
		return err
	case protoreflect.BoolKind:
		switch string(raw) {
		case "1":
			v.SetBool(true)
			return nil
		case "0":
			v.SetBool(false)
			return nil
		}
		return errors.New("a boolean is 1 or 0")
	}
	return fmt.Errorf("kind %s is not supported", kind)
}
