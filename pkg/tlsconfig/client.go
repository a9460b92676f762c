package tlsconfig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"

	"google.golang.org/grpc/credentials"
)

// ClientFiles are the files of a TLS client.
type ClientFiles struct {
	// CAFile holds the PEM bundle of CAs that server certificates must
	// chain to (required).
	CAFile string
	// CertFile and KeyFile, both or neither, hold the client certificate
	// chain and key presented to servers that require mutual TLS.
	CertFile, KeyFile string
	// ServerName, if set, is the name server certificates are verified
	// against instead of the host of the dialed address: for addresses that
	// are not the certificate's name, such as a kubectl port-forward.
	ServerName string
	Options
}

// ClientCredentials returns gRPC client credentials that verify servers
// against the current CA bundle and present the current client
// certificate, if any.
func ClientCredentials(f ClientFiles) (credentials.TransportCredentials, error) {
	if f.CAFile == "" {
		return nil, errors.New("tlsconfig: a client needs a CA file")
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New("tlsconfig: a client certificate needs both a certificate and a key file")
	}
	roots, err := watchCAs(f.CAFile, f.Options)
	if err != nil {
		return nil, err
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CertFile != "" {
		pair, err := watchKeyPair(f.CertFile, f.KeyFile, f.Options)
		if err != nil {
			return nil, err
		}
		base.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return pair.get(), nil }
	}
	return &clientCredentials{base: base, roots: roots, serverName: f.ServerName}, nil
}

// clientCredentials give each handshake a Config with the current roots.
// RootCAs is read once per Config, and a VerifyConnection hook cannot
// check the name of a server dialed by IP address (such servers send no
// SNI, so the hook never learns the name), so the roots are swapped in
// per handshake and the standard verification does the rest.
type clientCredentials struct {
	base       *tls.Config
	roots      *watched[*x509.CertPool]
	serverName string
}

func (c *clientCredentials) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	cfg := c.base.Clone()
	cfg.RootCAs = c.roots.get()
	if c.serverName != "" {
		// grpc verifies the certificate against the authority it is given.
		authority = c.serverName
	}
	return credentials.NewTLS(cfg).ClientHandshake(ctx, authority, raw)
}

func (c *clientCredentials) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("tlsconfig: client credentials cannot accept connections")
}

func (c *clientCredentials) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls", SecurityVersion: "1.2", ServerName: c.serverName}
}

func (c *clientCredentials) Clone() credentials.TransportCredentials {
	clone := *c
	clone.base = c.base.Clone()
	return &clone
}

// OverrideServerName is unused by grpc (deprecated there) but part of the
// interface; it sets the name certificates are verified against.
func (c *clientCredentials) OverrideServerName(name string) error {
	c.serverName = name
	return nil
}
