package membership

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/obs"
	membershipv1 "github.com/tollgate/tollgate/proto/tollgate/membership/v1"
)

// TestComponentServes runs the component the way membershipd does and
// manages a member through it.
func TestComponentServes(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := component.Env{
		DataDir:    t.TempDir(),
		Logger:     slog.New(slog.DiscardHandler),
		Registerer: obs.NewRegistry(),
		Signer:     auth.NewSigner(key, component.Membership, 0),
		Verifier:   auth.NewVerifier(key.Public().(ed25519.PublicKey)),
		// Dialed lazily and never called: the member below has no cases.
		Peers:  map[string]string{component.Tenancy: "passthrough:///tenancy.invalid:1"},
		Secret: key.Seed(),
	}
	lis := bufconn.Listen(1 << 20)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- component.Run(ctx, Component, env, lis) }()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	conn, err := grpc.NewClient("passthrough:///membership",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.NewSigner(key, component.Gateway, 0).PerRPCCredentials(false)),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := membershipv1.NewMembershipServiceClient(conn)
	if _, err := client.CreateMember(as(t, owner), createRequest(annEmail, privMember)); err != nil {
		t.Fatal(err)
	}
	listed, err := client.ListMembers(as(t, owner), &membershipv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.GetMembers()) != 1 || listed.GetMembers()[0].GetEmail() != annEmail {
		t.Fatalf("ListMembers = %v", listed.GetMembers())
	}
}
