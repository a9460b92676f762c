package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	pemPrivateKey = "PRIVATE KEY"
	pemPublicKey  = "PUBLIC KEY"
)

// LoadOrCreateKey loads the Ed25519 key at path, generating and storing a new
// one (directory 0700, file 0600) if the file does not exist yet.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	key, err := LoadPrivateKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encoding key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
	switch err := writeFileExclusive(path, pemBytes); {
	case errors.Is(err, fs.ErrExist):
		// Another process created the key first; everyone must share its key.
		return LoadPrivateKey(path)
	case err != nil:
		return nil, fmt.Errorf("auth: storing new key: %w", err)
	}
	return key, nil
}

// LoadPrivateKey reads a PEM "PRIVATE KEY" (PKCS#8) holding an Ed25519 key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != pemPrivateKey {
		return nil, fmt.Errorf("auth: %s: PEM block %q, want %q", path, block.Type, pemPrivateKey)
	}
	return parseEd25519Private(path, block.Bytes)
}

// LoadPublicKey reads an Ed25519 public key from a PEM "PUBLIC KEY" (PKIX),
// or derives it from a private key file so one file can serve both roles.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case pemPrivateKey:
		priv, err := parseEd25519Private(path, block.Bytes)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	case pemPublicKey:
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: %s: %w", path, err)
		}
		edPub, ok := pub.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("auth: %s: %T is not an Ed25519 public key", path, pub)
		}
		return edPub, nil
	default:
		return nil, fmt.Errorf("auth: %s: PEM block %q, want %q or %q", path, block.Type, pemPublicKey, pemPrivateKey)
	}
}

func parseEd25519Private(path string, der []byte) (ed25519.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	edKey, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: %s: %T is not an Ed25519 private key", path, key)
	}
	return edKey, nil
}

// readPEM returns the first PEM block of the file; the error wraps
// fs.ErrNotExist when the file is missing.
func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("auth: %s: no PEM data", path)
	}
	return block, nil
}

// writeFileExclusive publishes data at path with mode 0600 so that readers
// never see a partial file and an existing file is never replaced; it returns
// an error wrapping fs.ErrExist if path already exists.
func writeFileExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a link or rename only the temp name goes
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := publishNoClobber(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// publishNoClobber makes tmp visible at path atomically. A hard link fails if
// path exists, which a rename would silently overwrite — two processes racing
// to create the key would then disagree about it.
func publishNoClobber(tmp, path string) error {
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// Filesystems without hard links: a rename is still atomic, just not exclusive.
	return os.Rename(tmp, path)
}

// syncDir persists the new directory entry. Best effort: some platforms
// cannot sync directories, and the key file itself is already durable.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
