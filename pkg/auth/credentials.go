package auth

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// PerRPCCredentials returns gRPC call credentials that attach a fresh
// assertion to every call: for the principal in the call's context (the
// caller being served), or else — or under AsSelf — for this component
// itself.
func (s *Signer) PerRPCCredentials(requireTLS bool) credentials.PerRPCCredentials {
	return assertionCredentials{signer: s, requireTLS: requireTLS}
}

type assertionCredentials struct {
	signer     *Signer
	requireTLS bool
}

func (c assertionCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	p := OutgoingPrincipal(ctx, c.signer.component)
	assertion, err := c.signer.Sign(p)
	if err != nil {
		// A principal we cannot sign is a bug on our side, not the callee's
		// fault; Internal keeps it from looking like a rejected credential.
		return nil, status.Errorf(codes.Internal, "minting internal assertion for %s: %v", p, err)
	}
	return map[string]string{MetadataKey: assertion}, nil
}

func (c assertionCredentials) RequireTransportSecurity() bool {
	return c.requireTLS
}
