package gateway

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/config"
)

// UserAuthFlags choose how user JWTs are verified: an OIDC issuer (JWKS
// URL or discovery), a static public key, or the dev key of `tollgate up
// --dev`.
type UserAuthFlags struct {
	Issuer        string
	Audience      string
	JWKSURL       string
	Discovery     bool
	PublicKeyFile string
	DevKeyFile    string
}

// Register defines the flags.
func (f *UserAuthFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Issuer, "oidc-issuer", "", "issuer (iss) of user JWTs")
	fs.StringVar(&f.Audience, "oidc-audience", "", "audience (aud) user JWTs must carry")
	fs.StringVar(&f.JWKSURL, "oidc-jwks-url", "", "JWKS URL of the issuer's signing keys")
	fs.BoolVar(&f.Discovery, "oidc-discovery", false, "find the JWKS URL through the issuer's /.well-known/openid-configuration")
	fs.StringVar(&f.PublicKeyFile, "jwt-public-key", "", "PEM public key that signs user JWTs (instead of JWKS)")
	fs.StringVar(&f.DevKeyFile, "dev-user-key", "", "development only: trust JWTs from `tollgate dev token` signed with this Ed25519 key")
}

// Check reports inconsistent settings.
func (f *UserAuthFlags) Check(p *config.Problems) {
	if f.DevKeyFile != "" {
		p.File("dev-user-key", f.DevKeyFile)
		return
	}
	p.NonEmpty("oidc-issuer", f.Issuer)
	p.NonEmpty("oidc-audience", f.Audience)
	p.URL("oidc-jwks-url", f.JWKSURL)
	p.File("jwt-public-key", f.PublicKeyFile)
	sources := 0
	for _, set := range []bool{f.JWKSURL != "", f.Discovery, f.PublicKeyFile != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		p.Addf("oidc-jwks-url", "choose exactly one key source: -oidc-jwks-url, -oidc-discovery or -jwt-public-key (or -dev-user-key in development)")
	}
}

// Verifier builds the user JWT verifier.
func (f *UserAuthFlags) Verifier(ctx context.Context) (*auth.UserVerifier, error) {
	if f.DevKeyFile != "" {
		key, err := auth.LoadPrivateKey(f.DevKeyFile)
		if err != nil {
			return nil, fmt.Errorf("dev user key: %w", err)
		}
		return DevUserVerifier(ctx, key.Public().(ed25519.PublicKey))
	}
	return auth.NewUserVerifier(ctx, auth.UserVerifierConfig{
		Issuer:        f.Issuer,
		Audience:      f.Audience,
		JWKSURL:       f.JWKSURL,
		DiscoverOIDC:  f.Discovery,
		PublicKeyFile: f.PublicKeyFile,
	})
}

// DevUserVerifier trusts tokens minted by `tollgate dev token`.
func DevUserVerifier(ctx context.Context, pub ed25519.PublicKey) (*auth.UserVerifier, error) {
	return auth.NewUserVerifier(ctx, auth.DevVerifierConfig(pub))
}
