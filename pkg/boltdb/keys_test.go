package boltdb

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"testing/quick"
	"time"
)

func TestUint64KeyOrderMatchesNumericOrder(t *testing.T) {
	property := func(a, b uint64) bool {
		ka, kb := Uint64Key(a), Uint64Key(b)
		pa, errA := ParseUint64Key(ka)
		pb, errB := ParseUint64Key(kb)
		return bytes.Compare(ka, kb) == cmp.Compare(a, b) &&
			errA == nil && errB == nil && pa == a && pb == b
	}
	if err := quick.Check(property, &quick.Config{MaxCount: 10000}); err != nil {
		t.Fatal(err)
	}
	for _, edge := range []uint64{0, 1, 255, 256, math.MaxUint64} {
		if !property(edge, edge+1) {
			t.Errorf("property fails at %d", edge)
		}
	}
}

func TestParseUint64KeyRejectsWrongLength(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 7), make([]byte, 9)} {
		if _, err := ParseUint64Key(b); err == nil {
			t.Errorf("ParseUint64Key(%d bytes) succeeded", len(b))
		}
	}
}

type timedSeq struct {
	at  time.Time
	seq uint64
}

func randomTimedSeq(r *rand.Rand) timedSeq {
	// Mix tight clusters with the full range so equal and near-equal
	// timestamps (where seq decides) come up often.
	nanos := r.Int64N(math.MaxInt64)
	if r.IntN(2) == 0 {
		nanos = 1_700_000_000_000_000_000 + r.Int64N(3)
	}
	return timedSeq{at: time.Unix(0, nanos), seq: r.Uint64N(4) << r.IntN(62)}
}

func TestTimeKeyOrderMatchesTimeThenSeq(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a, b := randomTimedSeq(r), randomTimedSeq(r)
		ka, err := TimeKey(a.at, a.seq)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := TimeKey(b.at, b.seq)
		if err != nil {
			t.Fatal(err)
		}
		want := cmp.Or(a.at.Compare(b.at), cmp.Compare(a.seq, b.seq))
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("compare(%v/%d, %v/%d) = %d, want %d", a.at, a.seq, b.at, b.seq, got, want)
		}
		at, seq, err := ParseTimeKey(ka)
		if err != nil || !at.Equal(a.at) || seq != a.seq || at.Location() != time.UTC {
			t.Fatalf("ParseTimeKey(TimeKey(%v, %d)) = %v, %d, %v", a.at, a.seq, at, seq, err)
		}
	}
}

func TestTimeKeyRejectsUnencodableTimes(t *testing.T) {
	for _, at := range []time.Time{
		time.Unix(0, -1),
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		if key, err := TimeKey(at, 0); err == nil {
			t.Errorf("TimeKey(%v) = %x, want an error", at, key)
		}
	}
	if _, err := TimeKey(time.Unix(0, 0), 0); err != nil {
		t.Errorf("TimeKey(epoch): %v", err)
	}
}

func TestParseTimeKeyRejectsMalformedKeys(t *testing.T) {
	beyondRange := append(Uint64Key(math.MaxInt64+1), Uint64Key(0)...)
	for _, b := range [][]byte{nil, make([]byte, 15), make([]byte, 17), beyondRange} {
		if _, _, err := ParseTimeKey(b); err == nil {
			t.Errorf("ParseTimeKey(%x) succeeded", b)
		}
	}
}

func TestJoinKeyOrderMatchesPartwiseOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	randomPart := func() []byte {
		// Small alphabet and lengths so shared prefixes are common.
		part := make([]byte, r.IntN(4))
		for i := range part {
			part[i] = "ab\x01\xff"[r.IntN(4)]
		}
		return part
	}
	for range 20000 {
		a := [][]byte{randomPart(), randomPart()}
		b := [][]byte{randomPart(), randomPart()}
		ka, err := JoinKey(a...)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := JoinKey(b...)
		if err != nil {
			t.Fatal(err)
		}
		want := cmp.Or(bytes.Compare(a[0], b[0]), bytes.Compare(a[1], b[1]))
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("compare(%q, %q) = %d, want %d", a, b, got, want)
		}
		if got := SplitKey(ka); !equalParts(got, a) {
			t.Fatalf("SplitKey(JoinKey(%q)) = %q", a, got)
		}
	}
}

func equalParts(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			return false
		}
	}
	return true
}

func TestJoinKeyPrefixAndErrors(t *testing.T) {
	prefix, err := JoinKey([]byte("tenant-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("tenant-1\x00"); !reflect.DeepEqual(prefix, want) {
		t.Errorf("prefix = %q, want %q", prefix, want)
	}
	for _, other := range []string{"tenant-10", "tenant-2"} {
		key, err := JoinKey([]byte(other), []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(key, prefix) {
			t.Errorf("key %q of another tenant matches prefix %q", key, prefix)
		}
	}

	if _, err := JoinKey([]byte("a\x00b")); !errors.Is(err, ErrKeyPartContainsSeparator) {
		t.Errorf("JoinKey with 0x00 in a part: err = %v", err)
	}
	if _, err := JoinKey(); err == nil {
		t.Error("JoinKey() with no parts should fail")
	}
}
