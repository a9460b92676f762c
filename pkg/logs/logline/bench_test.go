package logline

import (
	"testing"

	"github.com/tollgate/tollgate/pkg/logs/category"
)

func BenchmarkAppend(b *testing.B) {
	c, _ := category.ByName("traffic")
	r := populated(c)
	buf := make([]byte, 0, 1024)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = Append(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecode(b *testing.B) {
	c, _ := category.ByName("traffic")
	line, err := Append(nil, populated(c))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(line); err != nil {
			b.Fatal(err)
		}
	}
}
