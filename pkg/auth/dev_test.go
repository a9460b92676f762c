package auth

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
)

func TestMintDevTokenVerifiesWithDevConfig(t *testing.T) {
	dataDir := t.TempDir()
	if got, want := DevKeyPath(dataDir), filepath.Join(dataDir, "dev", "user-signing-key.pem"); got != want {
		t.Fatalf("DevKeyPath = %q, want %q", got, want)
	}
	key, err := LoadOrCreateKey(DevKeyPath(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	token, err := MintDevToken(key, "  Bob@Example.COM ", 0)
	if err != nil {
		t.Fatalf("MintDevToken: %v", err)
	}
	v, err := NewUserVerifier(context.Background(), DevVerifierConfig(key.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatalf("NewUserVerifier: %v", err)
	}
	got, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := (Principal{Kind: KindUser, Email: "bob@example.com"}); got != want {
		t.Fatalf("Verify = %v, want %v", got, want)
	}
}

func TestMintDevTokenRejectsBadInput(t *testing.T) {
	if _, err := MintDevToken(testEd25519Key(), "   ", 0); err == nil {
		t.Error("MintDevToken accepted an empty email")
	}
	if _, err := MintDevToken(nil, "a@b.c", 0); err == nil {
		t.Error("MintDevToken accepted a nil key")
	}
}
