package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// TestSoak runs a real `tollgate up` at a steady request rate for
// SOAK_DURATION (make soak: 10m) and checks that nothing fails, that the
// p99 of every window stays near the others, and that memory does not
// grow. SOAK_RATE (requests/s, default 100) and SOAK_WINDOW (default 1m)
// tune it; SOAK_WRITE_DOCS=1 writes the result table into
// docs/performance.md between the soak markers.
func TestSoak(t *testing.T) {
	if os.Getenv("SOAK_DURATION") == "" {
		t.Skip("set SOAK_DURATION to run the soak test (make soak)")
	}
	duration := envDuration(t, "SOAK_DURATION", 10*time.Minute)
	window := envDuration(t, "SOAK_WINDOW", time.Minute)
	rate := envInt(t, "SOAK_RATE", 100)
	if window > duration {
		window = duration
	}

	bin := buildBinary(t)
	s := startSuite(t, bin, t.TempDir(), "--log-level", "error", "--token-rate", "100000", "--token-burst", "100000",
		"--max-tokens-per-device", "10000")
	pid := s.cmd.Process.Pid
	rest := newRESTClient(s.state.BaseURL, 10*time.Second)
	owner := userAuthz(t, s.state.DevUserKey, "owner@example.com")
	member := userAuthz(t, s.state.DevUserKey, "member@example.com")
	rest.must(t, 200, "POST", "/v1/organizations?organization_id=acme", owner, `{"display_name":"Acme"}`)
	for i, d := range []string{"fw1", "fw2"} {
		rest.must(t, 200, "POST", "/v1/organizations/acme/devices?device_id="+d, owner, deviceBody(d, fmt.Sprintf("SOAK%04d", i), macFor(i)))
	}
	rest.must(t, 200, "POST", "/v1/members", owner, `{"email":"member@example.com","access_privilege":"PRIVILEGE_MEMBER"}`)
	secret := rest.must(t, 200, "POST", "/v1/organizations/acme/devices/fw1/apiTokens", owner, `{"display_name":"siem"}`).json()["secret"].(string)
	col := dialCollector(t, s.state)
	defer col.close()
	if _, err := ingestSimulated(context.Background(), col.tenancy, col.export, "organizations/acme/devices/fw1", 2, 2000, 5, 1000); err != nil {
		t.Fatal(err)
	}
	pool := crashRecordPool()
	hourAgo := time.Now().Add(-26 * time.Hour).Truncate(time.Hour)
	streamPath := fmt.Sprintf("/v1/organizations/acme/devices/fw1/logs:stream?start_time=%s&end_time=%s",
		hourAgo.UTC().Format(time.RFC3339), hourAgo.Add(time.Hour).UTC().Format(time.RFC3339))
	tok := bearer(secret)

	// The mix: reads with tokens and users, writes of settings and tokens,
	// and ingest (into fw2, which nothing reads, so reads stay the same size).
	type op struct {
		name   string
		weight int
		run    func(ctx context.Context, n int64) error
	}
	get := func(path, authz string) func(context.Context, int64) error {
		return func(ctx context.Context, _ int64) error { return expect200(rest.call(ctx, "GET", path, authz, "")) }
	}
	ops := []op{
		{"token introspection", 25, get("/v1/token", tok)},
		{"logs page (token)", 20, get("/v1/organizations/acme/devices/fw1/logs?page_size=50", tok)},
		{"organization (owner)", 15, get("/v1/organizations/acme", owner)},
		{"devices (member)", 10, get("/v1/organizations/acme/devices", member)},
		{"members (owner)", 5, get("/v1/members", owner)},
		{"logs stream, 1 h (token)", 5, get(streamPath, tok)},
		{"rename device", 8, func(ctx context.Context, n int64) error {
			return expect200(rest.call(ctx, "PATCH", "/v1/organizations/acme/devices/fw2?update_mask=display_name", owner, fmt.Sprintf(`{"display_name":"fw2 %d"}`, n)))
		}},
		{"create + revoke token", 5, func(ctx context.Context, n int64) error {
			r, err := rest.call(ctx, "POST", "/v1/organizations/acme/devices/fw2/apiTokens", owner, fmt.Sprintf(`{"display_name":"soak %d"}`, n))
			if err := expect200(r, err); err != nil {
				return err
			}
			name, _ := r.json()["api_token"].(map[string]any)["name"].(string)
			return expect200(rest.call(ctx, "DELETE", "/v1/"+name, owner, ""))
		}},
		{"ingest 20 records", 7, func(ctx context.Context, n int64) error {
			recs := make([]*exportv1.LogRecord, 20)
			for i := range recs {
				recs[i] = proto.Clone(pool[(int(n)*20+i)%len(pool)]).(*exportv1.LogRecord)
				recs[i].UtcTime = timestamppb.New(time.Now().Add(-time.Duration(rand.IntN(3600)) * time.Second))
				recs[i].DeviceTime = ""
			}
			got, err := col.ingestOneBatch(ctx, "organizations/acme/devices/fw2", recs)
			if err == nil && got != int64(len(recs)) {
				err = fmt.Errorf("accepted %d of %d", got, len(recs))
			}
			return err
		}},
	}
	var pick []int
	for i, o := range ops {
		for range o.weight {
			pick = append(pick, i)
		}
	}

	type sample struct {
		op  int
		lat time.Duration
		err error
	}
	var (
		mu      sync.Mutex
		current []sample
		dropped atomic.Int64
	)
	jobs := make(chan int64, 64)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for n := range jobs {
				o := pick[int(n)%len(pick)]
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				start := time.Now()
				err := ops[o].run(ctx, n)
				lat := time.Since(start)
				cancel()
				mu.Lock()
				current = append(current, sample{op: o, lat: lat, err: err})
				mu.Unlock()
			}
		})
	}

	var windows []soakWindow
	perOp := map[string][]time.Duration{} // p99 per window
	began := time.Now()
	cpuBefore, windowStart := processCPU(pid), began
	tick := time.NewTicker(time.Second / time.Duration(rate))
	windowEnd := began.Add(window)
	var n, droppedBefore int64
	shuffle := rand.New(rand.NewPCG(7, 7))
	for now := range tick.C {
		if now.After(windowEnd) || now.Sub(began) >= duration {
			mu.Lock()
			got := current
			current = nil
			mu.Unlock()
			w := summarize(len(windows)+1, got, func(s sample) (time.Duration, error) { return s.lat, s.err })
			w.dropped = dropped.Swap(0)
			droppedBefore += w.dropped
			w.rss, w.anon = processMemory(pid)
			cpuNow := processCPU(pid)
			w.cpu = (cpuNow - cpuBefore).Seconds() / now.Sub(windowStart).Seconds()
			cpuBefore, windowStart = cpuNow, now
			w.load = loadAverage()
			for i, o := range ops {
				var lats []time.Duration
				for _, s := range got {
					if s.op == i {
						lats = append(lats, s.lat)
					}
				}
				perOp[o.name] = append(perOp[o.name], p99Of(lats))
			}
			w.heap, w.goroutines = goMetrics(rest)
			windows = append(windows, w)
			fmt.Printf("soak %s\n", w.row())
			for _, s := range got {
				if s.err != nil {
					t.Errorf("window %d, %s: %v", w.index, ops[s.op].name, s.err)
					break
				}
			}
			windowEnd = windowEnd.Add(window)
			if now.Sub(began) >= duration {
				break
			}
		}
		// Open loop: catch up on ticks the ticker dropped (a busy host), so
		// the rate holds on average; a request the workers cannot take is
		// counted as dropped.
		for due := int64(now.Sub(began).Seconds() * float64(rate)); n+dropped.Load()+droppedBefore < due; {
			select {
			case jobs <- int64(shuffle.Uint32()):
				n++
			default:
				dropped.Add(1)
			}
		}
	}
	tick.Stop()
	close(jobs)
	waitBounded(t, &wg, 30*time.Second, "soak workers")

	verdict := judgeSoak(windows)
	table := soakTable(windows, verdict, duration, rate, n)
	var opRows strings.Builder
	opRows.WriteString("\np99 per operation and window (ms):\n\n| operation |")
	for _, w := range windows {
		fmt.Fprintf(&opRows, " %d |", w.index)
	}
	opRows.WriteString("\n|---|" + strings.Repeat("---|", len(windows)) + "\n")
	for _, o := range ops {
		fmt.Fprintf(&opRows, "| %s |", o.name)
		for _, p := range perOp[o.name] {
			fmt.Fprintf(&opRows, " %.1f |", ms(p))
		}
		opRows.WriteString("\n")
	}
	table += opRows.String()
	t.Log("\n" + table)
	for _, w := range windows {
		if w.errors > 0 || w.dropped > 0 {
			t.Errorf("window %d: %d errors, %d requests not sent (workers saturated)", w.index, w.errors, w.dropped)
		}
	}
	for _, v := range verdict.problems {
		t.Error(v)
	}
	if os.Getenv("SOAK_WRITE_DOCS") == "1" {
		if err := writeSoakDocs(table); err != nil {
			t.Fatal(err)
		}
	}
}

