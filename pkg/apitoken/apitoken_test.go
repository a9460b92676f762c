package apitoken

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"strings"
	"testing"
)

const testID = "abcdefghijklmn23"

func mustGenerate(t testing.TB) Token {
	t.Helper()
	tok, err := Generate(testID)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return tok
}

func TestGenerateParseRoundTrip(t *testing.T) {
	tok := mustGenerate(t)
	s := tok.Reveal()
	if len(s) != Length {
		t.Fatalf("length %d, want %d", len(s), Length)
	}
	if !regexp.MustCompile(`^` + Pattern + `$`).MatchString(s) {
		t.Fatalf("token does not match the documented pattern")
	}
	got, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.ID() != testID || got.Reveal() != s || got.Hint() != s[len(s)-4:] {
		t.Fatalf("parsed %q/%q, want id %q and the same token", got.ID(), got.Hint(), testID)
	}
}

func TestSecretStrength(t *testing.T) {
	if bits := SecretLength * math.Log2(62); bits < 160 {
		t.Fatalf("secret has %.1f bits, want at least 160", bits)
	}
	if math.Pow(62, ChecksumLength) < math.MaxUint32 {
		t.Fatal("checksum width cannot hold every CRC32")
	}
	seen := map[string]bool{}
	for range 1000 {
		s := mustGenerate(t).Reveal()
		if seen[s] {
			t.Fatal("two generated tokens are equal")
		}
		seen[s] = true
	}
}

func TestGenerateRejectsBadID(t *testing.T) {
	for _, id := range []string{"", "short", "abcdefghijklmn01", "ABCDEFGHIJKLMNOP", "abcdefghijklmnopq"} {
		if _, err := Generate(id); !errors.Is(err, ErrMalformed) {
			t.Errorf("Generate(%q) = %v, want ErrMalformed", id, err)
		}
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	good := mustGenerate(t).Reveal()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":                 "",
		"wrong prefix":          "ghp_" + good[len(Prefix):],
		"uppercase prefix":      "TGAT_" + good[len(Prefix):],
		"jwt":                   "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln",
		"truncated":             good[:len(good)-1],
		"prefix only":           Prefix,
		"overlong":              good + "0",
		"whitespace":            good[:len(good)-1] + " ",
		"newline appended":      good + "\n",
		"bad id alphabet":       good[:len(Prefix)] + "0" + good[len(Prefix)+1:],
		"missing separator":     good[:secretStart-1] + "x" + good[secretStart:],
		"bad secret alphabet":   good[:secretStart] + "-" + good[secretStart+1:],
		"non-ascii secret":      good[:secretStart] + "é" + good[secretStart+2:],
		"secret changed":        flip(secretStart + 3),
		"id changed":            flip(len(Prefix) + 2),
		"checksum changed":      flip(Length - 1),
		"checksum recomputed 0": good[:checksumStart] + "000000",
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(s)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
			if len(s) > 8 && strings.Contains(err.Error(), s[8:]) {
				t.Fatalf("error %q quotes the input", err)
			}
		})
	}
}

func TestLooksLikeToken(t *testing.T) {
	if !LooksLikeToken(mustGenerate(t).Reveal()) || !LooksLikeToken("tgat_x") {
		t.Error("tokens must look like tokens")
	}
	if LooksLikeToken("eyJhbGciOiJFZERTQSJ9.e30.sig") || LooksLikeToken("") {
		t.Error("a JWT must not look like an API token")
	}
}

func TestHashAndVerify(t *testing.T) {
	tok := mustGenerate(t)
	key := bytes.Repeat([]byte{7}, 32)
	h := tok.Hash(key)
	if len(h) != 32 {
		t.Fatalf("hash is %d bytes, want 32", len(h))
	}
	if !tok.Verify(key, h) {
		t.Fatal("Verify rejects the token's own hash")
	}
	if tok.Verify(bytes.Repeat([]byte{8}, 32), h) {
		t.Fatal("Verify accepts a hash made with another key")
	}
	if mustGenerate(t).Verify(key, h) {
		t.Fatal("Verify accepts another secret")
	}
	if (Token{}).Verify(key, h) {
		t.Fatal("the zero token verifies")
	}
	if bytes.Contains(h, []byte(tok.Reveal()[secretStart:checksumStart])) {
		t.Fatal("hash contains the secret")
	}
}

func TestPrintingRedacts(t *testing.T) {
	tok := mustGenerate(t)
	secret := tok.Reveal()[secretStart:checksumStart]
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("token", "t", tok)
	for _, out := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), logged.String()} {
		if strings.Contains(out, secret) {
			t.Fatalf("printed form %q contains the secret", out)
		}
		if !strings.Contains(out, tok.ID()) {
			t.Fatalf("printed form %q lacks the id", out)
		}
	}
}

func FuzzParse(f *testing.F) {
	tok, err := Generate(testID)
	if err != nil {
		f.Fatal(err)
	}
	good := tok.Reveal()
	for _, seed := range []string{good, "", Prefix, good[:40], good + "x", strings.ToUpper(good), "eyJ.e30.sig"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if tok.Reveal() != s || len(s) != Length || !ValidID(tok.ID()) {
			t.Fatalf("accepted %q as %q", s, tok.Reveal())
		}
		if !regexp.MustCompile(`^` + Pattern + `$`).MatchString(s) {
			t.Fatalf("accepted %q, which the documented pattern rejects", s)
		}
	})
}

func BenchmarkParseVerify(b *testing.B) {
	tok := mustGenerate(b)
	key := bytes.Repeat([]byte{7}, 32)
	s, h := tok.Reveal(), tok.Hash(key)
	b.ReportAllocs()
	for b.Loop() {
		got, err := Parse(s)
		if err != nil || !got.Verify(key, h) {
			b.Fatal("token rejected")
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(testID); err != nil {
			b.Fatal(err)
		}
	}
}
