package config

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func envFrom(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	}
}

type testFlags struct {
	fs      *flag.FlagSet
	addr    *string
	workers *int
	timeout *time.Duration
	debug   *bool
}

func newTestFlags() testFlags {
	fs := flag.NewFlagSet("tollgate-test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return testFlags{
		fs:      fs,
		addr:    fs.String("grpc-addr", "localhost:9000", "gRPC listen `address`"),
		workers: fs.Int("workers", 4, "number of workers"),
		timeout: fs.Duration("shutdown.timeout", 10*time.Second, "graceful shutdown limit"),
		debug:   fs.Bool("debug", false, "verbose logging"),
	}
}

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"grpc-addr":        "TOLLGATE_GRPC_ADDR",
		"shutdown.timeout": "TOLLGATE_SHUTDOWN_TIMEOUT",
		"data-dir.path":    "TOLLGATE_DATA_DIR_PATH",
		"debug":            "TOLLGATE_DEBUG",
	} {
		if got := EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestParsePrecedence(t *testing.T) {
	f := newTestFlags()
	env := envFrom(map[string]string{
		"TOLLGATE_GRPC_ADDR":       "env-host:1",
		"TOLLGATE_WORKERS":         "8",
		"TOLLGATE_UNKNOWN_SETTING": "ignored",
	})
	if err := Parse(f.fs, []string{"-grpc-addr", "flag-host:2", "rest"}, env); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if *f.addr != "flag-host:2" {
		t.Errorf("grpc-addr = %q, want the command-line value", *f.addr)
	}
	if *f.workers != 8 {
		t.Errorf("workers = %d, want the environment value 8", *f.workers)
	}
	if *f.timeout != 10*time.Second || *f.debug {
		t.Errorf("timeout = %s, debug = %t; want the defaults", *f.timeout, *f.debug)
	}
	if got := f.fs.Args(); len(got) != 1 || got[0] != "rest" {
		t.Errorf("Args() = %q, want [rest]", got)
	}
}

func TestParseReportsEveryBadEnvValue(t *testing.T) {
	f := newTestFlags()
	env := envFrom(map[string]string{
		"TOLLGATE_WORKERS": "many",
		"TOLLGATE_DEBUG":   "perhaps",
	})
	err := Parse(f.fs, nil, env)
	if err == nil {
		t.Fatal("Parse accepted bad environment values")
	}
	for _, want := range []string{"TOLLGATE_WORKERS", "-workers", `"many"`, "TOLLGATE_DEBUG", "-debug"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestParseTreatsEmptyEnvValueAsSet(t *testing.T) {
	f := newTestFlags()
	env := envFrom(map[string]string{"TOLLGATE_GRPC_ADDR": ""})
	if err := Parse(f.fs, nil, env); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if *f.addr != "" {
		t.Errorf("grpc-addr = %q, want the empty value from the environment", *f.addr)
	}
}

func TestParseIgnoresEnvForFlagsOnCommandLine(t *testing.T) {
	f := newTestFlags()
	env := envFrom(map[string]string{"TOLLGATE_WORKERS": "not a number"})
	if err := Parse(f.fs, []string{"-workers=2"}, env); err != nil {
		t.Fatalf("a bad env value for a flag given on the command line should be ignored: %v", err)
	}
	if *f.workers != 2 {
		t.Errorf("workers = %d, want 2", *f.workers)
	}
}

func TestParseReturnsCommandLineErrors(t *testing.T) {
	f := newTestFlags()
	if err := Parse(f.fs, []string{"-no-such-flag"}, envFrom(nil)); err == nil {
		t.Fatal("Parse accepted an unknown flag")
	}
}

func TestSetUsageListsEnvVars(t *testing.T) {
	f := newTestFlags()
	SetUsage(f.fs)
	var out bytes.Buffer
	f.fs.SetOutput(&out)
	f.fs.Usage()

	text := out.String()
	for _, want := range []string{
		"Usage of tollgate-test:",
		"-grpc-addr address",
		"gRPC listen address (env TOLLGATE_GRPC_ADDR)",
		`(default "localhost:9000")`,
		"(env TOLLGATE_SHUTDOWN_TIMEOUT)",
		"(env TOLLGATE_DEBUG)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("usage does not contain %q:\n%s", want, text)
		}
	}
	if got := f.fs.Lookup("workers").Usage; got != "number of workers" {
		t.Errorf("flag usage modified to %q after printing", got)
	}
}
