package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestPerRPCCredentials(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want Principal
	}{
		{"context principal", NewContext(context.Background(), tokenPrincipal), tokenPrincipal},
		{"own service principal", context.Background(), Principal{Kind: KindService, Service: "gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v := newTestSignerVerifier(newFakeClock(), 0)
			md, err := s.PerRPCCredentials(true).GetRequestMetadata(tt.ctx, "/tollgate.v1.Tenancy/GetOrganization")
			if err != nil {
				t.Fatalf("GetRequestMetadata: %v", err)
			}
			got, err := v.Verify(md[MetadataKey])
			if err != nil {
				t.Fatalf("Verify(metadata): %v", err)
			}
			if got != tt.want {
				t.Fatalf("assertion carries %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPerRPCCredentialsInvalidPrincipal(t *testing.T) {
	s, _ := newTestSignerVerifier(newFakeClock(), 0)
	ctx := NewContext(context.Background(), Principal{Kind: KindUser})
	_, err := s.PerRPCCredentials(false).GetRequestMetadata(ctx)
	if status.Code(err) != codes.Internal {
		t.Fatalf("GetRequestMetadata = %v, want code Internal", err)
	}
}

func TestPerRPCCredentialsRequireTLS(t *testing.T) {
	s, _ := newTestSignerVerifier(newFakeClock(), 0)
	for _, want := range []bool{true, false} {
		if got := s.PerRPCCredentials(want).RequireTransportSecurity(); got != want {
			t.Errorf("RequireTransportSecurity() = %v, want %v", got, want)
		}
	}
}
