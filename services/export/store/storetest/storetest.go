// Package storetest is the conformance suite for export store
// implementations.
package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	"github.com/tollgate/tollgate/services/export/store"
)

// Opener opens the store kept in dir; each call must see what stores
// opened earlier on dir made durable. closeAll releases the store and
// whatever holds its files, so dir can be opened again.
type Opener func(t *testing.T, dir string) (s store.Store, closeAll func())

const (
	deviceA = "organizations/acme/devices/fw-a"
	deviceB = "organizations/acme/devices/fw-b"
)

// base is a fixed instant so failures are reproducible.
var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"ScanIsInTimeThenArrivalOrder", testOrder},
		{"CategoryFilter", testCategoryFilter},
		{"TimeRange", testTimeRange},
		{"DevicesAreIsolated", testDevicesIsolated},
		{"ResumeAfterCursorAndLimit", testResume},
		{"YieldFalseStops", testYieldStops},
		{"CanceledContext", testCanceled},
		{"DurableAcrossReopen", testDurable},
		{"ConcurrentAppends", testConcurrentAppends},
		{"PurgeBefore", testPurgeBefore},
		{"PurgeDevice", testPurgeDevice},
		{"AppendAfterClose", testAppendAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func openFresh(t *testing.T, open Opener) store.Store {
	t.Helper()
	s, closeAll := open(t, t.TempDir())
	t.Cleanup(closeAll)
	return s
}

// rec returns a record of category logType at base+sec, tagged with mark
// (kept in device_time, which the store treats as opaque).
func rec(logType int32, sec int64, mark string) *exportv1.LogRecord {
	c, ok := category.ByLogType(logType)
	if !ok {
		panic(fmt.Sprintf("no category %d", logType))
	}
	r := &exportv1.LogRecord{
		LogType:    logType,
		UtcTime:    timestamppb.New(base.Add(time.Duration(sec) * time.Second)),
		DeviceTime: mark,
	}
	c.Fields(r)
	return r
}

func appendAll(t *testing.T, s store.Store, device string, records ...*exportv1.LogRecord) {
	t.Helper()
	if err := s.Append(t.Context(), device, records); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func scanAll(t *testing.T, s store.Store, q store.Query) []store.Entry {
	t.Helper()
	var out []store.Entry
	if err := s.Scan(t.Context(), q, func(e store.Entry) bool { out = append(out, e); return true }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

func marks(entries []store.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Record.GetDeviceTime()
	}
	return out
}

func wantMarks(t *testing.T, got []store.Entry, want ...string) {
	t.Helper()
	if g := marks(got); !slices.Equal(g, want) {
		t.Fatalf("records %q, want %q", g, want)
	}
}

func testOrder(t *testing.T, open Opener) {
	s := openFresh(t, open)
	appendAll(t, s, deviceA, rec(2, 30, "traffic@30"), rec(0, 10, "common@10"), rec(21, 20, "dns@20"))
	appendAll(t, s, deviceA, rec(0, 20, "common@20"), rec(2, 5, "traffic@5"), rec(23, 20, "dut@20"))
	got := scanAll(t, s, store.Query{Device: deviceA})
	wantMarks(t, got, "traffic@5", "common@10", "dns@20", "common@20", "dut@20", "traffic@30")
	in := rec(2, 30, "traffic@30")
	if !proto.Equal(got[5].Record, in) {
		t.Fatalf("stored %v, want %v", got[5].Record, in)
	}
	for i := 1; i < len(got); i++ {
		if string(got[i-1].Cursor[:]) >= string(got[i].Cursor[:]) {
			t.Fatalf("cursors not increasing at %d", i)
		}
	}
}

func testCategoryFilter(t *testing.T, open Opener) {
	s := openFresh(t, open)
	for i := range int64(48) {
		appendAll(t, s, deviceA, rec(int32(i%category.Count), i, fmt.Sprint(i)))
	}
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA, LogTypes: []int32{2}}), "2", "26")
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA, LogTypes: []int32{23, 0}}), "0", "23", "24", "47")
	if got := scanAll(t, s, store.Query{Device: deviceA}); len(got) != 48 {
		t.Fatalf("all categories: %d records, want 48", len(got))
	}
}

