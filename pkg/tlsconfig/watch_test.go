package tlsconfig

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/tlsconfig/tlstest"
)

func TestFilesAreCheckedAtMostOncePerInterval(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	first := ca.Issue(t, "server")
	pair := tlstest.WritePair(t, dir, "server", first)
	w, err := watchKeyPair(pair.Cert, pair.Key, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	w.now = func() time.Time { return now }
	w.checked = now

	second := ca.Issue(t, "server")
	pair.Replace(t, second)
	now = now.Add(DefaultReloadInterval - time.Millisecond)
	if got := w.get().Leaf.SerialNumber; got.Cmp(first.Serial) != 0 {
		t.Fatalf("within the interval: serial %v, want the first %v", got, first.Serial)
	}
	now = now.Add(time.Millisecond)
	if got := w.get().Leaf.SerialNumber; got.Cmp(second.Serial) != 0 {
		t.Fatalf("after the interval: serial %v, want the rotated %v", got, second.Serial)
	}
}

func TestAMissingFileKeepsThePreviousContents(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "test CA")
	caFile := ca.WriteFile(t, dir, "ca.crt")
	w, err := watchCAs(caFile, Options{ReloadInterval: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	before := w.get()
	if err := os.Remove(caFile); err != nil { // as during a botched symlink swap
		t.Fatal(err)
	}
	if w.get() != before {
		t.Fatal("a missing file replaced the loaded CA bundle")
	}
}
