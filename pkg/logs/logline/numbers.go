package logline

import (
	"errors"
	"math"
)

// The number parsers work on the line's bytes directly: strconv would need
// a string, which costs an allocation per value.

var (
	errNotDecimal = errors.New("not a decimal integer")
	errOverflow   = errors.New("integer out of range")
)

// parseUint parses unsigned decimal digits no greater than limit.
func parseUint(b []byte, limit uint64) (uint64, error) {
	if len(b) == 0 {
		return 0, errNotDecimal
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errNotDecimal
		}
		d := uint64(c - '0')
		if n > (limit-d)/10 {
			return 0, errOverflow
		}
		n = n*10 + d
	}
	return n, nil
}

// parseInt parses an optionally negative decimal that fits bits (32 or 64).
func parseInt(b []byte, bits int) (int64, error) {
	limit := uint64(math.MaxInt64)
	if bits == 32 {
		limit = math.MaxInt32
	}
	if len(b) > 0 && b[0] == '-' {
		n, err := parseUint(b[1:], limit+1)
		return -int64(n), err // -(limit+1) wraps to the minimum, as it should
	}
	n, err := parseUint(b, limit)
	return int64(n), err
}
