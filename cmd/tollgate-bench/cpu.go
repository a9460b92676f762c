package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuMeter tells how much CPU the rest of the machine used while a
// measurement ran: busy time of all CPUs (/proc/stat) minus that of the
// processes under test (the harness and the suite). On a shared host this
// says whether a figure was measured with the cores to itself.
type cpuMeter struct {
	pids       func() []int
	start      time.Time
	busy, ours int64 // clock ticks
}

const clockTicks = 100 // USER_HZ on Linux

func startCPUMeter(pids func() []int) *cpuMeter {
	return &cpuMeter{pids: pids, start: time.Now(), busy: systemBusy(), ours: processTicks(pids())}
}

// others returns the average number of cores used by other processes.
func (m *cpuMeter) others() float64 {
	elapsed := time.Since(m.start).Seconds()
	if elapsed <= 0 {
		return 0
	}
	other := float64((systemBusy()-m.busy)-(processTicks(m.pids())-m.ours)) / clockTicks
	return max(other/elapsed, 0)
}

// ours returns the CPU time the processes under test used since the start.
func (m *cpuMeter) oursCPU() time.Duration {
	return time.Duration(processTicks(m.pids())-m.ours) * time.Second / clockTicks
}

// systemBusy is the non-idle time of all CPUs.
func systemBusy() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal guest guest_nice
	// user, nice, system and steal; not irq and softirq, which include the
	// loopback network processing of the processes under test.
	var busy int64
	for _, i := range []int{1, 2, 3, 8} {
		if i < len(f) {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			busy += n
		}
	}
	return busy
}

// processTicks is utime+stime of the processes (with their finished
// children's).
func processTicks(pids []int) int64 {
	var total int64
	seen := map[int]bool{}
	for _, pid := range pids {
		if seen[pid] {
			continue
		}
		seen[pid] = true
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state is f[0]; utime is field 14 of the line, f[11]
		for _, k := range []int{11, 12, 13, 14} {
			if k < len(f) {
				n, _ := strconv.ParseInt(f[k], 10, 64)
				total += n
			}
		}
	}
	return total
}

// withDescendants is pids and every process below them.
func withDescendants(pids ...int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 1 {
				parent[pid], _ = strconv.Atoi(f[1])
			}
		}
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if in[pp] && !in[pid] {
				in[pid], changed = true, true
			}
		}
	}
	out := make([]int, 0, len(in))
	for p := range in {
		out = append(out, p)
	}
	return out
}

// waitQuiet waits (at most max) until processes other than ours use less
// than a quarter of a core, measured over 300 ms windows; it returns how
// long it waited. On a shared host this keeps bursts of other work out of
// the measurements where possible.
func waitQuiet(ctx context.Context, pids func() []int, max time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < max && ctx.Err() == nil {
		m := startCPUMeter(pids)
		time.Sleep(300 * time.Millisecond)
		if m.others() < 0.25 {
			break
		}
	}
	return time.Since(start)
}