func testTimeRange(t *testing.T, open Opener) {
	s := openFresh(t, open)
	for i := range int64(10) {
		appendAll(t, s, deviceA, rec(int32(i%3), i, fmt.Sprint(i)))
	}
	at := func(sec int64) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	cases := []struct {
		start, end time.Time
		want       []string
	}{
		{at(3), at(6), []string{"3", "4", "5"}},
		{at(3), time.Time{}, []string{"3", "4", "5", "6", "7", "8", "9"}},
		{time.Time{}, at(2), []string{"0", "1"}},
		{at(2).Add(-time.Nanosecond), at(3).Add(time.Nanosecond), []string{"2", "3"}},
		{at(5), at(5), nil},
		{at(6), at(5), nil},
		{at(100), time.Time{}, nil},
		{time.Unix(-100, 0), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	}
	for _, tc := range cases {
		got := scanAll(t, s, store.Query{Device: deviceA, Start: tc.start, End: tc.end})
		if g := marks(got); !slices.Equal(g, tc.want) {
			t.Errorf("[%s, %s): %q, want %q", tc.start, tc.end, g, tc.want)
		}
	}
}

func testDevicesIsolated(t *testing.T, open Opener) {
	s := openFresh(t, open)
	appendAll(t, s, deviceA, rec(1, 1, "a"))
	appendAll(t, s, deviceB, rec(1, 1, "b"))
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA}), "a")
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceB}), "b")
	wantMarks(t, scanAll(t, s, store.Query{Device: "organizations/acme/devices/none"}))
}

// testResume pages through more records than one read transaction takes,
// with several page sizes, and checks that pages concatenate to the full
// scan: no duplicates, no gaps.
func testResume(t *testing.T, open Opener) {
	s := openFresh(t, open)
	rng := rand.New(rand.NewPCG(1, 2))
	var batch []*exportv1.LogRecord
	for i := range 1500 {
		batch = append(batch, rec(int32(rng.IntN(category.Count)), rng.Int64N(600), fmt.Sprint(i)))
	}
	appendAll(t, s, deviceA, batch...)
	full := scanAll(t, s, store.Query{Device: deviceA})
	if len(full) != len(batch) {
		t.Fatalf("full scan: %d records, want %d", len(full), len(batch))
	}
	for _, size := range []int{1, 7, 500, 513, 2000} {
		var paged []store.Entry
		var after store.Cursor
		for {
			page := scanAll(t, s, store.Query{Device: deviceA, After: after, Limit: size})
			if len(page) > size {
				t.Fatalf("limit %d: got %d", size, len(page))
			}
			paged = append(paged, page...)
			if len(page) < size {
				break
			}
			after = page[len(page)-1].Cursor
		}
		if !slices.Equal(marks(paged), marks(full)) {
			t.Fatalf("page size %d: paged scan differs from the full scan", size)
		}
	}
}

func testYieldStops(t *testing.T, open Opener) {
	s := openFresh(t, open)
	for i := range int64(1200) {
		appendAll(t, s, deviceA, rec(0, i, fmt.Sprint(i)))
	}
	calls := 0
	err := s.Scan(t.Context(), store.Query{Device: deviceA}, func(store.Entry) bool { calls++; return calls < 600 })
	if err != nil || calls != 600 {
		t.Fatalf("yield called %d times (err %v), want 600", calls, err)
	}
}

