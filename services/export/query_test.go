package export

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/pkg/logs/simulate"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// secondsAfter is a fixed past instant plus n seconds.
func secondsAfter(n int) time.Time { return testNow.Add(-48*time.Hour + time.Duration(n)*time.Second) }

func TestListTimeBoundaries(t *testing.T) {
	h := newHarness(t, true)
	var batch []*exportv1.LogRecord
	for i := range 10 {
		batch = append(batch, event(secondsAfter(i), fmt.Sprint(i)), event(secondsAfter(i), fmt.Sprint(i, "b")))
	}
	h.mustIngest(t, deviceFW2, batch)
	ts := func(i int) *timestamppb.Timestamp { return timestamppb.New(secondsAfter(i)) }
	cases := []struct {
		start, end *timestamppb.Timestamp
		want       []string
	}{
		{ts(3), ts(5), []string{"3", "3b", "4", "4b"}},
		{ts(8), nil, []string{"8", "8b", "9", "9b"}},
		{nil, ts(1), []string{"0", "0b"}},
		{timestamppb.New(secondsAfter(2).Add(-time.Nanosecond)), timestamppb.New(secondsAfter(2).Add(time.Nanosecond)), []string{"2", "2b"}},
		{ts(4), ts(4), nil},
	}
	for _, tc := range cases {
		resp, err := h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: deviceFW2, StartTime: tc.start, EndTime: tc.end})
		if err != nil {
			t.Fatal(err)
		}
		if got := marksOf(resp.GetLogs()); !slices.Equal(got, tc.want) {
			t.Errorf("[%v, %v): %q, want %q", tc.start.AsTime(), tc.end.AsTime(), got, tc.want)
		}
	}
	_, err := h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: deviceFW2, StartTime: ts(5), EndTime: ts(4)})
	wantStatus(t, err, codes.InvalidArgument, "INVALID_TIME_RANGE")
}

func TestListCategories(t *testing.T) {
	h := newHarness(t, true)
	all := slices.Collect(simulate.New(3, time.UTC).Days(testNow, 1, 400))
	h.mustIngest(t, deviceFW2, all)
	names := []string{"traffic", "dns_filter", "common"}
	var want []*exportv1.LogRecord
	for _, r := range all {
		if c, _ := category.Of(r); slices.Contains(names, c.Name) {
			want = append(want, r)
		}
	}
	got, err := h.streamAll(asUser(owner), &exportv1.StreamLogsRequest{Parent: deviceFW2, Categories: names})
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, got, want)
	resp, err := h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: deviceFW2, Categories: []string{"sandbox"}, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.GetLogs() {
		if r.GetSandbox() == nil {
			t.Fatalf("sandbox filter returned %v", r)
		}
	}
	_, err = h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: deviceFW2, Categories: []string{"nonsense"}})
	wantStatus(t, err, codes.InvalidArgument, "")
}

