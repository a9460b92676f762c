package logjson

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// restJSON is the REST API's JSON form, which Append must reproduce.
var restJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func sampleRecords(n int) []*exportv1.LogRecord {
	var out []*exportv1.LogRecord
	for r := range simulate.New(3, time.UTC).Days(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 1, n) {
		out = append(out, r)
	}
	escaping := simulate.EscapingSample(time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC), time.UTC)
	fractional := simulate.EscapingSample(time.Date(2026, 5, 31, 12, 0, 0, 0, time.UTC), time.UTC)
	fractional.UtcTime = timestamppb.New(time.Date(2026, 5, 31, 12, 0, 0, 120_000_000, time.UTC))
	unset := &exportv1.LogRecord{LogType: 1, DeviceTime: "x\x01\t"}
	return append(out, escaping, fractional, unset)
}

// Append must render what protojson renders (compared as JSON values:
// protojson varies its whitespace on purpose), for every category.
func TestAppendMatchesProtojson(t *testing.T) {
	for i, r := range sampleRecords(500) {
		want, err := restJSON.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		var w, g any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("record %d: invalid JSON %s: %v", i, got, err)
		}
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
		back := &exportv1.LogRecord{}
		if err := protojson.Unmarshal(got, back); err != nil {
			t.Fatalf("record %d does not parse back: %v", i, err)
		}
	}
	if _, err := Append(nil, &exportv1.LogRecord{DeviceTime: "\xff"}); err == nil {
		t.Fatal("invalid UTF-8 must be refused, as protojson does")
	}
}

// BenchmarkAppend compares the encoder with protojson, per record.
func BenchmarkAppend(b *testing.B) {
	records := sampleRecords(2400)
	b.Run("protojson", func(b *testing.B) {
		var line []byte
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			line, _ = restJSON.MarshalAppend(line[:0], records[i%len(records)])
		}
	})
	b.Run("logjson", func(b *testing.B) {
		var line []byte
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			line, _ = Append(line[:0], records[i%len(records)])
		}
	})
}
