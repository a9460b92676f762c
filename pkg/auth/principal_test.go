package auth

import (
	"context"
	"errors"
	"testing"
)

const (
	testTokenName = "organizations/acme/devices/d1/apiTokens/t1"
	testDevice    = "organizations/acme/devices/d1"
	testOrg       = "organizations/acme"
)

var (
	userPrincipal    = Principal{Kind: KindUser, Email: "alice@example.com"}
	tokenPrincipal   = Principal{Kind: KindToken, TokenName: testTokenName, Device: testDevice, Organization: testOrg}
	servicePrincipal = Principal{Kind: KindService, Service: "tenancy"}
)

func TestPrincipalValid(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		want error // nil means valid
	}{
		{"user", userPrincipal, nil},
		{"token", tokenPrincipal, nil},
		{"service", servicePrincipal, nil},
		{"zero kind", Principal{}, ErrMalformed},
		{"unknown kind", Principal{Kind: 9, Service: "x"}, ErrMalformed},
		{"user without email", Principal{Kind: KindUser}, ErrMissingClaim},
		{"user email not normalized", Principal{Kind: KindUser, Email: "Alice@example.com"}, ErrMalformed},
		{"user email without @", Principal{Kind: KindUser, Email: "alice"}, ErrMalformed},
		{"user with service field", Principal{Kind: KindUser, Email: "a@b.c", Service: "x"}, ErrMalformed},
		{"token without name", Principal{Kind: KindToken}, ErrMissingClaim},
		{"token name wrong shape", Principal{Kind: KindToken, TokenName: "organizations/acme/apiTokens/t1"}, ErrMalformed},
		{"token name empty id", Principal{Kind: KindToken, TokenName: "organizations//devices/d1/apiTokens/t1", Device: "organizations//devices/d1", Organization: "organizations/"}, ErrMalformed},
		{"token device mismatch", Principal{Kind: KindToken, TokenName: testTokenName, Device: "organizations/acme/devices/d2", Organization: testOrg}, ErrMalformed},
		{"token without device", Principal{Kind: KindToken, TokenName: testTokenName, Organization: testOrg}, ErrMalformed},
		{"token with email", Principal{Kind: KindToken, TokenName: testTokenName, Device: testDevice, Organization: testOrg, Email: "a@b.c"}, ErrMalformed},
		{"service without name", Principal{Kind: KindService}, ErrMissingClaim},
		{"service name with newline", Principal{Kind: KindService, Service: "gate\nway"}, ErrMalformed},
		{"service with device", Principal{Kind: KindService, Service: "gateway", Device: testDevice}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Valid()
			if tt.want == nil && err != nil {
				t.Fatalf("Valid() = %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Valid() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPrincipalString(t *testing.T) {
	tests := []struct {
		p    Principal
		want string
	}{
		{userPrincipal, "user:alice@example.com"},
		{tokenPrincipal, "token:" + testTokenName},
		{servicePrincipal, "service:tenancy"},
		{Principal{}, "invalid:Kind(0)"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestContextRoundTrip(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("FromContext on empty context reported a principal")
	}
	got, ok := FromContext(NewContext(context.Background(), tokenPrincipal))
	if !ok || got != tokenPrincipal {
		t.Fatalf("FromContext = %v, %v; want %v, true", got, ok, tokenPrincipal)
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := NormalizeEmail("  Alice@Example.COM\n"); got != "alice@example.com" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
}
