package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// goBench is one `go test -bench` run of benchmarks already in the repo.
type goBench struct {
	dir  string // module directory, relative to the repo root
	args []string
}

func (g goBench) command() string {
	return "cd " + g.dir + " && go test -run '^$' " + strings.Join(quoteArgs(g.args), " ")
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "|*^$ ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// goBenchmarks are the repo's micro-benchmarks that back figures in
// docs/performance.md (scenario 2 and the building blocks of 4 and 5).
var goBenchmarks = []goBench{
	{"pkg", []string{"-bench", "BenchmarkParseVerify", "-benchmem", "./apitoken"}},
	{"gateway", []string{"-bench", "BenchmarkTokenAuth", "-benchmem", "."}},
	{"services/token", []string{"-bench", "BenchmarkValidate", "-benchmem", "."}},
	{"cmd/tollgate", []string{"-bench", "BenchmarkValidateTokenMiss", "-benchtime", "3s", "."}},
	{"services/export", []string{"-bench", "BenchmarkStreamLogs|BenchmarkIngest", "."}},
	{"services/export", []string{"-bench", "BenchmarkScan", "./store/..."}},
	{"pkg", []string{"-bench", ".", "-benchmem", "./logs/logline"}},
	{"pkg", []string{"-bench", "BenchmarkAppend", "-benchmem", "./logs/logjson"}},
	// The harness's own: evidence for the proposed changes (docs/performance.md).
	{"cmd/tollgate-bench", []string{"-bench", "BenchmarkEdgeBuildingBlocks", "-benchmem", "."}},
}

// benchLine is one parsed result line.
type benchLine struct {
	name    string
	metrics [][2]string // value, unit
}

func (b benchLine) metric(unit string) (float64, bool) {
	for _, m := range b.metrics {
		if m[1] == unit {
			v, err := strconv.ParseFloat(m[0], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func parseBenchOutput(out []byte) []benchLine {
	var lines []benchLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		b := benchLine{name: name}
		for i := 2; i+1 < len(f); i += 2 {
			b.metrics = append(b.metrics, [2]string{f[i], f[i+1]})
		}
		lines = append(lines, b)
	}
	return lines
}

func fmtNs(ns float64) string {
	switch {
	case ns < 1000:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

// goBenchFailures are the go test runs that failed (make bench then
// exits non-zero after writing its tables).
var goBenchFailures []string

// firstFailure is the first line of go test output that says what failed.
func firstFailure(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var failLine string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "--- FAIL") && failLine == "" {
			failLine = line
			continue
		}
		if failLine != "" && line != "" {
			return failLine + ": " + line
		}
	}
	if failLine != "" {
		return failLine
	}
	return "go test failed"
}

// runGoBenchmarks runs goBenchmarks from the repo root and tables them.
func runGoBenchmarks(ctx context.Context, repo string, logf func(string, ...any)) (*section, error) {
	sec := &section{
		title:  "2. Token validation, and the other Go micro-benchmarks in the repo",
		header: []string{"benchmark", "time/op", "other metrics", "command", "other processes' CPU (cores)"},
	}
	all := map[string]benchLine{}
	for _, g := range goBenchmarks {
		start := time.Now()
		cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-run", "^$"}, g.args...)...)
		cmd.Dir = filepath.Join(repo, g.dir)
		meter := startCPUMeter(func() []int { return withDescendants(os.Getpid()) })
		out, err := cmd.CombinedOutput()
		others := fmt.Sprintf("%.2f", meter.others())
		if err != nil {
			// A failing benchmark is tabled and reported; the others still run.
			reason := firstFailure(out)
			sec.add("**failed**", "–", reason, "`"+g.command()+"`", others)
			goBenchFailures = append(goBenchFailures, g.command()+": "+reason)
			logf("gobench: %s FAILED: %v\n%s", g.command(), err, tail(string(out), 2000))
		}
		logf("gobench: %s (%s)", g.command(), time.Since(start).Round(time.Second))
		for _, b := range parseBenchOutput(out) {
			all[b.name] = b
			var other []string
			for _, m := range b.metrics {
				if m[1] != "ns/op" {
					other = append(other, m[0]+" "+m[1])
				}
			}
			ns, _ := b.metric("ns/op")
			sec.add(b.name, fmtNs(ns), strings.Join(other, ", "), "`"+g.command()+"`", others)
		}
	}
	hit, okHit := all["BenchmarkTokenAuthHit"].metric("ns/op")
	miss, okMiss := all["BenchmarkValidateTokenMiss"].metric("ns/op")
	if okHit && okMiss {
		sec.note("Cache hit at the gateway: %s; cache miss end to end (loopback gRPC to the token service, which asks tenancy): %s mean, %.0f× a hit.", fmtNs(hit), fmtNs(miss), miss/hit)
	}
	if p99, ok := all["BenchmarkValidateTokenMiss"].metric("p99-µs"); ok {
		p50, _ := all["BenchmarkValidateTokenMiss"].metric("p50-µs")
		sec.note("Cache-miss validation p50 %.0f µs, p99 %.0f µs (target p99 < 2 ms: %s).", p50, p99, verdict(p99 < 2000))
	}
	one, ok1 := all["BenchmarkValidate/tokens=1"].metric("ns/op")
	million, okM := all["BenchmarkValidate/tokens=1000000"].metric("ns/op")
	if ok1 && okM {
		sec.note("Token service ValidateToken with 1,000,000 tokens stored costs %.2f× the cost with 1 token (%s vs %s; target: independent of the count — one more B-tree level).", million/one, fmtNs(million), fmtNs(one))
	}
	return sec, nil
}
