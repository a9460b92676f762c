package logline

import (
	"errors"
	"unicode/utf8"
)

const upperHex = "0123456789ABCDEF"

// needsEscape reports the bytes written as %XX: the quote that would end
// the value, the escape character itself, and controls that could break
// the line.
func needsEscape(b byte) bool {
	return b < 0x20 || b == 0x7f || b == '"' || b == '%'
}

// appendEscaped appends s with the bytes that need it percent-encoded.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !needsEscape(b) {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', upperHex[b>>4], upperHex[b&0x0f])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

var (
	errRawControl  = errors.New("raw control byte in value (controls must be percent-encoded)")
	errBadEscape   = errors.New("% must be followed by two hex digits")
	errInvalidUTF8 = errors.New("value is not valid UTF-8")
)

// unescape decodes a value written by appendEscaped.
func unescape(v []byte) (string, error) {
	plain := true
	for _, b := range v {
		if b == '%' {
			plain = false
			break
		}
		if b < 0x20 || b == 0x7f {
			return "", errRawControl
		}
	}
	if plain {
		if !utf8.Valid(v) {
			return "", errInvalidUTF8
		}
		return string(v), nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		b := v[i]
		switch {
		case b == '%':
			if i+2 >= len(v) {
				return "", errBadEscape
			}
			hi, okHi := fromHex(v[i+1])
			lo, okLo := fromHex(v[i+2])
			if !okHi || !okLo {
				return "", errBadEscape
			}
			out = append(out, hi<<4|lo)
			i += 2
		case b < 0x20 || b == 0x7f:
			return "", errRawControl
		default:
			out = append(out, b)
		}
	}
	if !utf8.Valid(out) {
		return "", errInvalidUTF8
	}
	return string(out), nil
}

func fromHex(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	}
	return 0, false
}
