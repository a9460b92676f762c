package boltdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Keys are compared by bytes.Compare, so numbers and times are stored
// big-endian and unsigned: byte order then equals numeric order.

const (
	uint64KeyLen = 8
	timeKeyLen   = 16
	// keySeparator is the smallest byte, which makes JoinKey sort composite
	// keys part by part: ("a", "z") < ("ab", "a").
	keySeparator = 0x00
)

var (
	earliestKeyTime = time.Unix(0, 0)
	latestKeyTime   = time.Unix(0, math.MaxInt64)
)

// Uint64Key encodes v as 8 bytes, big-endian.
func Uint64Key(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, uint64KeyLen), v)
}

// ParseUint64Key decodes a key made by Uint64Key.
func ParseUint64Key(b []byte) (uint64, error) {
	if len(b) != uint64KeyLen {
		return 0, fmt.Errorf("boltdb: uint64 key must be %d bytes, got %d", uint64KeyLen, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// TimeKey encodes t as nanoseconds since the Unix epoch followed by seq, both
// big-endian, 16 bytes in all. seq keeps keys unique for events sharing a
// timestamp. Times outside 1970 to 2262 (what int64 nanoseconds can hold)
// are rejected because they would not sort correctly.
func TimeKey(t time.Time, seq uint64) ([]byte, error) {
	if t.Before(earliestKeyTime) || t.After(latestKeyTime) {
		return nil, fmt.Errorf("boltdb: time %s is outside the range a time key can hold (%s to %s)",
			t.Format(time.RFC3339Nano), earliestKeyTime.UTC().Format(time.RFC3339), latestKeyTime.UTC().Format(time.RFC3339))
	}
	key := make([]byte, 0, timeKeyLen)
	key = binary.BigEndian.AppendUint64(key, uint64(t.UnixNano()))
	return binary.BigEndian.AppendUint64(key, seq), nil
}

// ParseTimeKey decodes a key made by TimeKey. The time is returned in UTC.
func ParseTimeKey(b []byte) (time.Time, uint64, error) {
	if len(b) != timeKeyLen {
		return time.Time{}, 0, fmt.Errorf("boltdb: time key must be %d bytes, got %d", timeKeyLen, len(b))
	}
	nanos := binary.BigEndian.Uint64(b[:uint64KeyLen])
	if nanos > math.MaxInt64 {
		return time.Time{}, 0, fmt.Errorf("boltdb: time key holds %d ns, beyond the latest encodable time", nanos)
	}
	return time.Unix(0, int64(nanos)).UTC(), binary.BigEndian.Uint64(b[uint64KeyLen:]), nil
}

// ErrKeyPartContainsSeparator is returned by JoinKey for a part holding 0x00,
// which would make the composite key ambiguous.
var ErrKeyPartContainsSeparator = errors.New("key part contains the 0x00 separator")

// JoinKey builds a composite key from parts separated by 0x00; parts must not
// contain 0x00. Keys sort part by part, and a trailing empty part yields the
// prefix of every key under the preceding parts: JoinKey(tenant, nil) is a
// Seek prefix for all of tenant's keys. Binary encodings such as Uint64Key
// may contain 0x00, so append them to such a prefix instead of joining them.
func JoinKey(parts ...[]byte) ([]byte, error) {
	if len(parts) == 0 {
		return nil, errors.New("boltdb: JoinKey needs at least one part")
	}
	size := len(parts) - 1
	for i, part := range parts {
		if bytes.IndexByte(part, keySeparator) >= 0 {
			return nil, fmt.Errorf("boltdb: part %d of composite key: %w", i, ErrKeyPartContainsSeparator)
		}
		size += len(part)
	}
	key := make([]byte, 0, size)
	for i, part := range parts {
		if i > 0 {
			key = append(key, keySeparator)
		}
		key = append(key, part...)
	}
	return key, nil
}

// SplitKey returns the parts of a key built by JoinKey. The parts share
// memory with key, which bbolt only keeps valid during the transaction.
func SplitKey(key []byte) [][]byte {
	return bytes.Split(key, []byte{keySeparator})
}
