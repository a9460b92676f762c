package auth

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	path := filepath.Join(dir, "internal-key.pem")

	created, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	assertMode(t, dir, 0o700|fs.ModeDir)
	assertMode(t, path, 0o600)

	reloaded, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !created.Equal(reloaded) {
		t.Fatal("reloading returned a different key")
	}
	loaded, err := LoadPrivateKey(path)
	if err != nil || !created.Equal(loaded) {
		t.Fatalf("LoadPrivateKey = %v, want the created key", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestLoadOrCreateKeyConcurrentCallersAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	const callers = 8
	keys := make([]ed25519.PrivateKey, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
}

func TestLoadPublicKey(t *testing.T) {
	dir := t.TempDir()
	privPath := filepath.Join(dir, "key.pem")
	priv, err := LoadOrCreateKey(privPath)
	if err != nil {
		t.Fatal(err)
	}
	want := priv.Public().(ed25519.PublicKey)

	der, err := x509.MarshalPKIXPublicKey(want)
	if err != nil {
		t.Fatal(err)
	}
	pubPath := writePEM(t, dir, "pub.pem", "PUBLIC KEY", der)

	for name, path := range map[string]string{"from private key file": privPath, "from public key file": pubPath} {
		t.Run(name, func(t *testing.T) {
			got, err := LoadPublicKey(path)
			if err != nil {
				t.Fatalf("LoadPublicKey: %v", err)
			}
			if !got.Equal(want) {
				t.Fatal("LoadPublicKey returned a different key")
			}
		})
	}
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	rsaDER, err := x509.MarshalPKCS8PrivateKey(testRSAKey())
	if err != nil {
		t.Fatal(err)
	}
	rsaPath := writePEM(t, dir, "rsa.pem", "PRIVATE KEY", rsaDER)
	certPath := writePEM(t, dir, "cert.pem", "CERTIFICATE", []byte("x"))
	notPEM := filepath.Join(dir, "junk")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := LoadPrivateKey(filepath.Join(dir, "missing.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	for _, path := range []string{rsaPath, certPath, notPEM} {
		if _, err := LoadPrivateKey(path); err == nil {
			t.Errorf("LoadPrivateKey(%s) succeeded", filepath.Base(path))
		}
		if _, err := LoadPublicKey(path); err == nil {
			t.Errorf("LoadPublicKey(%s) succeeded", filepath.Base(path))
		}
		if _, err := LoadOrCreateKey(path); err == nil {
			t.Errorf("LoadOrCreateKey(%s) replaced an unusable file instead of failing", filepath.Base(path))
		}
	}
}

func writePEM(t *testing.T, dir, name, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode(); got != want {
		t.Fatalf("%s mode = %v, want %v", path, got, want)
	}
}
