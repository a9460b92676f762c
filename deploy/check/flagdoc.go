package check

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Flag is one flag as a binary's -h prints it.
type Flag struct {
	Name    string // without dashes
	Type    string // string, int, float, duration, bool
	Env     string // TOLLGATE_…
	Default string // "" when none
	Usage   string
}

var (
	flagLine      = regexp.MustCompile(`^  -(\S+)(?: (.+))?$`)
	shortFlagLine = regexp.MustCompile("^  -(\\S{1,2})\t(.*)$")
	envSuffix     = regexp.MustCompile(` \(env (TOLLGATE_[A-Z0-9_]+)\)$`)
	defaultTail   = regexp.MustCompile(` \(default (.+)\)$`)
	knownTypes    = map[string]bool{"string": true, "int": true, "int64": true, "uint": true, "uint64": true, "float": true, "duration": true, "value": true}
	flagsBegin    = "<!-- flags:begin"
	flagsEnd      = "<!-- flags:end -->"
	beginComment  = flagsBegin + " (generated from the binaries' -h output by deploy/check/cmd/flagdoc; do not edit by hand) -->"
)

// ParseHelp parses the -h output of a Tollgate binary (Go's flag package
// defaults, with the (env …) hint of pkg/config).
func ParseHelp(out string) ([]Flag, error) {
	var flags []Flag
	var cur *Flag
	var usage []string
	finish := func() error {
		if cur == nil {
			return nil
		}
		u := strings.Join(usage, " ")
		if m := defaultTail.FindStringSubmatch(u); m != nil {
			cur.Default = m[1]
			if s, err := strconv.Unquote(m[1]); err == nil {
				cur.Default = s
			}
			u = strings.TrimSuffix(u, m[0])
		}
		m := envSuffix.FindStringSubmatch(u)
		if m == nil {
			return fmt.Errorf("flag -%s: no (env TOLLGATE_…) in %q", cur.Name, u)
		}
		cur.Env, cur.Usage = m[1], strings.TrimSuffix(u, m[0])
		flags = append(flags, *cur)
		cur, usage = nil, nil
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "    \t"); ok && cur != nil {
			usage = append(usage, rest)
			continue
		}
		if m := shortFlagLine.FindStringSubmatch(line); m != nil { // "  -x\tusage"
			if err := finish(); err != nil {
				return nil, err
			}
			cur, usage = &Flag{Name: m[1], Type: "bool"}, []string{m[2]}
			continue
		}
		m := flagLine.FindStringSubmatch(line)
		if m == nil {
			continue // "Usage of …:" and the like
		}
		if err := finish(); err != nil {
			return nil, err
		}
		cur = &Flag{Name: m[1], Type: "bool"}
		if m[2] != "" {
			// A type, or a name the usage gave in backquotes (a string).
			cur.Type = m[2]
			if !knownTypes[m[2]] {
				cur.Type = "string"
			}
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(flags) == 0 {
		return nil, fmt.Errorf("no flags in %q", out)
	}
	return flags, nil
}

// RunHelp runs bin -h and parses what it prints.
func RunHelp(bin string) ([]Flag, error) {
	out, err := exec.Command(bin, "-h").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -h: %w\n%s", bin, err, out)
	}
	return ParseHelp(string(out))
}

// HelpOfBinaries runs -h of every component's binary in binDir.
func HelpOfBinaries(binDir string) (map[string][]Flag, error) {
	help := map[string][]Flag{}
	for _, c := range Components {
		flags, err := RunHelp(filepath.Join(binDir, c.Binary))
		if err != nil {
			return nil, err
		}
		help[c.Binary] = flags
	}
	return help, nil
}

// FlagTables renders one Markdown table per binary, between the markers
// that DocFlags and ReplaceFlagTables look for.
func FlagTables(help map[string][]Flag) string {
	var b strings.Builder
	b.WriteString(beginComment + "\n")
	for _, c := range Components {
		fmt.Fprintf(&b, "\n#### `%s` (%s)\n\n", c.Binary, c.Name)
		b.WriteString("| flag | environment variable | type | default | meaning |\n|---|---|---|---|---|\n")
		for _, f := range help[c.Binary] {
			def := ""
			if f.Default != "" {
				def = "`" + f.Default + "`"
			}
			fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", f.Name, f.Env, f.Type, def, strings.ReplaceAll(f.Usage, "|", `\|`))
		}
	}
	b.WriteString("\n" + flagsEnd)
	return b.String()
}

func flagBlock(doc string) (start, end int, err error) {
	start = strings.Index(doc, flagsBegin)
	end = strings.Index(doc, flagsEnd)
	if start < 0 || end < start {
		return 0, 0, fmt.Errorf("docs/operations.md: no %s … %s block", flagsBegin, flagsEnd)
	}
	return start, end + len(flagsEnd), nil
}

// DocFlagBlock returns the generated block of the document.
func DocFlagBlock(doc string) (string, error) {
	start, end, err := flagBlock(doc)
	if err != nil {
		return "", err
	}
	return doc[start:end], nil
}

// ReplaceFlagTables puts tables in place of the document's generated block.
func ReplaceFlagTables(doc, tables string) (string, error) {
	start, end, err := flagBlock(doc)
	if err != nil {
		return "", err
	}
	return doc[:start] + tables + doc[end:], nil
}

var tableHeading = regexp.MustCompile("^#### `([a-z]+d)`")
var tableRow = regexp.MustCompile("^\\| `--([a-z0-9-]+)` \\| `(TOLLGATE_[A-Z0-9_]+)` \\|")

// DocFlags reads the generated tables: binary → environment variables.
func DocFlags(doc string) (map[string]map[string]bool, error) {
	block, err := DocFlagBlock(doc)
	if err != nil {
		return nil, err
	}
	flags := map[string]map[string]bool{}
	var bin string
	for _, line := range strings.Split(block, "\n") {
		if m := tableHeading.FindStringSubmatch(line); m != nil {
			bin = m[1]
			flags[bin] = map[string]bool{}
		} else if m := tableRow.FindStringSubmatch(line); m != nil && bin != "" {
			flags[bin][m[2]] = true
		}
	}
	for _, c := range Components {
		if len(flags[c.Binary]) == 0 {
			return nil, fmt.Errorf("docs/operations.md: no settings table for %s", c.Binary)
		}
	}
	return flags, nil
}
