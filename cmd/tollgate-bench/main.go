// Command tollgate-bench measures Tollgate against its performance targets
// (DESIGN.md, "Non-functional targets"), each scenario side by side with
// its reference in the same run, and prints Markdown tables:
//
//  1. gateway auth edge: full gateway vs the bare grpc-gateway mux vs
//     direct gRPC, same call, same concurrency;
//  2. token validation: cache hit vs miss (end to end here, and the repo's
//     Go micro-benchmarks with -gobench);
//  3. revocation propagation to two gateways;
//  4. export of N records as NDJSON vs PostgreSQL COPY … TO STDOUT;
//  5. ingest of N records vs PostgreSQL COPY … FROM STDIN;
//  6. all-in-one start time and idle RSS.
//
// Everything runs on 127.0.0.1. `make bench` runs the quick profile and
// `make load` the full one; both write their tables into
// docs/performance.md between <!-- NAME:begin --> and <!-- NAME:end -->.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // served only with -pprof
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is one run of the harness.
type config struct {
	profile     string
	suite       string // external or inproc
	tollgate    string // bin/tollgate for external suites and the start scenario
	scenarios   []string
	gobench     bool
	repo        string
	duration    time.Duration
	rounds      int
	concurrency []int
	edgePaths   []string
	trials      int
	records     int
	batch       int
	postgres    bool
	startRuns   int
	startIdle   time.Duration
	quietBudget time.Duration                 // how long, in all, the harness may wait for a quiet host
	startArgv   func(dataDir string) []string // overrides the start command (tests)
	workDir     string
	verbose     io.Writer
}

// profiles set the defaults of -duration, -concurrency, -trials, -records,
// -postgres and -start-runs.
var profiles = map[string]config{
	"full":  {duration: 6 * time.Second, rounds: 5, concurrency: []int{16, 64}, trials: 100, records: 1_000_000, batch: 1000, postgres: true, startRuns: 5, startIdle: 2 * time.Second, quietBudget: 2 * time.Minute},
	"quick": {duration: 3 * time.Second, rounds: 3, concurrency: []int{16, 64}, trials: 20, records: 100_000, batch: 1000, postgres: false, startRuns: 3, startIdle: time.Second, quietBudget: 30 * time.Second},
	"smoke": {duration: 100 * time.Millisecond, rounds: 1, concurrency: []int{2, 8}, trials: 3, records: 2000, batch: 500, postgres: false, startRuns: 2, startIdle: 50 * time.Millisecond},
}

var allScenarios = []string{"edge", "revoke", "logs", "start"}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "suite" {
		os.Exit(suiteMain(os.Args[2:]))
	}
	os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr))
}