func expect200(r restReply, err error) error {
	if err != nil {
		return err
	}
	if r.status != 200 {
		return fmt.Errorf("%d %s", r.status, truncate(r.body, 200))
	}
	return nil
}

type soakWindow struct {
	index            int
	requests, errors int
	dropped          int64
	p50, p99, max    time.Duration
	rss, anon, heap  int64 // bytes
	goroutines       int64
	cpu              float64 // the suite's CPU use over the window, in cores
	load             float64 // the host's 1-minute load average at the window's end
}

func (w soakWindow) row() string {
	return fmt.Sprintf("| %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %.2f | %.1f |", w.index, w.requests, w.errors+int(w.dropped),
		ms(w.p50), ms(w.p99), ms(w.max), mib(w.rss), mib(w.anon), mib(w.heap), w.goroutines, w.cpu, w.load)
}

func p99Of(lats []time.Duration) time.Duration {
	if len(lats) == 0 {
		return 0
	}
	slices.Sort(lats)
	return lats[min(len(lats)-1, len(lats)*99/100)]
}

// processCPU is the user+system CPU time pid has used.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 12th and 13th of them, in clock ticks (100 per second).
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// loadAverage is the host's 1-minute load average.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

func summarize[S any](index int, samples []S, get func(S) (time.Duration, error)) soakWindow {
	w := soakWindow{index: index, requests: len(samples)}
	lats := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		lat, err := get(s)
		if err != nil {
			w.errors++
		}
		lats = append(lats, lat)
	}
	slices.Sort(lats)
	if len(lats) > 0 {
		w.p50 = lats[len(lats)/2]
		w.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
		w.max = lats[len(lats)-1]
	}
	return w
}

