package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type startOptions struct {
	argv func(dataDir string) []string // the command that starts a suite in dataDir
	runs int                           // the first on an empty data dir, the rest restarts of it
	idle time.Duration                 // how long the suite idles before RSS is read
	dir  string
	// quiet is how long, in all, to wait for a quiet host before starts.
	quiet time.Duration
}

// runStart measures scenario 6: process start to the first /readyz 200,
// and RSS after idling, for a first start (keys and databases created)
// and for restarts of the same data dir.
func runStart(ctx context.Context, o startOptions, logf func(string, ...any)) (*section, error) {
	sec := &section{
		title:  "6. All-in-one start and idle memory",
		header: []string{"start", "runs", "process start → /readyz 200 (median / max)", "target < 1 s", "idle RSS (median / max)", "target < 80 MB"},
	}
	dataDir := filepath.Join(o.dir, "start")
	defer os.RemoveAll(dataDir)
	type run struct {
		ready time.Duration
		rss   int64
	}
	var cold, warm []run
	ours := func() []int { return []int{os.Getpid()} }
	busiest := 0.0
	for i := range o.runs {
		if o.quiet > 0 {
			o.quiet -= waitQuiet(ctx, ours, min(o.quiet, 5*time.Second))
		}
		meter := startCPUMeter(func() []int { return withDescendants(os.Getpid()) })
		s, ready, err := startProcess(ctx, o.argv(dataDir), dataDir)
		busiest = max(busiest, meter.others())
		if err != nil {
			return nil, fmt.Errorf("start %d: %w", i, err)
		}
		time.Sleep(o.idle)
		r := run{ready: ready, rss: rss(s.PID, "VmRSS")}
		if err := s.Stop(); err != nil {
			return nil, fmt.Errorf("stop %d: %w", i, err)
		}
		logf("start: run %d ready in %s, idle RSS %s", i, fmtDur(r.ready), fmtBytes(r.rss))
		if i == 0 {
			cold = append(cold, r)
		} else {
			warm = append(warm, r)
		}
	}
	for _, g := range []struct {
		name string
		runs []run
	}{{"first start (empty data dir)", cold}, {"restart (existing data dir)", warm}} {
		if len(g.runs) == 0 {
			continue
		}
		readies := make([]time.Duration, len(g.runs))
		rsss := make([]int64, len(g.runs))
		for i, r := range g.runs {
			readies[i], rsss[i] = r.ready, r.rss
		}
		slices.Sort(readies)
		slices.Sort(rsss)
		maxReady, maxRSS := readies[len(readies)-1], rsss[len(rsss)-1]
		sec.add(g.name, fmt.Sprint(len(g.runs)), fmtDur(readies[len(readies)/2])+" / "+fmtDur(maxReady), verdict(maxReady < time.Second),
			fmtBytes(rsss[len(rsss)/2])+" / "+fmtBytes(maxRSS), verdict(maxRSS < 80_000_000))
	}
	sec.note("Command: `%s`; RSS is VmRSS of that process after %s idle. Other processes used up to %.2f cores during a start.",
		strings.Join(o.argv("DIR"), " "), o.idle, busiest)
	return sec, nil
}
