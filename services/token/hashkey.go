package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MinHashKeyLength is the least key material a hash key file may hold:
// HMAC-SHA256 gains nothing from more than 32 bytes, and less weakens it.
const MinHashKeyLength = 32

// hashKeyPEMType labels the PEM block LoadOrCreateHashKey writes.
const hashKeyPEMType = "TOLLGATE TOKEN HASH KEY"

// HashKeyPath is where the all-in-one launcher keeps the hash key.
func HashKeyPath(dataDir string) string {
	return filepath.Join(dataDir, "keys", "token-hash.key")
}

// LoadHashKey reads a hash key file: one PEM block of any type, whose bytes
// are the key, or else the file's raw bytes exactly (no trimming, so that
// a binary key ending in a newline byte stays intact).
func LoadHashKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token hash key: %w", err)
	}
	key := data
	if block, _ := pem.Decode(data); block != nil {
		key = block.Bytes
	}
	if len(key) < MinHashKeyLength {
		return nil, fmt.Errorf("token hash key %s: %d bytes of key material, want at least %d", path, len(key), MinHashKeyLength)
	}
	return key, nil
}

// LoadOrCreateHashKey loads the key at path, first creating it (32 random
// bytes in PEM, file 0600 in a 0700 directory) if there is none. The file
// appears atomically and is never replaced, so concurrent starts agree on
// one key.
func LoadOrCreateHashKey(path string) ([]byte, error) {
	key, err := LoadHashKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, MinHashKeyLength)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("token hash key: generating: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: hashKeyPEMType, Bytes: key})
	switch err := writeNewFile(path, data); {
	case errors.Is(err, fs.ErrExist):
		return LoadHashKey(path) // another process won the race: share its key
	case err != nil:
		return nil, fmt.Errorf("token hash key: storing %s: %w", path, err)
	}
	return key, nil
}

// writeNewFile publishes data at path (mode 0600) through a temporary file
// and a hard link, which, unlike a rename, fails if path exists.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the file itself is already durable
		_ = d.Close()
	}
	return nil
}

// Keyring holds the current hash key, which hashes every new secret, and
// previous keys, which still verify secrets hashed before a key rotation.
// Keys are known by an id derived from them, stored beside each hash.
type Keyring struct {
	currentID string
	keys      map[string][]byte
}

// NewKeyring builds a keyring from key material.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	if len(current) < MinHashKeyLength {
		return nil, fmt.Errorf("token hash key: want at least %d bytes", MinHashKeyLength)
	}
	k := &Keyring{currentID: keyID(current), keys: map[string][]byte{keyID(current): current}}
	for _, p := range previous {
		if len(p) < MinHashKeyLength {
			return nil, fmt.Errorf("previous token hash key: want at least %d bytes", MinHashKeyLength)
		}
		if _, dup := k.keys[keyID(p)]; !dup {
			k.keys[keyID(p)] = p
		}
	}
	return k, nil
}

// LoadKeyring reads the current key file and the previous ones.
func LoadKeyring(currentPath string, previousPaths []string) (*Keyring, error) {
	current, err := LoadHashKey(currentPath)
	if err != nil {
		return nil, err
	}
	previous := make([][]byte, 0, len(previousPaths))
	for _, p := range previousPaths {
		key, err := LoadHashKey(p)
		if err != nil {
			return nil, err
		}
		previous = append(previous, key)
	}
	return NewKeyring(current, previous...)
}

// Current returns the current key and its id.
func (k *Keyring) Current() (id string, key []byte) { return k.currentID, k.keys[k.currentID] }

// Key returns the key with id, if the keyring still holds it.
func (k *Keyring) Key(id string) ([]byte, bool) {
	key, ok := k.keys[id]
	return key, ok
}

// keyID names a key without revealing it: a truncated hash under a fixed
// label, so it cannot be mistaken for a secret hash.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("tollgate token hash key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}
