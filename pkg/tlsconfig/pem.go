package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

var errNoCertificates = errors.New("no PEM certificates found")

// parseKeyPair reads a PEM certificate chain and its private key; a key
// that does not match the certificate is an error.
func parseKeyPair(contents [][]byte) (*tls.Certificate, error) {
	pair, err := tls.X509KeyPair(contents[0], contents[1])
	if err != nil {
		return nil, fmt.Errorf("certificate and key: %w", err)
	}
	return &pair, nil
}

// parseCAs reads a PEM bundle of CA certificates.
func parseCAs(contents [][]byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(contents[0]) {
		return nil, fmt.Errorf("CA bundle: %w", errNoCertificates)
	}
	return pool, nil
}

func watchKeyPair(certFile, keyFile string, opts Options) (*watched[*tls.Certificate], error) {
	return watch(opts, parseKeyPair, certFile, keyFile)
}

func watchCAs(caFile string, opts Options) (*watched[*x509.CertPool], error) {
	return watch(opts, parseCAs, caFile)
}
