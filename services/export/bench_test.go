package export

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// BenchmarkStreamLogs streams 20k and 200k records of every category over
// gRPC and reports the rate and the heap: before the stream, at its peak
// (sampled every 10ms) and after it (following a GC). Memory is flat when
// the peak does not grow with the range.
func BenchmarkStreamLogs(b *testing.B) {
	for _, total := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("records=%d", total), func(b *testing.B) { benchmarkStream(b, total) })
	}
}

func benchmarkStream(b *testing.B, total int) {
	h := newHarness(b, true)
	gen := simulate.New(1, time.UTC)
	batch := make([]*exportv1.LogRecord, 0, 10_000)
	for r := range gen.Days(testNow, 20, total/20) {
		if batch = append(batch, r); len(batch) == cap(batch) {
			if err := h.store.Append(b.Context(), deviceFW2, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := h.store.Append(b.Context(), deviceFW2, batch); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := sampleHeap()
	start := time.Now()
	records := 0
	for b.Loop() {
		stream, err := h.client.StreamLogs(asUser(owner), &exportv1.StreamLogsRequest{Parent: deviceFW2})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			batch, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(batch.GetLogs())
		}
		if n != total {
			b.Fatalf("streamed %d records, want %d", n, total)
		}
		records += n
	}
	elapsed := time.Since(start)
	peakHeap := peak()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(before.HeapInuse)/(1<<20), "heap-before-MiB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "heap-peak-MiB")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-after-MiB")
}

// sampleHeap samples HeapInuse until the returned function is called,
// which returns the highest value seen.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkIngest sends batches of 1000 records through the ingest stream
// with fsync on, from 1 and from 8 concurrent collectors (whose batches
// the store groups into shared commits).
func BenchmarkIngest(b *testing.B) {
	for _, collectors := range []int{1, 8} {
		b.Run(map[int]string{1: "collectors=1", 8: "collectors=8"}[collectors], func(b *testing.B) {
			h := newHarness(b, false)
			var batches [][]*exportv1.LogRecord
			var batch []*exportv1.LogRecord
			for r := range simulate.New(2, time.UTC).Days(testNow, 1, 8000) {
				r.DeviceTime = ""
				if batch = append(batch, r); len(batch) == 1000 {
					batches, batch = append(batches, batch), nil
				}
			}
			start := time.Now()
			records := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range collectors {
					wg.Go(func() {
						mine := batches[c*len(batches)/collectors : (c+1)*len(batches)/collectors]
						if _, err := h.ingest(asPeer(), deviceFW2, mine...); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				records += 8000
			}
			b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		})
	}
}
