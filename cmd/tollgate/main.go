// Command tollgate is Tollgate's all-in-one launcher and command-line tool:
// `tollgate up` runs the whole suite in one process, `tollgate dev token`
// mints development user tokens, and the resource commands talk to a
// gateway with a user token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand; path is how it is typed ("dev token").
type command struct {
	path    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

// usageError marks mistakes in how a command was called (exit code 2).
type usageError struct{ error }

func commands() []command {
	cmds := []command{
		{"up", "run the whole suite in one process", runUp},
		{"dev token", "print a development user token (JWT) for an email", runDevToken},
		{"simulate", "ingest realistic device logs into a running suite", runSimulate},
		{"backup", "copy every service's database of a running suite (online)", runBackup},
		{"restore", "put a backup's databases into a stopped suite's data dir", runRestore},
	}
	cmds = append(cmds, orgCommands()...)
	cmds = append(cmds, deviceCommands()...)
	cmds = append(cmds, memberCommands()...)
	cmds = append(cmds, tokenCommands()...)
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cmd, rest := findCommand(args)
	if cmd == nil {
		printUsage(errOut)
		if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			return 0
		}
		return 2
	}
	err := cmd.run(ctx, rest, out, errOut)
	var uerr usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintln(errOut, err)
		return 2
	default:
		fmt.Fprintln(errOut, "tollgate:", err)
		return 1
	}
}

// findCommand matches the longest command path at the start of args.
func findCommand(args []string) (*command, []string) {
	var best *command
	bestLen := 0
	cmds := commands()
	for i := range cmds {
		words := strings.Fields(cmds[i].path)
		if len(words) <= len(args) && len(words) > bestLen && equalWords(words, args[:len(words)]) {
			best, bestLen = &cmds[i], len(words)
		}
	}
	if best == nil {
		return nil, args
	}
	return best, args[bestLen:]
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: tollgate <command> [flags]\n\ncommands:")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].path < cmds[j].path })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-22s %s\n", c.path, c.summary)
	}
	fmt.Fprintln(w, "\nrun `tollgate <command> -h` for a command's flags")
}

// newFlagSet returns a flag set whose errors come back to the caller.
func newFlagSet(name string, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tollgate "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	return fs
}
