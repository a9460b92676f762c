package pagetoken

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/pkg/errs"
)

func TestRoundTrip(t *testing.T) {
	c := New([]byte("secret"), "test")
	tok := c.Encode([]byte("cursor-1"), "q=a")
	got, err := c.Decode(tok, "q=a")
	if err != nil || string(got) != "cursor-1" {
		t.Fatalf("Decode = %q, %v", got, err)
	}
	if cur, err := c.Decode("", "q=a"); err != nil || cur != nil {
		t.Fatalf("empty token: %q, %v", cur, err)
	}
}

func TestRejects(t *testing.T) {
	c := New([]byte("secret"), "test")
	tok := c.Encode([]byte("cursor-1"), "q=a")
	flipped := []byte(tok)
	flipped[3] ^= 1
	cases := map[string]struct{ token, query string }{
		"other query":   {tok, "q=b"},
		"tampered":      {string(flipped), "q=a"},
		"other purpose": {New([]byte("secret"), "other").Encode([]byte("cursor-1"), "q=a"), "q=a"},
		"other secret":  {New([]byte("other"), "test").Encode([]byte("cursor-1"), "q=a"), "q=a"},
		"not base64":    {"!!!", "q=a"},
		"too short":     {"AQ", "q=a"},
		"truncated":     {tok[:len(tok)-2], "q=a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.Decode(tc.token, tc.query)
			if !errors.Is(err, errs.ErrInvalidArgument) {
				t.Fatalf("Decode = %v, want invalid argument", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	c := New([]byte("secret"), "fuzz")
	f.Add(c.Encode([]byte("abc"), "q"), "q")
	f.Add("", "")
	f.Add("AAAA", "q")
	f.Fuzz(func(t *testing.T, token, query string) {
		cur, err := c.Decode(token, query)
		if err != nil {
			return
		}
		// Anything accepted must be exactly what we would have minted.
		if token != "" && c.Encode(cur, query) != token {
			t.Fatalf("accepted a token that Encode would not produce: %q", token)
		}
	})
}
