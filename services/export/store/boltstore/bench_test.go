package boltstore

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/boltdb"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

func openBench(b *testing.B, noSync bool) *Store {
	db, err := boltdb.Open(filepath.Join(b.TempDir(), "export.db"), Schema, boltdb.Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db)
	b.Cleanup(func() {
		_ = s.Close()
		_ = db.Close()
	})
	return s
}

func benchBatch(n int, from time.Time) []*exportv1.LogRecord {
	out := make([]*exportv1.LogRecord, n)
	for i := range out {
		out[i] = &exportv1.LogRecord{
			LogType: 2,
			UtcTime: timestamppb.New(from.Add(time.Duration(i) * time.Second)),
			Category: &exportv1.LogRecord_Traffic{Traffic: &exportv1.TrafficLog{
				TrafficDuration: 12, TrafficAppName: "HTTPS", Rx: 52_000, Tx: 4_100, TrafficProtocol: "TCP",
				Srcip: "192.168.1.20", Srcport: 51514, Dstip: "142.250.74.27", Dstport: 443, User: "alice",
			}},
		}
	}
	return out
}

// BenchmarkAppend appends batches of 100 with fsync on; concurrent writers
// share commits, so their records/s should exceed a single writer's.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openBench(b, false)
			batch := benchBatch(100, time.Unix(1_700_000_000, 0))
			start, records := time.Now(), 0
			for b.Loop() {
				var wg sync.WaitGroup
				for range writers {
					wg.Go(func() {
						if err := s.Append(b.Context(), "organizations/o/devices/d", batch); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				records += writers * len(batch)
			}
			b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkScan reads 200k records of one device, all categories merged.
func BenchmarkScan(b *testing.B) {
	s := openBench(b, true)
	const total = 200_000
	for i := range total / 10_000 {
		if err := s.Append(b.Context(), "organizations/o/devices/d", benchBatch(10_000, time.Unix(1_700_000_000+int64(i)*10_000, 0))); err != nil {
			b.Fatal(err)
		}
	}
	start, records := time.Now(), 0
	for b.Loop() {
		n := 0
		err := s.Scan(b.Context(), store.Query{Device: "organizations/o/devices/d"}, func(store.Entry) bool { n++; return true })
		if err != nil || n != total {
			b.Fatalf("scanned %d, %v", n, err)
		}
		records += n
	}
	b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
}