// processMemory reads VmRSS and RssAnon (anonymous memory: the heap and
// stacks, without the bbolt files' mapped pages) of pid.
func processMemory(pid int) (rss, anon int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "RssAnon:":
			anon = kb << 10
		}
	}
	return rss, anon
}

// goMetrics reads the heap in use and the goroutine count from /metrics.
func goMetrics(rest *restClient) (heap, goroutines int64) {
	r, err := rest.call(context.Background(), "GET", "/metrics", "", "")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(r.body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(strings.TrimSpace(value), 64)
		switch name {
		case "go_memstats_heap_inuse_bytes":
			heap = int64(v)
		case "go_goroutines":
			goroutines = int64(v)
		}
	}
	return heap, goroutines
}

type soakVerdict struct {
	p99Median   time.Duration
	p99Slope    float64 // nanoseconds per window, after the first window
	anonSlope   float64 // bytes per window, after the first window
	heapSlope   float64
	problems    []string
	summaryLine string
}

// judgeSoak: every window's p99 within 2× the median p99 (+10 ms for
// scheduling noise on a small machine) and no upward p99 trend; no growth trend of anonymous
// memory or heap after the first (warm-up) window — the least-squares
// slope over the run must add up to less than 10 % (and 8 MiB); goroutines
// do not pile up.
func judgeSoak(ws []soakWindow) soakVerdict {
	var v soakVerdict
	if len(ws) == 0 {
		v.problems = append(v.problems, "no windows")
		return v
	}
	p99s := make([]time.Duration, len(ws))
	for i, w := range ws {
		p99s[i] = w.p99
	}
	sorted := slices.Clone(p99s)
	slices.Sort(sorted)
	v.p99Median = sorted[len(sorted)/2]
	for _, w := range ws {
		if w.p99 > 2*v.p99Median+10*time.Millisecond {
			v.problems = append(v.problems, fmt.Sprintf("window %d: p99 %.1f ms against a median of %.1f ms", w.index, ms(w.p99), ms(v.p99Median)))
		}
	}
	steady := ws
	if len(ws) > 2 {
		steady = ws[1:]
	}
	// A drift is a problem even when no single window stands out: the p99
	// trend over the run must stay under the first steady window's p99
	// (+5 ms).
	if len(steady) >= 3 {
		ys := make([]float64, len(steady))
		for i, w := range steady {
			ys[i] = float64(w.p99)
		}
		v.p99Slope = slopeOf(ys)
		if drift := time.Duration(v.p99Slope * float64(len(ys)-1)); drift > steady[0].p99+5*time.Millisecond {
			v.problems = append(v.problems, fmt.Sprintf("p99 drifts up: %+.1f ms over %d windows (from %.1f ms)", ms(drift), len(ys), ms(steady[0].p99)))
		}
	}
	growth := func(name string, get func(soakWindow) int64) float64 {
		ys := make([]float64, len(steady))
		for i, w := range steady {
			ys[i] = float64(get(w))
		}
		slope := slopeOf(ys)
		total := slope * float64(len(ys)-1)
		mean := 0.0
		for _, y := range ys {
			mean += y / float64(len(ys))
		}
		if len(ys) >= 3 && total > 0.10*mean && total > 8<<20 {
			v.problems = append(v.problems, fmt.Sprintf("%s grows: +%.1f MiB over %d windows (mean %.1f MiB)", name, total/(1<<20), len(ys), mean/(1<<20)))
		}
		return slope
	}
	v.anonSlope = growth("anonymous RSS", func(w soakWindow) int64 { return w.anon })
	v.heapSlope = growth("Go heap", func(w soakWindow) int64 { return w.heap })
	if first, last := steady[0].goroutines, steady[len(steady)-1].goroutines; last > first+50 {
		v.problems = append(v.problems, fmt.Sprintf("goroutines grow: %d → %d", first, last))
	}
	verdict := "PASS"
	if len(v.problems) > 0 {
		verdict = "FAIL: " + strings.Join(v.problems, "; ")
	}
	v.summaryLine = fmt.Sprintf("%s — median p99 %.1f ms; trend after warm-up: p99 %+.1f ms/window, anonymous RSS %+.2f MiB/window, Go heap %+.2f MiB/window",
		verdict, ms(v.p99Median), v.p99Slope/1e6, v.anonSlope/(1<<20), v.heapSlope/(1<<20))
	return v
}

