// Command imagebuild builds Tollgate's container images without a Docker
// engine: one OCI image layout archive per component from the static
// binaries in -bin-dir, tagged with the version pinned in the base
// kustomization. `make images` runs it after building the binaries.
//
//	go run ./cmd/imagebuild -bin-dir ../../build/images/bin -out ../../build/images [component...]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tollgate/tollgate/deploy/check"
)

func main() {
	binDir := flag.String("bin-dir", "", "directory with the static linux binaries (tenancyd, …, gatewayd)")
	out := flag.String("out", "", "directory for the archives <component>.tar")
	kustomization := flag.String("kustomization", "../kubernetes/base/kustomization.yaml", "kustomization whose images: list pins the tag")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH the binaries were built for")
	flag.Parse()
	if *binDir == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "imagebuild: -bin-dir and -out are required")
		os.Exit(2)
	}
	if err := run(*binDir, *out, *kustomization, *arch, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(binDir, out, kustomization, arch string, names []string) error {
	refs, err := check.ImageRefs(kustomization)
	if err != nil {
		return err
	}
	components := check.Components
	if len(names) > 0 {
		components = nil
		for _, n := range names {
			c, ok := check.ComponentByName(n)
			if !ok {
				return fmt.Errorf("no component %q", n)
			}
			components = append(components, c)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, c := range components {
		img, err := check.BuildImage(check.ImageSpec{
			Component: c,
			Binary:    filepath.Join(binDir, c.Binary),
			Ref:       refs[c.Name],
			Arch:      arch,
		})
		if err != nil {
			return err
		}
		archive := filepath.Join(out, c.Name+".tar")
		digest, err := check.WriteOCIArchive(img, refs[c.Name], archive)
		if err != nil {
			return err
		}
		fmt.Printf("%-28s %s  %s\n", refs[c.Name], digest, archive)
	}
	return nil
}
