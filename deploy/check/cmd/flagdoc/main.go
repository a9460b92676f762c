// Command flagdoc writes the settings tables of docs/operations.md from the
// binaries' own -h output, so the documentation says exactly what they take.
// Build the binaries first (make build), then from deploy/check:
//
//	go run ./cmd/flagdoc -bin-dir ../../bin -w ../../docs/operations.md
//
// Without -w it prints the tables. `make manifests-check` fails while the
// document and the binaries disagree.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tollgate/tollgate/deploy/check"
)

func main() {
	binDir := flag.String("bin-dir", "../../bin", "directory with tenancyd, membershipd, tokend, exportd and gatewayd")
	write := flag.String("w", "", "rewrite the generated block of this Markdown file")
	flag.Parse()
	help, err := check.HelpOfBinaries(*binDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flagdoc:", err)
		os.Exit(1)
	}
	tables := check.FlagTables(help)
	if *write == "" {
		fmt.Println(tables)
		return
	}
	doc, err := os.ReadFile(*write)
	if err == nil {
		var out string
		out, err = check.ReplaceFlagTables(string(doc), tables)
		if err == nil {
			err = os.WriteFile(*write, []byte(out), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "flagdoc:", err)
		os.Exit(1)
	}
}
