package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProblemsErrListsEveryProblemInOrder(t *testing.T) {
	var p Problems
	if err := p.Err(); err != nil {
		t.Fatalf("Err() with no problems = %v, want nil", err)
	}
	p.Addf("grpc-addr", "must be set")
	p.Addf("workers", "must be between %d and %d", 1, 64)
	want := "invalid configuration:\n  -grpc-addr: must be set\n  -workers: must be between 1 and 64"
	if err := p.Err(); err == nil || err.Error() != want {
		t.Fatalf("Err() = %v, want %q", err, want)
	}
}

// check runs one checker on a fresh Problems and reports whether it objected.
func check(run func(p *Problems)) (rejected bool, message string) {
	var p Problems
	run(&p)
	if err := p.Err(); err != nil {
		return true, err.Error()
	}
	return false, ""
}

type checkerCase struct {
	name   string
	run    func(p *Problems)
	reject bool
}

func runCheckerCases(t *testing.T, cases []checkerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rejected, message := check(tc.run)
			if rejected != tc.reject {
				t.Fatalf("rejected = %t (%q), want %t", rejected, message, tc.reject)
			}
			if rejected && !strings.Contains(message, "\n  -f: ") {
				t.Errorf("message %q does not name the flag", message)
			}
		})
	}
}

func TestHostPort(t *testing.T) {
	var cases []checkerCase
	for value, reject := range map[string]bool{
		"localhost:9000": false,
		":0":             false,
		"0.0.0.0:65535":  false,
		"[::1]:443":      false,
		"":               true,
		"localhost":      true,
		"localhost:":     true,
		"host:65536":     true,
		"host:-1":        true,
		"host:http":      true,
		"::1:80":         true,
	} {
		cases = append(cases, checkerCase{value, func(p *Problems) { p.HostPort("f", value) }, reject})
	}
	runCheckerCases(t, cases)
}

func TestOptionalHostPort(t *testing.T) {
	runCheckerCases(t, []checkerCase{
		{"empty", func(p *Problems) { p.OptionalHostPort("f", "") }, false},
		{"valid", func(p *Problems) { p.OptionalHostPort("f", "127.0.0.1:8080") }, false},
		{"invalid", func(p *Problems) { p.OptionalHostPort("f", "127.0.0.1") }, true},
	})
}

func TestNonEmpty(t *testing.T) {
	runCheckerCases(t, []checkerCase{
		{"set", func(p *Problems) { p.NonEmpty("f", "tenancy") }, false},
		{"empty", func(p *Problems) { p.NonEmpty("f", "") }, true},
		{"blank", func(p *Problems) { p.NonEmpty("f", " \t") }, true},
	})
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "file")
	runCheckerCases(t, []checkerCase{
		{"existing directory", func(p *Problems) { p.Dir("f", dir) }, false},
		{"missing, will be created", func(p *Problems) { p.Dir("f", filepath.Join(dir, "new", "sub")) }, false},
		{"empty", func(p *Problems) { p.Dir("f", "") }, true},
		{"regular file", func(p *Problems) { p.Dir("f", file) }, true},
		{"below a regular file", func(p *Problems) { p.Dir("f", filepath.Join(file, "sub")) }, true},
	})
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "cert.pem")
	cases := []checkerCase{
		{"readable file", func(p *Problems) { p.File("f", file) }, false},
		{"empty means unset", func(p *Problems) { p.File("f", "") }, false},
		{"missing", func(p *Problems) { p.File("f", filepath.Join(dir, "missing.pem")) }, true},
		{"directory", func(p *Problems) { p.File("f", dir) }, true},
	}
	if os.Geteuid() != 0 { // root reads files regardless of mode
		unreadable := writeFile(t, dir, "secret.pem")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, checkerCase{"unreadable", func(p *Problems) { p.File("f", unreadable) }, true})
	}
	runCheckerCases(t, cases)
}

func TestPositive(t *testing.T) {
	runCheckerCases(t, []checkerCase{
		{"positive", func(p *Problems) { p.Positive("f", time.Nanosecond) }, false},
		{"zero", func(p *Problems) { p.Positive("f", 0) }, true},
		{"negative", func(p *Problems) { p.Positive("f", -time.Second) }, true},
	})
}

func TestRange(t *testing.T) {
	runCheckerCases(t, []checkerCase{
		{"minimum", func(p *Problems) { p.Range("f", 1, 1, 64) }, false},
		{"maximum", func(p *Problems) { p.Range("f", 64, 1, 64) }, false},
		{"full int64 range", func(p *Problems) { p.Range("f", math.MinInt64, math.MinInt64, math.MaxInt64) }, false},
		{"below", func(p *Problems) { p.Range("f", 0, 1, 64) }, true},
		{"above", func(p *Problems) { p.Range("f", 65, 1, 64) }, true},
	})
}

func TestURL(t *testing.T) {
	var cases []checkerCase
	for value, reject := range map[string]bool{
		"":                             false,
		"https://issuer.example.com":   false,
		"http://localhost:8080/jwks":   false,
		"HTTPS://issuer.example.com/x": false,
		"ftp://example.com":            true,
		"issuer.example.com":           true,
		"/relative/path":               true,
		"https://":                     true,
		"http://[::1":                  true,
	} {
		cases = append(cases, checkerCase{value, func(p *Problems) { p.URL("f", value) }, reject})
	}
	runCheckerCases(t, cases)
}

func writeFile(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
