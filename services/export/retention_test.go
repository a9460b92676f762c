package export

import (
	"flag"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/config"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

func TestRetentionPurgesInTheBackground(t *testing.T) {
	h := newHarness(t, true)
	keep := 31 * 24 * time.Hour
	h.mustIngest(t, deviceFW2, []*exportv1.LogRecord{
		event(testNow.Add(-keep-time.Hour), "expired"),
		event(testNow.Add(-keep+time.Hour), "kept"),
		event(testNow.Add(-time.Minute), "fresh"),
	})
	stop := startRetention(h.store, keep, 5*time.Millisecond, h.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := marksOf(storedRecords(t, h, deviceFW2))
		if slices.Equal(got, []string{"kept", "fresh"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s the store holds %q", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.clock.mu.Lock()
	h.clock.now = h.clock.now.Add(2 * time.Hour) // "kept" expires too
	h.clock.mu.Unlock()
	for !slices.Equal(marksOf(storedRecords(t, h, deviceFW2)), []string{"fresh"}) {
		if time.Now().After(deadline) {
			t.Fatal("the second expiry was not purged")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPurgeDeviceLogs(t *testing.T) {
	h := newHarness(t, true)
	h.mustIngest(t, deviceFW2, []*exportv1.LogRecord{event(testNow, "a"), event(testNow, "b")})
	h.mustIngest(t, deviceFW1, []*exportv1.LogRecord{event(testNow, "other")})
	resp, err := h.client.PurgeDeviceLogs(asPeer(), &exportv1.PurgeDeviceLogsRequest{Device: deviceFW2})
	if err != nil || resp.GetDeletedRecords() != 2 {
		t.Fatalf("PurgeDeviceLogs = %v, %v", resp, err)
	}
	if n := len(storedRecords(t, h, deviceFW2)); n != 0 {
		t.Fatalf("%d records left", n)
	}
	if n := len(storedRecords(t, h, deviceFW1)); n != 1 {
		t.Fatalf("another device lost records: %d left", n)
	}
}

func TestSettings(t *testing.T) {
	for args, wantErr := range map[string]bool{"": false, "-retention=2160h": false, "-retention=30m": true, "-retention=-1h": true} {
		s := NewSettings().(*Settings)
		fs := flag.NewFlagSet("exportd", flag.ContinueOnError)
		s.Register(fs)
		if err := fs.Parse(strings.Fields(args)); err != nil {
			t.Fatal(err)
		}
		var p config.Problems
		s.Check(&p)
		if (p.Err() != nil) != wantErr {
			t.Errorf("%q: problems %v", args, p.Err())
		}
	}
	if s := NewSettings().(*Settings); s.Retention != 744*time.Hour {
		t.Errorf("default retention %s, want 744h", s.Retention)
	}
}

func TestChunkWriter(t *testing.T) {
	var chunks [][]byte
	w := &chunkWriter{send: func(b []byte) error { chunks = append(chunks, b); return nil }}
	data := make([]byte, 3*archiveChunk+123)
	for i := range data {
		data[i] = byte(i)
	}
	for _, part := range [][]byte{data[:10], data[10 : archiveChunk+5], data[archiveChunk+5:]} {
		if n, err := w.Write(part); err != nil || n != len(part) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 4 || len(chunks[3]) != 123 || !slices.Equal(slices.Concat(chunks...), data) {
		t.Fatalf("%d chunks", len(chunks))
	}
}
