package check

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// fakeBinary writes a stand-in for a static binary: the image builder only
// copies it, so real Go code is not needed and the test stays fast.
func fakeBinary(t *testing.T, dir, name string) string {
	t.Helper()
	data := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	copy(data, "\x7fELF")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageIsMinimalNonRootAndReproducible(t *testing.T) {
	refs, err := ImageRefs(filepath.Join(kubernetesDir, "base", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ComponentByName("token")
	dir := t.TempDir()
	spec := ImageSpec{Component: c, Binary: fakeBinary(t, dir, c.Binary), Ref: refs[c.Name], Arch: "amd64"}

	var digests []v1.Hash
	var archives [][]byte
	for i := range 2 {
		img, err := BuildImage(spec)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "build"+string(rune('a'+i)), c.Name+".tar")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		digest, err := WriteOCIArchive(img, spec.Ref, out)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, digest)
		archives = append(archives, data)
		if i == 0 {
			checkImage(t, img, c, spec.Ref)
			checkArchive(t, data, digest, spec.Ref)
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same binary gave different digests: %s and %s", digests[0], digests[1])
	}
	if sha256.Sum256(archives[0]) != sha256.Sum256(archives[1]) {
		t.Error("two builds of the same binary gave different archive bytes")
	}
	t.Logf("%s %s", spec.Ref, digests[0])

	// A different binary must give a different image.
	other := spec
	other.Binary = filepath.Join(dir, "other")
	data, _ := os.ReadFile(spec.Binary)
	data[len(data)-1] ^= 1
	if err := os.WriteFile(other.Binary, data, 0o755); err != nil {
		t.Fatal(err)
	}
	img, err := BuildImage(other)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d == digests[0] {
		t.Error("a changed binary gave the same digest")
	}
}

func checkImage(t *testing.T, img v1.Image, c Component, ref string) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("User = %q, want 65532:65532", cfg.Config.User)
	}
	if want := []string{"/usr/local/bin/tokend"}; !slices.Equal(cfg.Config.Entrypoint, want) {
		t.Errorf("Entrypoint = %q, want %q", cfg.Config.Entrypoint, want)
	}
	if len(cfg.Config.Cmd) != 0 {
		t.Errorf("Cmd = %q, want none", cfg.Config.Cmd)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" || !cfg.Created.Time.Equal(Epoch) {
		t.Errorf("os/arch/created = %s/%s/%s", cfg.OS, cfg.Architecture, cfg.Created.Time)
	}
	for _, want := range []string{"TOLLGATE_DATA_DIR=/data", "TOLLGATE_GRPC_ADDR=:9103"} {
		if !slices.Contains(cfg.Config.Env, want) {
			t.Errorf("Env %q lacks %s", cfg.Config.Env, want)
		}
	}
	if m, _ := img.Manifest(); m.Annotations["org.opencontainers.image.version"] != strings.Split(ref, ":")[1] {
		t.Errorf("manifest annotations %v", m.Annotations)
	}

	// The whole file system: the binary, CA certificates, passwd and group,
	// /data owned by the user, /tmp; no shell or anything else executable.
	files := map[string]*tar.Header{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		files[name] = h
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			t.Errorf("unexpected link %s", name)
		}
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 && name != "/usr/local/bin/tokend" {
			t.Errorf("unexpected executable %s", name)
		}
		if !h.ModTime.Equal(Epoch) {
			t.Errorf("%s: mtime %s, want %s", name, h.ModTime, Epoch)
		}
	}
	for _, shell := range []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/usr/bin/sh", "/bin"} {
		if files[shell] != nil {
			t.Errorf("image has %s", shell)
		}
	}
	if h := files["/usr/local/bin/tokend"]; h == nil || h.Mode != 0o755 || h.Uid != 0 {
		t.Errorf("binary entry %+v, want mode 0755 owned by root", h)
	}
	if h := files["/data"]; h == nil || h.Typeflag != tar.TypeDir || h.Uid != UID || h.Gid != GID {
		t.Errorf("/data entry %+v, want a directory owned by %d:%d", h, UID, GID)
	}
	if h := files["/etc/ssl/certs/ca-certificates.crt"]; h == nil || h.Size < 100_000 {
		t.Errorf("CA bundle %+v, want the Mozilla roots", h)
	}
	if h := files["/etc/passwd"]; h == nil {
		t.Error("no /etc/passwd")
	}
}

// checkArchive unpacks the archive and reads it back as an OCI layout.
func checkArchive(t *testing.T, data []byte, digest v1.Hash, ref string) {
	t.Helper()
	dir := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		body, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != digest {
		t.Fatalf("index %+v, want one manifest %s", m.Manifests, digest)
	}
	if got := m.Manifests[0].Annotations["io.containerd.image.name"]; got != ref {
		t.Errorf("image name annotation %q, want %q", got, ref)
	}
	img, err := idx.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateLayers(img); err != nil {
		t.Fatal(err)
	}
}

func validateLayers(img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return err
		}
		d, _ := l.Digest()
		if got := fmt.Sprintf("sha256:%x", h.Sum(nil)); got != d.String() {
			return errors.New("layer blob does not match its digest " + d.String())
		}
	}
	return nil
}