func sameRecords(t *testing.T, got, want []*exportv1.LogRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

// listAll pages through a selection and returns every record.
func listAll(t *testing.T, h *harness, req *exportv1.ListLogsRequest) ([]*exportv1.LogRecord, int) {
	t.Helper()
	var out []*exportv1.LogRecord
	pages := 0
	for {
		resp, err := h.client.ListLogs(asUser(owner), req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		size := int(req.GetPageSize())
		if size == 0 {
			size = 100
		}
		if len(resp.GetLogs()) > size || (resp.GetNextPageToken() != "" && len(resp.GetLogs()) != size) {
			t.Fatalf("page %d holds %d records (page size %d)", pages, len(resp.GetLogs()), size)
		}
		out = append(out, resp.GetLogs()...)
		if resp.GetNextPageToken() == "" {
			return out, pages
		}
		req = proto.CloneOf(req)
		req.PageToken = resp.GetNextPageToken()
	}
}

func TestPaginationHasNoGapsOrDuplicates(t *testing.T) {
	h := newHarness(t, true)
	// Many records share a second, across categories, so the order within a
	// second (arrival) matters.
	var all []*exportv1.LogRecord
	for r := range simulate.New(5, time.UTC).Days(testNow, 2, 1200) {
		r.UtcTime.Seconds -= r.UtcTime.Seconds % 600
		r.DeviceTime = ""
		all = append(all, r)
	}
	h.mustIngest(t, deviceFW2, all[:1000], all[1000:])
	want, err := h.streamAll(asUser(owner), &exportv1.StreamLogsRequest{Parent: deviceFW2})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(all) {
		t.Fatalf("stream returned %d of %d", len(want), len(all))
	}
	for i := 1; i < len(want); i++ {
		if want[i].GetUtcTime().AsTime().Before(want[i-1].GetUtcTime().AsTime()) {
			t.Fatalf("stream out of time order at %d", i)
		}
	}
	for _, size := range []int32{0, 7, 333, 1000} {
		got, pages := listAll(t, h, &exportv1.ListLogsRequest{Parent: deviceFW2, PageSize: size})
		sameRecords(t, got, want)
		if size == 7 && pages < 300 {
			t.Fatalf("only %d pages of 7", pages)
		}
	}
	again, _ := listAll(t, h, &exportv1.ListLogsRequest{Parent: deviceFW2, PageSize: 333})
	sameRecords(t, again, want) // stable order
	_, err = h.client.ListLogs(asUser(owner), &exportv1.ListLogsRequest{Parent: deviceFW2, PageSize: 1001})
	wantStatus(t, err, codes.InvalidArgument, "")
}

func TestPageTokensAreTamperEvident(t *testing.T) {
	h := newHarness(t, true)
	var batch []*exportv1.LogRecord
	for i := range 30 {
		batch = append(batch, event(secondsAfter(i), fmt.Sprint(i)))
	}
	h.mustIngest(t, deviceFW2, batch)
	base := &exportv1.ListLogsRequest{Parent: deviceFW2, Categories: []string{"system_event"}, StartTime: timestamppb.New(secondsAfter(0)), PageSize: 5}
	first, err := h.client.ListLogs(asUser(owner), base)
	if err != nil {
		t.Fatal(err)
	}
	token := first.GetNextPageToken()
	next := func(edit func(r *exportv1.ListLogsRequest)) error {
		r := proto.CloneOf(base)
		r.PageToken = token
		edit(r)
		_, err := h.client.ListLogs(asUser(owner), r)
		return err
	}
	if err := next(func(*exportv1.ListLogsRequest) {}); err != nil {
		t.Fatalf("untouched token refused: %v", err)
	}
	if err := next(func(r *exportv1.ListLogsRequest) { r.PageSize = 9 }); err != nil {
		t.Fatalf("page size may change between pages: %v", err)
	}
	flipped := []byte(token)
	flipped[len(flipped)/2] ^= 0x01
	foreign := pagetoken.New([]byte("another deployment"), "export").Encode(make([]byte, 16), "anything")
	for name, edit := range map[string]func(r *exportv1.ListLogsRequest){
		"tampered":         func(r *exportv1.ListLogsRequest) { r.PageToken = string(flipped) },
		"truncated":        func(r *exportv1.ListLogsRequest) { r.PageToken = token[:len(token)-2] },
		"garbage":          func(r *exportv1.ListLogsRequest) { r.PageToken = "not-a-token" },
		"foreign":          func(r *exportv1.ListLogsRequest) { r.PageToken = foreign },
		"other categories": func(r *exportv1.ListLogsRequest) { r.Categories = []string{"system_event", "traffic"} },
		"other start":      func(r *exportv1.ListLogsRequest) { r.StartTime = timestamppb.New(secondsAfter(1)) },
		"end added":        func(r *exportv1.ListLogsRequest) { r.EndTime = timestamppb.New(secondsAfter(20)) },
		"other device":     func(r *exportv1.ListLogsRequest) { r.Parent = deviceFW1 },
	} {
		t.Run(name, func(t *testing.T) { wantStatus(t, next(edit), codes.InvalidArgument, "INVALID_PAGE_TOKEN") })
	}
}

func TestStreamLogs(t *testing.T) {
	h := newHarness(t, true)
	all := slices.Collect(simulate.New(9, time.UTC).Days(testNow, 1, 3000))
	h.mustIngest(t, deviceFW2, all)
	got, err := h.streamAll(asToken(deviceFW2), &exportv1.StreamLogsRequest{Parent: deviceFW2})
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, got, all)

	_, err = h.streamAll(asUser(owner), &exportv1.StreamLogsRequest{Parent: deviceFW2, Format: "csv", Categories: []string{"traffic", "common"}})
	wantStatus(t, err, codes.InvalidArgument, "CSV_NEEDS_ONE_CATEGORY")
	if _, err := h.streamAll(asUser(owner), &exportv1.StreamLogsRequest{Parent: deviceFW2, Format: "csv", Categories: []string{"traffic"}}); err != nil {
		t.Fatal(err)
	}

	// A client that goes away mid-stream ends the server's scan (goleak in
	// TestMain would catch a handler left running).
	ctx, cancel := context.WithCancel(asUser(owner))
	stream, err := h.client.StreamLogs(ctx, &exportv1.StreamLogsRequest{Parent: deviceFW2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the first batch
		t.Fatal(err)
	}
	cancel()
	for {
		if _, err := stream.Recv(); err != nil {
			wantStatus(t, err, codes.Canceled, "")
			break
		}
	}
}
