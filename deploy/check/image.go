package check

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
	"sigs.k8s.io/yaml"
)

// Epoch is the time stamped on every file, layer and config of an image, so
// that the same binary always gives the same digest.
var Epoch = time.Unix(0, 0).UTC()

// ImageSpec says what to build.
type ImageSpec struct {
	Component Component
	Binary    string // path of the static linux binary to put in the image
	Ref       string // e.g. tollgate/tenancy:0.1.0 (see ImageRefs)
	Arch      string // GOARCH the binary was built for, e.g. amd64
}

// BuildImage makes the component's image: two layers on an empty (scratch)
// base, a base layer shared by every component (CA certificates, passwd and
// group entries for the unprivileged user, /data and /tmp) and one with the
// binary. No shell, no package manager, nothing else.
func BuildImage(spec ImageSpec) (v1.Image, error) {
	if spec.Arch == "" {
		return nil, errors.New("image: no architecture")
	}
	_, tag, err := splitRef(spec.Ref)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(spec.Binary)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.Component.Name, err)
	}
	if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		return nil, fmt.Errorf("image %s: %s is not an ELF binary", spec.Component.Name, spec.Binary)
	}
	base, err := layer(baseFiles())
	if err != nil {
		return nil, err
	}
	app, err := layer(appFiles(spec.Component, bin))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{
			Created: v1.Time{Time: Epoch}, CreatedBy: "tollgate imagebuild: base (CA certificates, user 65532, /data, /tmp)"}},
		mutate.Addendum{Layer: app, MediaType: types.OCILayer, History: v1.History{
			Created: v1.Time{Time: Epoch}, CreatedBy: "tollgate imagebuild: " + path.Join(BinDir, spec.Component.Binary)}},
	)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = spec.Arch
	cfg.OS = "linux"
	cfg.Created = v1.Time{Time: Epoch}
	cfg.Config = imageConfig(spec.Component, tag)
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, map[string]string{
		"org.opencontainers.image.title":   spec.Component.Binary,
		"org.opencontainers.image.version": tag,
	}).(v1.Image), nil
}

func imageConfig(c Component, tag string) v1.Config {
	port := strconv.Itoa(c.Port)
	cfg := v1.Config{
		User:         fmt.Sprintf("%d:%d", UID, GID),
		Entrypoint:   []string{path.Join(BinDir, c.Binary)},
		WorkingDir:   DataDir,
		ExposedPorts: map[string]struct{}{port + "/tcp": {}},
		Env:          []string{"PATH=" + BinDir},
		Labels: map[string]string{
			"org.opencontainers.image.title":   c.Binary,
			"org.opencontainers.image.version": tag,
		},
	}
	// Listen on every interface (the binaries' defaults are loopback).
	if c.Service {
		cfg.Env = append(cfg.Env, "TOLLGATE_GRPC_ADDR=:"+port, "TOLLGATE_DATA_DIR="+DataDir)
		cfg.Volumes = map[string]struct{}{DataDir: {}}
	} else {
		cfg.Env = append(cfg.Env, "TOLLGATE_HTTP_ADDR=:"+port)
	}
	return cfg
}

// file is one tar entry of a layer.
type file struct {
	name     string // without a leading slash
	mode     int64  // permission bits (and sticky)
	uid, gid int
	dir      bool
	data     []byte
}

