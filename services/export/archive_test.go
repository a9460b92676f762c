package export

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/logs/logline"
	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// vendorPair is the regular expression the vendor's own client parses
// archive lines with.
var vendorPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

// openArchive checks the tar's shape and returns the lines of its gzip.
func openArchive(t *testing.T, chunks [][]byte, date string) []string {
	t.Helper()
	for i, c := range chunks {
		if len(c) > archiveChunk || (i < len(chunks)-1 && len(c) != archiveChunk) {
			t.Fatalf("chunk %d of %d has %d bytes", i, len(chunks), len(c))
		}
	}
	tr := tar.NewReader(bytes.NewReader(bytes.Join(chunks, nil)))
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != date+".gzip" || hdr.Typeflag != tar.TypeReg {
		t.Fatalf("tar entry %q (type %c), want %s.gzip", hdr.Name, hdr.Typeflag, date)
	}
	zr, err := gzip.NewReader(tr)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("the tar holds more than one file: %v", err)
	}
	return lines
}

func TestArchiveIsTheDeviceDayInOpenAPIFormat(t *testing.T) {
	h := newHarness(t, true)
	kir, _ := time.LoadLocation("Pacific/Kiritimati")
	// testNow is 2026-05-11 00:30 in Kiritimati, so 2026-05-10 is the
	// latest complete day.
	dayStart := time.Date(2026, 5, 10, 0, 0, 0, 0, kir)
	dayEnd := dayStart.AddDate(0, 0, 1)
	day := slices.Collect(simulate.New(11, kir).Day(dayStart, 5000))
	day = append(day, simulate.EscapingSample(dayStart.Add(12*time.Hour), kir))
	slices.SortStableFunc(day, func(a, b *exportv1.LogRecord) int { return a.GetUtcTime().AsTime().Compare(b.GetUtcTime().AsTime()) })
	edges := []*exportv1.LogRecord{event(dayStart.Add(-time.Second), "before"), event(dayStart, "first"), event(dayEnd.Add(-time.Second), "last"), event(dayEnd, "after")}
	h.mustIngest(t, deviceKir, edges[:2], day, edges[2:])

	chunks, err := h.archive(asToken(deviceKir), deviceKir, "2026-05-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("%d chunks: the archive should span several", len(chunks))
	}
	lines := openArchive(t, chunks, "2026-05-10")
	want := append(append([]*exportv1.LogRecord{edges[1]}, day...), edges[2])
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		pairs := vendorPair.FindAllStringSubmatch(line, -1)
		if len(pairs) < 3 || pairs[0][1] != "log_type" || pairs[1][1] != "utc_time" || pairs[2][1] != "device_time" {
			t.Fatalf("line %d: vendor regex found %q", i, pairs)
		}
		if len(vendorPair.ReplaceAllString(line, "")) != len(pairs)-1 {
			t.Fatalf("line %d has text outside its pairs: %q", i, line)
		}
		if got := pairs[2][2]; got[:10] != "2026-05-10" {
			t.Fatalf("line %d: device_time %s is not on the archive's day", i, got)
		}
		r, err := logline.Decode([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if want[i].GetDeviceTime() == "" {
			want[i].DeviceTime = want[i].GetUtcTime().AsTime().In(kir).Format(logline.DeviceTimeLayout)
		}
		if !proto.Equal(r, want[i]) {
			t.Fatalf("line %d:\n got %v\nwant %v", i, r, want[i])
		}
	}
	assertSpoolEmpty(t, h)
}

func assertSpoolEmpty(t *testing.T, h *harness) {
	t.Helper()
	entries, err := os.ReadDir(h.spoolDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("spool holds %d leftover files", len(entries))
	}
}

func TestArchiveDateWindowInTheDeviceTimeZone(t *testing.T) {
	h := newHarness(t, true)
	cases := []struct {
		device, date string
		reason       string
	}{
		// Kiritimati (UTC+14): it is 2026-05-11 00:30 there.
		{deviceKir, "2026-05-11", "DATE_OUT_OF_RANGE"}, // today
		{deviceKir, "2026-05-12", "DATE_OUT_OF_RANGE"}, // future
		{deviceKir, "2026-05-10", "DATA_NOT_FOUND"},    // yesterday: allowed
		{deviceKir, "2026-04-10", "DATA_NOT_FOUND"},    // 31 days back: allowed
		{deviceKir, "2026-04-09", "DATE_OUT_OF_RANGE"}, // 32 days back
		// Pago Pago (UTC-11): it is still 2026-05-09 23:30 there.
		{devicePag, "2026-05-10", "DATE_OUT_OF_RANGE"}, // already yesterday in UTC
		{devicePag, "2026-05-09", "DATE_OUT_OF_RANGE"}, // today
		{devicePag, "2026-05-08", "DATA_NOT_FOUND"},
		{devicePag, "2026-04-08", "DATA_NOT_FOUND"},
		{devicePag, "2026-04-07", "DATE_OUT_OF_RANGE"},
		{devicePag, "2026-02-30", "BAD_DATE"},
		{devicePag, "2026-13-01", "BAD_DATE"},
	}
	for _, tc := range cases {
		t.Run(tc.device+" "+tc.date, func(t *testing.T) {
			_, err := h.archive(asToken(tc.device), tc.device, tc.date)
			code := codes.InvalidArgument
			if tc.reason == "DATA_NOT_FOUND" {
				code = codes.NotFound
			}
			wantStatus(t, err, code, tc.reason)
		})
	}
	_, err := h.archive(asToken(devicePag), devicePag, "2026/05/08")
	wantStatus(t, err, codes.InvalidArgument, "") // protovalidate: pattern
	assertSpoolEmpty(t, h)
}

func TestArchiveDataNotFoundForAnEmptyDay(t *testing.T) {
	h := newHarness(t, true)
	pag, _ := time.LoadLocation("Pacific/Pago_Pago")
	h.mustIngest(t, devicePag, []*exportv1.LogRecord{event(time.Date(2026, 5, 7, 23, 59, 59, 0, pag), "day before")})
	_, err := h.archive(asPeer(), devicePag, "2026-05-08")
	wantStatus(t, err, codes.NotFound, "DATA_NOT_FOUND")
	chunks, err := h.archive(asPeer(), devicePag, "2026-05-07")
	if err != nil {
		t.Fatal(err)
	}
	if lines := openArchive(t, chunks, "2026-05-07"); len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	assertSpoolEmpty(t, h)
}
