package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/tollgate/tollgate/pkg/errs"
)

func TestAsSelfSignsTheServiceIdentity(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	creds := NewSigner(key, "tenancy", 0).PerRPCCredentials(false)
	user := NewContext(context.Background(), Principal{Kind: KindUser, Email: "ann@example.com"})
	for ctx, want := range map[context.Context]string{user: "user:ann@example.com", AsSelf(user): "service:tenancy"} {
		md, err := creds.GetRequestMetadata(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewVerifier(pub).Verify(md[MetadataKey])
		if err != nil || p.String() != want {
			t.Fatalf("got %v %v, want %s", p, err, want)
		}
	}
}

func TestRequireCallers(t *testing.T) {
	user := NewContext(context.Background(), Principal{Kind: KindUser, Email: "ann@example.com"})
	svc := NewContext(context.Background(), Principal{Kind: KindService, Service: "token"})
	tok := NewContext(context.Background(), Principal{Kind: KindToken, TokenName: "organizations/o/devices/d/apiTokens/t",
		Device: "organizations/o/devices/d", Organization: "organizations/o"})
	if email, err := RequireUser(user); err != nil || email != "ann@example.com" {
		t.Fatalf("RequireUser(user) = %q, %v", email, err)
	}
	for _, ctx := range []context.Context{svc, tok} {
		if _, err := RequireUser(ctx); !errors.Is(err, errs.ErrPermissionDenied) {
			t.Fatalf("RequireUser: %v", err)
		}
	}
	if _, err := RequireUser(context.Background()); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("RequireUser(anonymous): %v", err)
	}
	if err := RequireService(svc); err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []context.Context{user, tok, context.Background()} {
		if err := RequireService(ctx); !errors.Is(err, errs.ErrPermissionDenied) {
			t.Fatalf("RequireService: %v", err)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for _, ok := range []string{"a@b.co", "ann.lee+tag@mail.example.com", "x@1.2.3.example"} {
		if !ValidEmail(ok) {
			t.Errorf("ValidEmail(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "plain", "@example.com", "ann@", "ann@localhost", "Ann@example.com", " ann@example.com",
		"Ann <ann@example.com>", "ann@exa_mple.com", "ann@-example.com", "a@b..com", "ann@example.com."} {
		if ValidEmail(bad) {
			t.Errorf("ValidEmail(%q) = true", bad)
		}
	}
}