func testCanceled(t *testing.T, open Opener) {
	s := openFresh(t, open)
	appendAll(t, s, deviceA, rec(0, 1, "x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Scan(ctx, store.Query{Device: deviceA}, func(store.Entry) bool { return true }); err == nil {
		t.Fatal("Scan with a canceled context succeeded")
	}
}

func testDurable(t *testing.T, open Opener) {
	dir := t.TempDir()
	s, closeAll := open(t, dir)
	appendAll(t, s, deviceA, rec(3, 1, "one"), rec(4, 2, "two"))
	closeAll()
	s, closeAll = open(t, dir)
	defer closeAll()
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA}), "one", "two")
	appendAll(t, s, deviceA, rec(3, 1, "three"))
	got := scanAll(t, s, store.Query{Device: deviceA})
	wantMarks(t, got, "one", "three", "two")
	if got[0].Cursor == got[1].Cursor {
		t.Fatal("sequence numbers restarted after reopening")
	}
}

func testConcurrentAppends(t *testing.T, open Opener) {
	s := openFresh(t, open)
	const writers, batches, perBatch = 8, 10, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var records []*exportv1.LogRecord
				for i := range perBatch {
					records = append(records, rec(int32(w%category.Count), int64(b), fmt.Sprintf("%d/%d/%d", w, b, i)))
				}
				if err := s.Append(context.Background(), deviceA, records); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := scanAll(t, s, store.Query{Device: deviceA})
	if len(got) != writers*batches*perBatch {
		t.Fatalf("%d records, want %d", len(got), writers*batches*perBatch)
	}
	seen := map[string]bool{}
	for _, m := range marks(got) {
		if seen[m] {
			t.Fatalf("record %s stored twice", m)
		}
		seen[m] = true
	}
	// Within one second, one writer's records keep their order.
	last := map[string]int{}
	for _, e := range got {
		var w, b, i int
		fmt.Sscanf(e.Record.GetDeviceTime(), "%d/%d/%d", &w, &b, &i)
		key := fmt.Sprint(w, "/", b)
		if prev, ok := last[key]; ok && prev > i {
			t.Fatalf("writer %s: record %d after %d", key, i, prev)
		}
		last[key] = i
	}
}

func testPurgeBefore(t *testing.T, open Opener) {
	s := openFresh(t, open)
	// More expired records in one bucket than one purge transaction takes.
	const old = 10_500
	batch := make([]*exportv1.LogRecord, 0, old)
	for i := range old {
		batch = append(batch, rec(2, int64(i%100), "old"))
	}
	appendAll(t, s, deviceA, batch...)
	appendAll(t, s, deviceA, rec(5, 50, "old"), rec(2, 100, "keep-at-cutoff"), rec(6, 200, "keep"))
	appendAll(t, s, deviceB, rec(7, 10, "old"), rec(7, 150, "keep-b"))
	n, err := s.PurgeBefore(t.Context(), base.Add(100*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if n != old+2 {
		t.Fatalf("purged %d, want %d", n, old+2)
	}
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA}), "keep-at-cutoff", "keep")
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceB}), "keep-b")
	if n, err := s.PurgeBefore(t.Context(), base.Add(100*time.Second)); err != nil || n != 0 {
		t.Fatalf("second purge: %d, %v", n, err)
	}
}

func testPurgeDevice(t *testing.T, open Opener) {
	s := openFresh(t, open)
	appendAll(t, s, deviceA, rec(0, 1, "a"), rec(1, 2, "a"), rec(1, 3, "a"))
	appendAll(t, s, deviceB, rec(0, 1, "b"))
	n, err := s.PurgeDevice(t.Context(), deviceA)
	if err != nil || n != 3 {
		t.Fatalf("PurgeDevice = %d, %v; want 3", n, err)
	}
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA}))
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceB}), "b")
	if n, err := s.PurgeDevice(t.Context(), deviceA); err != nil || n != 0 {
		t.Fatalf("purging again = %d, %v", n, err)
	}
	appendAll(t, s, deviceA, rec(0, 9, "again"))
	wantMarks(t, scanAll(t, s, store.Query{Device: deviceA}), "again")
}

func testAppendAfterClose(t *testing.T, open Opener) {
	s := openFresh(t, open)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(t.Context(), deviceA, []*exportv1.LogRecord{rec(0, 1, "x")}); err == nil {
		t.Fatal("Append after Close succeeded")
	}
}