// suiteMain is the hidden `tollgate-bench suite --data-dir D`: an
// in-process suite that behaves like `tollgate up --dev` (state file,
// SIGTERM), for profiling and for the smoke test.
func suiteMain(args []string) int {
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	dir := fs.String("data-dir", "", "data directory")
	if err := fs.Parse(args); err != nil || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: tollgate-bench suite --data-dir DIR")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := serveSuite(ctx, *dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func benchMain(args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("tollgate-bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	profile := fs.String("profile", "quick", "defaults for the sizes: quick (make bench), full (make load) or smoke")
	suite := fs.String("suite", "external", "external: run `TOLLGATE up --dev` as a child process; inproc: assemble the suite in this process (profilable with -pprof / -cpuprofile)")
	tollgate := fs.String("tollgate", "bin/tollgate", "the tollgate binary")
	scenarios := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated: "+strings.Join(allScenarios, ", "))
	gobench := fs.Bool("gobench", false, "also run the repo's Go micro-benchmarks (from -repo)")
	repo := fs.String("repo", ".", "repository root, for -gobench")
	duration := fs.Duration("duration", 0, "edge: measuring time per path and concurrency (profile default)")
	concurrency := fs.String("concurrency", "", "edge: comma-separated concurrency levels (profile default)")
	edgePaths := fs.String("edge-paths", "", "edge: only these paths, comma-separated: grpc, bare, hit, miss, suite (for profiling one)")
	trials := fs.Int("trials", 0, "revoke: trials (profile default)")
	records := fs.Int("records", 0, "logs: records to ingest and export (profile default)")
	batch := fs.Int("batch", 0, "logs: records per IngestLogs message (profile default)")
	pg := fs.String("postgres", "", "logs: true/false, run the PostgreSQL reference (profile default)")
	startRuns := fs.Int("start-runs", 0, "start: runs (profile default)")
	timeout := fs.Duration("timeout", 20*time.Minute, "give up after this long")
	doc := fs.String("doc", "", "Markdown file to write the tables into (between markers)")
	section := fs.String("section", "", "marker name in -doc (<!-- NAME:begin -->); default: the profile")
	label := fs.String("label", "", "the command to name in -doc (default: this command line)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this loopback address while running")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the harness process (with -suite inproc: of the services too)")
	cpuPhase := fs.String("cpuprofile-phase", "", "profile only this phase: edge, revoke, ingest or export (default: the whole run)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := profiles[*profile]
	if !ok {
		fmt.Fprintf(errOut, "unknown -profile %q\n", *profile)
		return 2
	}
	cfg.profile, cfg.suite, cfg.tollgate, cfg.gobench, cfg.repo, cfg.verbose = *profile, *suite, *tollgate, *gobench, *repo, errOut
	cfg.scenarios = strings.Split(*scenarios, ",")
	if *edgePaths != "" {
		cfg.edgePaths = strings.Split(*edgePaths, ",")
	}
	for _, s := range cfg.scenarios {
		if !slices.Contains(allScenarios, s) && s != "" {
			fmt.Fprintf(errOut, "unknown scenario %q\n", s)
			return 2
		}
	}
	if *duration > 0 {
		cfg.duration = *duration
	}
	if *concurrency != "" {
		cfg.concurrency = nil
		for _, c := range strings.Split(*concurrency, ",") {
			n, err := strconv.Atoi(c)
			if err != nil || n < 1 || n > 1024 {
				fmt.Fprintf(errOut, "bad -concurrency %q\n", c)
				return 2
			}
			cfg.concurrency = append(cfg.concurrency, n)
		}
	}
	for _, o := range []struct {
		v   int
		dst *int
		max int
	}{{*trials, &cfg.trials, 10_000}, {*records, &cfg.records, 10_000_000}, {*batch, &cfg.batch, 10_000}, {*startRuns, &cfg.startRuns, 100}} {
		if o.v > o.max {
			fmt.Fprintf(errOut, "a size flag is above its limit %d\n", o.max)
			return 2
		}
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if *pg != "" {
		v, err := strconv.ParseBool(*pg)
		if err != nil {
			fmt.Fprintf(errOut, "bad -postgres %q\n", *pg)
			return 2
		}
		cfg.postgres = v
	}
	if *pprofAddr != "" {
		if !strings.HasPrefix(*pprofAddr, "127.0.0.1:") {
			fmt.Fprintln(errOut, "-pprof must be a 127.0.0.1 address")
			return 2
		}
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }()
	}
	if *cpuProfile != "" && *cpuPhase != "" {
		profilePhase, profileFile = *cpuPhase, *cpuProfile
	} else if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(errOut, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(errOut, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	sections, err := run(ctx, cfg)
	block := render(commandLabel(*label, args), sections)
	fmt.Fprint(out, block)
	if err != nil {
		fmt.Fprintln(errOut, "tollgate-bench:", err)
		return 1
	}
	if *doc != "" {
		name := *section
		if name == "" {
			name = cfg.profile
		}
		if err := updateDoc(*doc, name, block); err != nil {
			fmt.Fprintln(errOut, "tollgate-bench:", err)
			return 1
		}
		fmt.Fprintf(errOut, "tollgate-bench: tables written to %s (<!-- %s:begin -->)\n", *doc, name)
	}
	if len(goBenchFailures) > 0 {
		fmt.Fprintf(errOut, "tollgate-bench: %d Go benchmark run(s) failed:\n  %s\n", len(goBenchFailures), strings.Join(goBenchFailures, "\n  "))
		return 1
	}
	return 0
}

// With -cpuprofile-phase, phase profiles just that part of the run.
var profilePhase, profileFile string

// phase starts the CPU profile if name is the phase to profile; the
// returned function stops it.
func phase(name string) (stop func()) {
	if name != profilePhase || profileFile == "" {
		return func() {}
	}
	f, err := os.Create(profileFile)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

func commandLabel(label string, args []string) string {
	if label != "" {
		return label
	}
	return "tollgate-bench " + strings.Join(args, " ")
}

// run runs the selected scenarios and returns their tables (those done so
// far when one fails).
func run(ctx context.Context, cfg config) (sections []*section, err error) {
	logf := func(format string, args ...any) {
		if cfg.verbose != nil {
			fmt.Fprintf(cfg.verbose, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}
	}
	want := func(name string) bool { return slices.Contains(cfg.scenarios, name) }
	base := cfg.workDir
	if base == "" {
		if base, err = os.MkdirTemp("", "tollgate-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(base)
	}
	tollgate := cfg.tollgate
	if cfg.suite == "external" || (want("start") && cfg.startArgv == nil) {
		if tollgate, err = filepath.Abs(tollgate); err != nil {
			return nil, err
		}
		if _, err := os.Stat(tollgate); err != nil {
			return nil, fmt.Errorf("%w (run make build, or pass -tollgate)", err)
		}
	}

	if cfg.gobench {
		sec, err := runGoBenchmarks(ctx, cfg.repo, logf)
		if err != nil {
			return sections, err
		}
		sections = append(sections, sec)
	}
	// Start first, while nothing else runs.
	var startSec *section
	if want("start") {
		argv := cfg.startArgv
		if argv == nil {
			argv = func(dir string) []string {
				return []string{tollgate, "up", "--dev", "--data-dir", dir, "--http-addr", "127.0.0.1:0"}
			}
		}
		if startSec, err = runStart(ctx, startOptions{argv: argv, runs: cfg.startRuns, idle: cfg.startIdle, dir: base, quiet: cfg.quietBudget / 4}, logf); err != nil {
			return sections, fmt.Errorf("start: %w", err)
		}
	}
	if want("edge") || want("revoke") || want("logs") {
		var s *Suite
		dataDir := filepath.Join(base, "suite")
		switch cfg.suite {
		case "external":
			s, _, err = startExternal(ctx, tollgate, dataDir, benchGatewayFlags...)
		case "inproc":
			s, err = startInProcess(ctx, dataDir, io.Discard)
		default:
			err = fmt.Errorf("unknown -suite %q", cfg.suite)
		}
		if err != nil {
			return sections, err
		}
		defer func() {
			if serr := s.Stop(); serr != nil {
				err = errors.Join(err, fmt.Errorf("stopping the suite: %w", serr))
			}
		}()
		logf("suite up at %s (pid %d)", s.BaseURL, s.PID)
		f, err := setupFixture(ctx, s)
		if err != nil {
			return sections, fmt.Errorf("fixture: %w", err)
		}
		if want("edge") {
			stopProfile := phase("edge")
			sec, err := runEdge(ctx, s, f, edgeOptions{duration: cfg.duration, rounds: cfg.rounds, concurrency: cfg.concurrency, quietBudget: cfg.quietBudget, paths: cfg.edgePaths}, logf)
			stopProfile()
			if err != nil {
				return sections, fmt.Errorf("edge: %w", err)
			}
			sections = append(sections, sec)
		}
		if want("revoke") {
			stopProfile := phase("revoke")
			sec, err := runRevoke(ctx, s, f, cfg.trials, logf)
			stopProfile()
			if err != nil {
				return sections, fmt.Errorf("revoke: %w", err)
			}
			sections = append(sections, sec)
		}
		if want("logs") {
			ingest, export, err := runLogs(ctx, s, f, logsOptions{quietBudget: cfg.quietBudget, records: cfg.records, batch: cfg.batch, postgres: cfg.postgres, dir: base}, logf)
			if err != nil {
				return sections, fmt.Errorf("logs: %w", err)
			}
			sections = append(sections, export, ingest)
		}
	}
	if startSec != nil {
		sections = append(sections, startSec)
	}
	return sections, nil
}
