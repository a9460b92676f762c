package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tollgate/tollgate/pkg/boltdb"
)

const timeLen = 8

// timeBytes encodes t as big-endian Unix nanoseconds, so that byte order is
// time order. Times before 1970 cannot occur for tokens and are refused.
func timeBytes(t time.Time) ([]byte, error) {
	n := t.UnixNano()
	if t.IsZero() || n < 0 {
		return nil, fmt.Errorf("time %s cannot be used in a key", t)
	}
	return binary.BigEndian.AppendUint64(make([]byte, 0, timeLen), uint64(n)), nil
}

// devicePrefix is the common prefix of a device's index keys.
func devicePrefix(device string) ([]byte, error) {
	return boltdb.JoinKey([]byte(device), nil)
}

// deviceKey is <device>\x00<create time><id>: a device's tokens, oldest
// first. The binary time is appended, not joined, since it may hold 0x00.
func deviceKey(device string, created time.Time, id string) ([]byte, error) {
	prefix, err := devicePrefix(device)
	if err != nil {
		return nil, err
	}
	ts, err := timeBytes(created)
	if err != nil {
		return nil, err
	}
	return append(append(prefix, ts...), id...), nil
}

// graceKey is <grace end><id>: pending grace ends, earliest first.
func graceKey(end time.Time, id string) ([]byte, error) {
	ts, err := timeBytes(end)
	if err != nil {
		return nil, err
	}
	return append(ts, id...), nil
}

// splitTimeKey returns the time and id of a key suffix built as above.
func splitTimeKey(suffix []byte) (time.Time, string, error) {
	if len(suffix) <= timeLen {
		return time.Time{}, "", fmt.Errorf("index key %x is too short", suffix)
	}
	n := binary.BigEndian.Uint64(suffix[:timeLen])
	return time.Unix(0, int64(n)).UTC(), string(suffix[timeLen:]), nil
}