// slopeOf is the least-squares slope of ys against 0, 1, 2, ….
func slopeOf(ys []float64) float64 {
	n := float64(len(ys))
	if n < 2 {
		return 0
	}
	var sx, sy, sxy, sxx float64
	for i, y := range ys {
		x := float64(i)
		sx, sy, sxy, sxx = sx+x, sy+y, sxy+x*y, sxx+x*x
	}
	d := n*sxx - sx*sx
	if d == 0 || math.IsNaN(d) {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func soakTable(ws []soakWindow, v soakVerdict, duration time.Duration, rate, sent int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Steady %d requests/s for %s against one `tollgate up` (built without -race), %d requests in all: token introspection 25 %%, "+
		"log pages 20 %%, organization/devices/members reads 30 %%, 1-hour log streams 5 %%, device renames 8 %%, token create+revoke 5 %%, "+
		"20-record ingest batches 7 %% (gRPC). One row per window; RSS and anonymous RSS from /proc, heap and goroutines from /metrics at the window's end; "+
		"suite CPU is the suite process's CPU time over the window, host load the 1-minute load average of the whole machine (other work on the host shows there).\n\n",
		rate, duration, sent)
	b.WriteString("| window | requests | errors | p50 ms | p99 ms | max ms | RSS MiB | anon RSS MiB | Go heap MiB | goroutines | suite CPU (cores) | host load |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range ws {
		b.WriteString(w.row() + "\n")
	}
	fmt.Fprintf(&b, "\nVerdict: %s.\n", v.summaryLine)
	return b.String()
}

// writeSoakDocs replaces the soak section of docs/performance.md (between
// its markers), or appends one.
func writeSoakDocs(table string) error {
	path := filepath.Join("..", "..", "docs", "performance.md")
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	section := fmt.Sprintf("<!-- soak:begin -->\n## Soak\n\nMeasured %s on %s (%d cores, %s %s/%s) with `make soak` "+
		"(`SOAK_DURATION=%s`; `cd cmd/tollgate && SOAK_DURATION=10m go test -run TestSoak -v -timeout 30m .`).\n\n%s<!-- soak:end -->",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		os.Getenv("SOAK_DURATION"), table)
	text := string(old)
	begin, end := strings.Index(text, "<!-- soak:begin -->"), strings.Index(text, "<!-- soak:end -->")
	if begin >= 0 && end > begin {
		text = text[:begin] + section + text[end+len("<!-- soak:end -->"):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