func baseFiles() []file {
	root := func(name string) file { return file{name: name, mode: 0o755, dir: true} }
	return []file{
		root("etc"), root("etc/ssl"), root("etc/ssl/certs"),
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caBundle()},
		{name: "etc/passwd", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", UID, GID, DataDir)},
		{name: "etc/group", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", GID)},
		{name: strings.TrimPrefix(DataDir, "/"), mode: 0o700, uid: UID, gid: GID, dir: true},
		{name: "tmp", mode: 0o1777, dir: true},
	}
}

func appFiles(c Component, bin []byte) []file {
	return []file{
		{name: "usr", mode: 0o755, dir: true},
		{name: "usr/local", mode: 0o755, dir: true},
		{name: "usr/local/bin", mode: 0o755, dir: true},
		{name: path.Join(strings.TrimPrefix(BinDir, "/"), c.Binary), mode: 0o755, data: bin},
	}
}

// caBundle is the Mozilla root store as pinned by the module
// golang.org/x/crypto/x509roots/fallback in go.mod (so images do not depend
// on the build machine), in PEM. Roots with constraints that PEM cannot
// express (distrust-after dates) are left out.
func caBundle() []byte {
	var b bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return b.Bytes()
}

// layer makes a gzip-compressed OCI layer from files, sorted by name, with
// fixed times and numeric owners only.
func layer(files []file) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name:     f.name,
			Mode:     f.mode,
			Uid:      f.uid,
			Gid:      f.gid,
			ModTime:  Epoch,
			Typeflag: tar.TypeReg,
			Size:     int64(len(f.data)),
			Format:   tar.FormatPAX,
		}
		if f.dir {
			h.Name += "/"
			h.Typeflag = tar.TypeDir
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// WriteOCIArchive writes img as an OCI image layout in a tar file (what
// `skopeo copy oci-archive:`, `podman load` and `docker load` read), named
// ref, and returns the image's manifest digest. The archive itself is
// reproducible too: sorted entries, fixed times and owners.
func WriteOCIArchive(img v1.Image, ref, out string) (v1.Hash, error) {
	_, tag, err := splitRef(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(out), ".oci-layout-*")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	err = p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
		"io.containerd.image.name":          ref,
	}))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := tarDir(dir, out); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

// tarDir writes the regular files and directories under dir to a tar file
// at out, atomically, in sorted order with fixed metadata.
func tarDir(dir, out string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tmp, err := os.CreateTemp(filepath.Dir(out), ".image-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	tw := tar.NewWriter(tmp)
	for _, p := range names {
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: Epoch, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		switch {
		case info.IsDir():
			h.Name += "/"
			h.Mode = 0o755
			h.Typeflag = tar.TypeDir
		case info.Mode().IsRegular():
			h.Size = info.Size()
		default:
			return fmt.Errorf("oci layout: unexpected file %s", p)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// ImageRefs reads the image references every overlay renders from the
// `images:` list of a kustomization (deploy/kubernetes/base), the one place
// the version is pinned: component name → "tollgate/<component>:<tag>" (or
// newName:newTag). Every component must have an entry with a tag other than
// latest.
func ImageRefs(kustomization string) (map[string]string, error) {
	data, err := os.ReadFile(kustomization)
	if err != nil {
		return nil, err
	}
	var k struct {
		Images []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
			Digest  string `json:"digest"`
		} `json:"images"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", kustomization, err)
	}
	refs := map[string]string{}
	for _, img := range k.Images {
		component, ok := strings.CutPrefix(img.Name, ImageNamePrefix)
		if !ok {
			continue
		}
		if _, known := ComponentByName(component); !known {
			return nil, fmt.Errorf("%s: image %s names no component", kustomization, img.Name)
		}
		if img.Digest != "" || img.NewTag == "" || img.NewTag == "latest" {
			return nil, fmt.Errorf("%s: image %s needs a newTag other than latest (and no digest): make images builds that tag", kustomization, img.Name)
		}
		name := img.Name
		if img.NewName != "" {
			name = img.NewName
		}
		refs[component] = name + ":" + img.NewTag
	}
	for _, c := range Components {
		if refs[c.Name] == "" {
			return nil, fmt.Errorf("%s: no images entry for %s%s", kustomization, ImageNamePrefix, c.Name)
		}
	}
	return refs, nil
}

// ImageNamePrefix starts every image name in the manifests.
const ImageNamePrefix = "tollgate/"

// splitRef splits "name:tag" (no digests) and refuses latest.
func splitRef(ref string) (name, tag string, err error) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") || strings.Contains(ref, "@") {
		return "", "", fmt.Errorf("image reference %q: want name:tag", ref)
	}
	name, tag = ref[:i], ref[i+1:]
	if name == "" || tag == "" || tag == "latest" {
		return "", "", fmt.Errorf("image reference %q: want name:tag with a tag other than latest", ref)
	}
	return name, tag, nil
}
