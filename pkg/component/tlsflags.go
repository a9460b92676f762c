package component

import (
	"crypto/tls"
	"flag"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/tollgate/tollgate/pkg/config"
	"github.com/tollgate/tollgate/pkg/tlsconfig"
)

// TLS is off unless these flags are given: plaintext stays the default for
// loopback (`tollgate up`) and meshes that encrypt on our behalf. Every
// certificate, key and CA file is re-read when it changes (see
// pkg/tlsconfig), so rotating them needs no restart.

// ServerTLSFlags are the TLS settings of a service's gRPC server.
type ServerTLSFlags struct {
	Cert, Key, ClientCA string
}

// Register defines --tls-cert, --tls-key and --tls-client-ca.
func (f *ServerTLSFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Cert, "tls-cert", "", "PEM certificate chain the gRPC server presents; with --tls-key, serve TLS")
	fs.StringVar(&f.Key, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.ClientCA, "tls-client-ca", "", "PEM bundle of CAs that client certificates must chain to; setting it requires mutual TLS")
}

// Check reports incomplete or unreadable settings.
func (f *ServerTLSFlags) Check(p *config.Problems) {
	checkPair(p, "tls-cert", f.Cert, "tls-key", f.Key)
	p.File("tls-client-ca", f.ClientCA)
	if f.ClientCA != "" && f.Cert == "" {
		p.Addf("tls-client-ca", "needs --tls-cert and --tls-key (mutual TLS is TLS plus client certificates)")
	}
}

// ServerOptions returns the option that turns TLS on, or none.
func (f *ServerTLSFlags) ServerOptions(logger *slog.Logger) ([]grpc.ServerOption, error) {
	if f.Cert == "" {
		return nil, nil
	}
	creds, err := tlsconfig.ServerCredentials(tlsconfig.ServerFiles{
		CertFile: f.Cert, KeyFile: f.Key, ClientCAFile: f.ClientCA, Options: tlsconfig.Options{Logger: logger},
	})
	if err != nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(creds)}, nil
}

// PeerTLSFlags are the TLS settings of calls to other components.
type PeerTLSFlags struct {
	CA, Cert, Key, ServerName string
}

// Register defines --peer-tls-ca, --peer-tls-cert, --peer-tls-key and
// --peer-tls-server-name.
func (f *PeerTLSFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.CA, "peer-tls-ca", "", "PEM bundle of CAs that peers' certificates must chain to; setting it calls peers over TLS")
	fs.StringVar(&f.Cert, "peer-tls-cert", "", "PEM client certificate chain presented to peers that require mutual TLS (with --peer-tls-key)")
	fs.StringVar(&f.Key, "peer-tls-key", "", "PEM private key of --peer-tls-cert")
	fs.StringVar(&f.ServerName, "peer-tls-server-name", "", "name peers' certificates are checked against instead of the host of their address")
}

// Check reports incomplete or unreadable settings.
func (f *PeerTLSFlags) Check(p *config.Problems) {
	p.File("peer-tls-ca", f.CA)
	checkPair(p, "peer-tls-cert", f.Cert, "peer-tls-key", f.Key)
	if f.CA == "" && (f.Cert != "" || f.ServerName != "") {
		p.Addf("peer-tls-ca", "must be set when --peer-tls-cert or --peer-tls-server-name is")
	}
}

// Credentials returns the transport credentials for calls to peers, or
// nil for plaintext.
func (f *PeerTLSFlags) Credentials(logger *slog.Logger) (credentials.TransportCredentials, error) {
	if f.CA == "" {
		return nil, nil
	}
	return tlsconfig.ClientCredentials(tlsconfig.ClientFiles{
		CAFile: f.CA, CertFile: f.Cert, KeyFile: f.Key, ServerName: f.ServerName, Options: tlsconfig.Options{Logger: logger},
	})
}

// HTTPSFlags are the certificate of an HTTP server.
type HTTPSFlags struct {
	Cert, Key string
}

// Register defines --https-cert and --https-key.
func (f *HTTPSFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Cert, "https-cert", "", "PEM certificate chain; with --https-key, serve HTTPS instead of HTTP")
	fs.StringVar(&f.Key, "https-key", "", "PEM private key of --https-cert")
}

// Check reports incomplete or unreadable settings.
func (f *HTTPSFlags) Check(p *config.Problems) {
	checkPair(p, "https-cert", f.Cert, "https-key", f.Key)
}

// Config returns the server TLS config, or nil for plain HTTP.
func (f *HTTPSFlags) Config(logger *slog.Logger) (*tls.Config, error) {
	if f.Cert == "" {
		return nil, nil
	}
	return tlsconfig.ServerConfig(tlsconfig.ServerFiles{CertFile: f.Cert, KeyFile: f.Key, Options: tlsconfig.Options{Logger: logger}})
}

// checkPair requires both files of a certificate and key pair, or neither.
func checkPair(p *config.Problems, certFlag, cert, keyFlag, key string) {
	switch {
	case cert != "" && key == "":
		p.Addf(keyFlag, "must be set together with --%s", certFlag)
	case cert == "" && key != "":
		p.Addf(certFlag, "must be set together with --%s", keyFlag)
	}
	p.File(certFlag, cert)
	p.File(keyFlag, key)
}
