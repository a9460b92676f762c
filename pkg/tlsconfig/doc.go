// Package tlsconfig builds TLS settings from mounted certificate files and
// keeps them current: certificates, keys and CA bundles are re-read when
// the files change on disk, so a rotation (cert-manager, a Secret update)
// takes effect on the next handshake without a restart. Connections
// already established keep the certificates they were opened with.
//
// The server side presents a reloaded certificate and, when a client CA
// bundle is given, requires client certificates that chain to it (mutual
// TLS). The client side trusts a reloaded CA bundle and, for mutual TLS,
// presents a reloaded client certificate.
package tlsconfig
