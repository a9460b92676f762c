package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvPrefix starts every environment variable that can set a flag.
const EnvPrefix = "TOLLGATE_"

var envNameReplacer = strings.NewReplacer("-", "_", ".", "_")

// EnvName is the environment variable that sets flagName:
// "grpc-addr" → "TOLLGATE_GRPC_ADDR".
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(envNameReplacer.Replace(flagName))
}

// Parse parses args into fs, then takes each flag not given on the command
// line from the environment variable EnvName(flag.Name) if set (even to the
// empty string). Precedence: flag > env > default. A bad env value gives an
// error naming the variable and the flag; every bad variable is reported.
// Environment variables matching no flag are ignored, so binaries can share
// one environment. A nil lookupEnv means os.LookupEnv.
func Parse(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) error {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if onCommandLine[f.Name] {
			return
		}
		name := EnvName(f.Name)
		value, ok := lookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q for environment variable %s (flag -%s): %w", value, name, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

// SetUsage makes fs's usage text show each flag's environment variable next
// to its description. It keeps the standard layout by appending the hint to
// each flag's usage only while printing, so flags defined later are covered
// and the hints never leak into other output.
func SetUsage(fs *flag.FlagSet) {
	fs.Usage = func() {
		if fs.Name() == "" {
			fmt.Fprintf(fs.Output(), "Usage:\n")
		} else {
			fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		}
		printDefaultsWithEnv(fs)
	}
}

func printDefaultsWithEnv(fs *flag.FlagSet) {
	original := map[*flag.Flag]string{}
	fs.VisitAll(func(f *flag.Flag) {
		original[f] = f.Usage
		f.Usage += " (env " + EnvName(f.Name) + ")"
	})
	defer fs.VisitAll(func(f *flag.Flag) { f.Usage = original[f] })
	fs.PrintDefaults()
}
