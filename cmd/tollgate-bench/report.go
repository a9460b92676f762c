package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// section is one scenario's Markdown table plus notes under it.
type section struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

func (s *section) add(cells ...string) { s.rows = append(s.rows, cells) }

func (s *section) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

func (s *section) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### %s\n\n", s.title)
	if len(s.header) > 0 {
		b.WriteString("| " + strings.Join(s.header, " | ") + " |\n|")
		for range s.header {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, r := range s.rows {
			b.WriteString("| " + strings.Join(r, " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	for _, n := range s.notes {
		b.WriteString(n + "\n")
	}
	if len(s.notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// verdict renders a target check.
func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	ram := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				ram = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d CPUs (nproc), %s, %s RAM, %s, %s/%s, Linux %s",
		runtime.NumCPU(), cpu, ram, runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(kernel)))
}

// render is the generated block: machine, command, date, then the tables.
func render(command string, sections []*section) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s, loopback only.  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"), machine())
	fmt.Fprintf(&b, "Command: `%s`  \n", command)
	la, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "Load average at the end (1/5/15 min, includes the run itself; the host is shared, so other work adds noise): %s\n\n",
		strings.Join(strings.Fields(string(la))[:min(3, len(strings.Fields(string(la))))], " "))
	for _, s := range sections {
		b.WriteString(s.markdown())
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// updateDoc replaces what is between <!-- name:begin --> and
// <!-- name:end --> in path with block (appending a new section with the
// markers when they are missing).
func updateDoc(path, name, block string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(b)
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + begin + "\n" + block + end + "\n"
	} else {
		doc = doc[:i+len(begin)] + "\n" + block + doc[j:]
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
