// Package pagetoken makes opaque, tamper-evident page tokens.
//
// A token carries the cursor (where the next page starts) and is bound to
// the query it continues: a token that was modified, minted by another
// service or deployment, or replayed with different query parameters is
// rejected with INVALID_ARGUMENT / INVALID_PAGE_TOKEN.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/tollgate/tollgate/pkg/errs"
)

const (
	macSize   = 16 // truncated HMAC-SHA256: 128 bits is plenty against forgery
	maxCursor = 256
	version   = 1
)

// Codec encodes and decodes page tokens with one key.
type Codec struct{ key []byte }

// New derives a page-token key for one purpose (e.g. "tenancy/devices")
// from a deployment secret.
func New(secret []byte, purpose string) *Codec {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tollgate page token\x00" + purpose))
	return &Codec{key: m.Sum(nil)}
}

// Encode returns the token for cursor, bound to query (a canonical
// rendering of the request's filter parameters).
func (c *Codec) Encode(cursor []byte, query string) string {
	b := make([]byte, 0, 1+len(cursor)+macSize)
	b = append(b, version)
	b = append(b, cursor...)
	b = append(b, c.mac(b, query)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode checks token and returns its cursor. An empty token means "first
// page" and returns a nil cursor.
func (c *Codec) Decode(token, query string) ([]byte, error) {
	if token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 1+macSize || len(b) > 1+maxCursor+macSize || b[0] != version {
		return nil, invalid()
	}
	body, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, c.mac(body, query)) {
		return nil, invalid()
	}
	return body[1:], nil
}

func (c *Codec) mac(body []byte, query string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(body)
	m.Write([]byte{0})
	m.Write([]byte(query))
	return m.Sum(nil)[:macSize]
}

func invalid() error {
	return errs.Invalid("page_token", "INVALID_PAGE_TOKEN",
		"page_token is invalid: it must come unchanged from the previous response of the same query")
}
