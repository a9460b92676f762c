// Package apitoken is the format of Tollgate's per-device API tokens:
//
//	tgat_<id>_<secret><checksum>
//
// "tgat_" is a fixed prefix, so gateways tell API tokens from JWTs and
// secret scanners find leaked tokens. The id is the token's public id, 16
// characters of [a-z2-7] (the last segment of its resource name). The
// secret is 32 base62 characters drawn uniformly from crypto/rand, about
// 190 bits. The checksum is the CRC32 (IEEE) of everything before it in 6
// base62 characters, so a mistyped or truncated token is rejected without
// a storage lookup.
//
// The secret itself is never stored: services keep Hash(key), an HMAC under
// a server key, and compare with Verify in constant time.
package apitoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"strings"
)

// Prefix starts every API token.
const Prefix = "tgat_"

// Lengths of the parts, fixed so that Parse can check the shape first.
const (
	IDLength       = 16
	SecretLength   = 32
	ChecksumLength = 6
	// Length is the length of every token string.
	Length = len(Prefix) + IDLength + 1 + SecretLength + ChecksumLength
	// HintLength is how many trailing characters Hint shows.
	HintLength = 4
)

// Pattern is a regular expression (RE2, POSIX ERE compatible) matching
// exactly the token strings, for secret scanners.
const Pattern = `tgat_[a-z2-7]{16}_[0-9A-Za-z]{38}`

const (
	idAlphabet     = "abcdefghijklmnopqrstuvwxyz234567"
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	idSeparator    = '_'
	// secretStart and checksumStart index the token string.
	secretStart   = len(Prefix) + IDLength + 1
	checksumStart = secretStart + SecretLength
)

// ErrMalformed is wrapped by every Parse error: the string is not a token
// this package could have generated.
var ErrMalformed = errors.New("malformed API token")

// Token is a parsed or generated API token. Its String, GoString and
// LogValue methods redact the secret, so a Token printed or logged by
// mistake leaks nothing; Reveal returns the full token.
type Token struct {
	value string
}

// Generate returns a new token with the given public id and a fresh secret.
func Generate(id string) (Token, error) {
	if !ValidID(id) {
		return Token{}, fmt.Errorf("%w: the id must be %d characters of [a-z2-7]", ErrMalformed, IDLength)
	}
	secret, err := randomBase62(SecretLength)
	if err != nil {
		return Token{}, fmt.Errorf("apitoken: generating secret: %w", err)
	}
	body := Prefix + id + string(idSeparator) + secret
	return Token{value: body + checksum(body)}, nil
}

// Parse checks the shape and checksum of s. It never needs storage, and its
// errors never quote s, since s may be a real secret.
func Parse(s string) (Token, error) {
	switch {
	case !LooksLikeToken(s):
		return Token{}, fmt.Errorf("%w: it must start with %q", ErrMalformed, Prefix)
	case len(s) != Length:
		return Token{}, fmt.Errorf("%w: it must be %d characters long, got %d", ErrMalformed, Length, len(s))
	case !ValidID(s[len(Prefix) : secretStart-1]):
		return Token{}, fmt.Errorf("%w: bad token id", ErrMalformed)
	case s[secretStart-1] != idSeparator:
		return Token{}, fmt.Errorf("%w: no separator after the token id", ErrMalformed)
	case !isBase62(s[secretStart:]):
		return Token{}, fmt.Errorf("%w: the secret has characters outside [0-9A-Za-z]", ErrMalformed)
	case checksum(s[:checksumStart]) != s[checksumStart:]:
		return Token{}, fmt.Errorf("%w: checksum mismatch (was it copied whole?)", ErrMalformed)
	}
	return Token{value: s}, nil
}

// LooksLikeToken reports whether s has the API token prefix; anything else
// presented as a bearer credential is not an API token (e.g. a JWT).
func LooksLikeToken(s string) bool { return strings.HasPrefix(s, Prefix) }

// ValidID reports whether id can be a token's public id.
func ValidID(id string) bool {
	if len(id) != IDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(idAlphabet, id[i]) < 0 {
			return false
		}
	}
	return true
}

// IsZero reports whether t is the zero Token.
func (t Token) IsZero() bool { return t.value == "" }

// ID is the public token id.
func (t Token) ID() string {
	if t.IsZero() {
		return ""
	}
	return t.value[len(Prefix) : secretStart-1]
}

// Reveal returns the whole token string, secret included: for showing it
// once to its creator, and nowhere else.
func (t Token) Reveal() string { return t.value }

// Hint returns the last HintLength characters, which identify a token to
// its owner without revealing it.
func (t Token) Hint() string {
	if t.IsZero() {
		return ""
	}
	return t.value[len(t.value)-HintLength:]
}

// String is a redacted form: prefix, id and hint.
func (t Token) String() string {
	if t.IsZero() {
		return "apitoken.Token{}"
	}
	return Prefix + t.ID() + "_…" + t.Hint()
}

// GoString redacts like String, for %#v.
func (t Token) GoString() string { return "apitoken.Token(" + t.String() + ")" }

// LogValue redacts like String, for slog.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Hash is HMAC-SHA256(key, secret): what is stored instead of the secret.
func (t Token) Hash(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(t.value[secretStart:checksumStart]))
	return m.Sum(nil)
}

// Verify reports, in constant time, whether hash is this token's Hash
// under key.
func (t Token) Verify(key, hash []byte) bool {
	return !t.IsZero() && hmac.Equal(t.Hash(key), hash)
}

// checksum is the CRC32 of body in ChecksumLength base62 digits,
// zero-padded (62^6 > 2^32, so every CRC fits).
func checksum(body string) string {
	var out [ChecksumLength]byte
	n := crc32.ChecksumIEEE([]byte(body))
	for i := ChecksumLength - 1; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return string(out[:])
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// randomBase62 draws n characters uniformly: bytes of 248 and above are
// rejected so that every character has probability exactly 1/62.
func randomBase62(n int) (string, error) {
	const limit = 256 - 256%62
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < limit && len(out) < n {
				out = append(out, base62Alphabet[b%62])
			}
		}
	}
	return string(out), nil
}
