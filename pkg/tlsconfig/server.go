package tlsconfig

import (
	"crypto/tls"
	"errors"

	"google.golang.org/grpc/credentials"
)

// ServerFiles are the files of a TLS server.
type ServerFiles struct {
	// CertFile and KeyFile hold the PEM certificate chain to present and
	// its private key.
	CertFile, KeyFile string
	// ClientCAFile, if set, holds the PEM bundle of CAs that client
	// certificates must chain to; setting it requires client certificates
	// (mutual TLS).
	ClientCAFile string
	Options
}

// ServerConfig returns a server *tls.Config (for HTTPS or gRPC) that
// presents the current certificate and, for mutual TLS, verifies clients
// against the current CA bundle. The files must load now; later changes
// that fail to load keep the previous contents.
func ServerConfig(f ServerFiles) (*tls.Config, error) {
	if f.CertFile == "" || f.KeyFile == "" {
		return nil, errors.New("tlsconfig: a server needs both a certificate and a key file")
	}
	pair, err := watchKeyPair(f.CertFile, f.KeyFile, f.Options)
	if err != nil {
		return nil, err
	}
	getCertificate := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return pair.get(), nil }
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: getCertificate}
	if f.ClientCAFile == "" {
		return cfg, nil
	}
	clientCAs, err := watchCAs(f.ClientCAFile, f.Options)
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	// ClientCAs is read once per Config, so each handshake gets a Config
	// carrying the current bundle.
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: getCertificate,
			ClientAuth:     tls.RequireAndVerifyClientCert,
			ClientCAs:      clientCAs.get(),
		}, nil
	}
	return cfg, nil
}

// ServerCredentials are gRPC server credentials built on ServerConfig.
func ServerCredentials(f ServerFiles) (credentials.TransportCredentials, error) {
	cfg, err := ServerConfig(f)
	if err != nil {
		return nil, err
	}
	// grpc adds the h2 protocol to the Configs GetConfigForClient returns.
	return credentials.NewTLS(cfg), nil
}
