// Package auth authenticates callers of Tollgate.
//
// At the REST edge, UserVerifier checks user JWTs from the identity provider
// (or, in dev mode, from a local key). Between components, the verified
// Principal travels as a short-lived Ed25519-signed internal assertion in
// gRPC metadata (MetadataKey): a Signer mints it, typically per call through
// PerRPCCredentials, and the receiving service checks it with a Verifier.
package auth
