package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for `tollgate up` in the start
// scenario: `<test binary> suite --data-dir D` serves an in-process suite.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "suite" {
		os.Exit(suiteMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// TestSmoke runs every scenario with tiny sizes against an in-process
// suite, so the harness keeps working; it checks that each produced its
// table, not the figures. The PostgreSQL reference runs too where
// PostgreSQL is installed (not with -short).
func TestSmoke(t *testing.T) {
	cfg := profiles["smoke"]
	cfg.profile, cfg.suite, cfg.scenarios, cfg.workDir = "smoke", "inproc", allScenarios, t.TempDir()
	cfg.startArgv = func(dir string) []string { return []string{os.Args[0], "suite", "--data-dir", dir} }
	if _, err := findPostgres(); err == nil && !testing.Short() {
		cfg.postgres = true
	}
	if testing.Verbose() {
		cfg.verbose = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	sections, err := run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := render("tollgate-bench -profile smoke", sections)
	for _, want := range []string{"1. Gateway auth edge", "3. Revocation propagation", "4. Export", "5. Ingest", "6. All-in-one start",
		"REST, full gateway, token cache hit", "bare grpc-gateway mux", "direct gRPC"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if cfg.postgres && !strings.Contains(out, "PostgreSQL 1") {
		t.Errorf("report lacks the PostgreSQL reference:\n%s", out)
	}
	t.Logf("smoke run took %s\n%s", time.Since(start).Round(time.Millisecond), out)
}

func TestParseBenchOutput(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkTokenAuthHit-2          1447102               830.1 ns/op           232 B/op          5 allocs/op
BenchmarkValidate/tokens=1000000-2   	   85221	     13800 ns/op
BenchmarkValidateTokenMiss-2   	   14000	    211000 ns/op	   211.0 p50-µs	  1900 p99-µs
PASS`)
	lines := parseBenchOutput(out)
	if len(lines) != 3 || lines[0].name != "BenchmarkTokenAuthHit" || lines[1].name != "BenchmarkValidate/tokens=1000000" {
		t.Fatalf("parsed %+v", lines)
	}
	if v, ok := lines[2].metric("p99-µs"); !ok || v != 1900 {
		t.Fatalf("p99 = %v %v", v, ok)
	}
}

func TestUpdateDoc(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perf.md")
	if err := os.WriteFile(path, []byte("# Perf\n\nintro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, block := range []string{"first\n", "second\n"} {
		if err := updateDoc(path, "load", block); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	if want := "# Perf\n\nintro\n\n<!-- load:begin -->\nsecond\n<!-- load:end -->\n"; string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}

func TestFirstFailure(t *testing.T) {
	out := []byte("--- FAIL: BenchmarkStreamLogs/records=20000\n    bench_test.go:64: streamed 40 records, want 20000\nFAIL\n")
	if got, want := firstFailure(out), "--- FAIL: BenchmarkStreamLogs/records=20000: bench_test.go:64: streamed 40 records, want 20000"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
