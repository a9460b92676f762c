package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
)

// minRSABits rejects RSA keys too short to be trusted for signatures.
const minRSABits = 2048

// userAlgorithms lists the asymmetric algorithms accepted for user tokens.
// HMAC is absent on purpose: its "secret" would be our public key.
var userAlgorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// ecdsaCurveForAlg pins each ES* algorithm to its curve (RFC 7518 §3.4).
var ecdsaCurveForAlg = map[string]string{
	"ES256": "P-256",
	"ES384": "P-384",
	"ES512": "P-521",
}

// keyAllowsAlg reports whether a token claiming alg may be checked with key.
// Binding the algorithm to the key type is what defeats key-confusion attacks.
func keyAllowsAlg(key crypto.PublicKey, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	case *ecdsa.PublicKey:
		curve, ok := ecdsaCurveForAlg[alg]
		return ok && k != nil && k.Curve != nil && k.Curve.Params().Name == curve
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// checkVerificationKey rejects key types user tokens cannot be signed with
// and RSA keys below minRSABits.
func checkVerificationKey(key crypto.PublicKey) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key shorter than %d bits", minRSABits)
		}
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("ECDSA key without curve")
		}
		for _, curve := range ecdsaCurveForAlg {
			if k.Curve.Params().Name == curve {
				return nil
			}
		}
		return fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("Ed25519 key of %d bytes", len(k))
		}
	default:
		return fmt.Errorf("unsupported key type %T", key)
	}
	return nil
}
