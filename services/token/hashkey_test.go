package token

import (
	"bytes"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/pkg/config"
)

func TestLoadOrCreateHashKey(t *testing.T) {
	path := HashKeyPath(t.TempDir())
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Go(func() {
			key, err := LoadOrCreateHashKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = key
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) < MinHashKeyLength {
			t.Fatal("concurrent creators disagree on the key")
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	again, err := LoadHashKey(path)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("reloading the key: %v", err)
	}
}

func TestLoadHashKeyFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw := bytes.Repeat([]byte{0x0a}, 40)
	if key, err := LoadHashKey(write("raw", raw)); err != nil || !bytes.Equal(key, raw) {
		t.Fatalf("raw key: %v (trailing newline bytes must be kept)", err)
	}
	material := bytes.Repeat([]byte{7}, 32)
	if key, err := LoadHashKey(write("pem", pem.EncodeToMemory(&pem.Block{Type: "SECRET", Bytes: material}))); err != nil || !bytes.Equal(key, material) {
		t.Fatalf("PEM key: %v", err)
	}
	if _, err := LoadHashKey(write("short", []byte("too short"))); err == nil {
		t.Fatal("a short key was accepted")
	}
	if _, err := LoadHashKey(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}

func TestKeyringKnowsPreviousKeys(t *testing.T) {
	current, previous := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	k, err := NewKeyring(current, previous, previous)
	if err != nil {
		t.Fatal(err)
	}
	id, key := k.Current()
	if !bytes.Equal(key, current) || strings.Contains(id, string(current)) {
		t.Fatal("current key wrong")
	}
	other, _ := NewKeyring(previous)
	prevID, _ := other.Current()
	if got, ok := k.Key(prevID); !ok || !bytes.Equal(got, previous) {
		t.Fatal("previous key not found by its id")
	}
	if _, err := NewKeyring(current, []byte("short")); err == nil {
		t.Fatal("a short previous key was accepted")
	}
}

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	good := HashKeyPath(dir)
	if _, err := LoadOrCreateHashKey(good); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(short, []byte("x"), 0o600)

	s := NewSettings()
	fs := flag.NewFlagSet("tokend", flag.ContinueOnError)
	s.Register(fs)
	err := fs.Parse([]string{
		"--token-hash-key", good, "--token-hash-previous-keys", good + ", " + short,
		"--max-tokens-per-device", "0", "--token-max-lifetime", "-1h", "--last-use-flush-interval", "0s",
	})
	if err != nil {
		t.Fatal(err)
	}
	var p config.Problems
	s.Check(&p)
	msg := p.Err().Error()
	for _, flagName := range []string{"token-hash-previous-keys", "max-tokens-per-device", "token-max-lifetime", "last-use-flush-interval"} {
		if !strings.Contains(msg, "-"+flagName+":") {
			t.Errorf("no problem reported for %s in:\n%s", flagName, msg)
		}
	}
	if strings.Contains(msg, "-token-hash-key:") {
		t.Errorf("a good key was reported: %s", msg)
	}

	defaults := NewSettings()
	var none config.Problems
	defaults.Check(&none)
	if err := none.Err(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := defaults.UseDataDir(dir); err != nil || defaults.HashKeyFile != good {
		t.Fatalf("UseDataDir: %v, key %q", err, defaults.HashKeyFile)
	}
	if _, err := defaults.keyring(); err != nil {
		t.Fatal(err)
	}
}
