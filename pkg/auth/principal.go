package auth

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
)

// Kind says which sort of caller a Principal describes.
type Kind int

const (
	KindUser Kind = iota + 1
	KindToken
	KindService
)

// String returns the name used in logs and in internal assertions.
func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindToken:
		return "token"
	case KindService:
		return "service"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Principal is an authenticated caller. Only the fields belonging to Kind are set.
type Principal struct {
	Kind         Kind
	Email        string // KindUser: normalized (trimmed, lower-case) email
	TokenName    string // KindToken: organizations/{o}/devices/{d}/apiTokens/{t}
	Device       string // KindToken: organizations/{o}/devices/{d}
	Organization string // KindToken: organizations/{o}
	Service      string // KindService: component name, e.g. "tenancy", "gateway"
}

// String identifies the principal for logs. It contains no secrets.
func (p Principal) String() string {
	switch p.Kind {
	case KindUser:
		return "user:" + p.Email
	case KindToken:
		return "token:" + p.TokenName
	case KindService:
		return "service:" + p.Service
	default:
		return "invalid:" + p.Kind.String()
	}
}

// Valid reports whether the fields are consistent with Kind. The error wraps
// ErrMissingClaim when a required field is empty and ErrMalformed otherwise.
func (p Principal) Valid() error {
	switch p.Kind {
	case KindUser:
		return p.validUser()
	case KindToken:
		return p.validToken()
	case KindService:
		return p.validService()
	default:
		return fmt.Errorf("%w: unknown principal kind %d", ErrMalformed, int(p.Kind))
	}
}

func (p Principal) validUser() error {
	if p.Email == "" {
		return fmt.Errorf("%w: user principal without email", ErrMissingClaim)
	}
	if p.Email != NormalizeEmail(p.Email) || !ValidEmail(p.Email) {
		return fmt.Errorf("%w: user email %q is not a normalized address", ErrMalformed, p.Email)
	}
	return p.onlyFieldsOf(KindUser)
}

func (p Principal) validToken() error {
	if p.TokenName == "" {
		return fmt.Errorf("%w: token principal without token name", ErrMissingClaim)
	}
	org, device, ok := splitTokenName(p.TokenName)
	if !ok {
		return fmt.Errorf("%w: token name %q is not organizations/{o}/devices/{d}/apiTokens/{t}", ErrMalformed, p.TokenName)
	}
	if p.Device != device || p.Organization != org {
		return fmt.Errorf("%w: device/organization do not match token name %q", ErrMalformed, p.TokenName)
	}
	return p.onlyFieldsOf(KindToken)
}

func (p Principal) validService() error {
	if p.Service == "" {
		return fmt.Errorf("%w: service principal without service name", ErrMissingClaim)
	}
	if !isServiceName(p.Service) {
		return fmt.Errorf("%w: service name %q has unexpected characters", ErrMalformed, p.Service)
	}
	return p.onlyFieldsOf(KindService)
}

// onlyFieldsOf rejects stray fields so that a principal can never be read as
// two identities at once (e.g. a token that also claims an email).
func (p Principal) onlyFieldsOf(k Kind) error {
	stray := (k != KindUser && p.Email != "") ||
		(k != KindToken && (p.TokenName != "" || p.Device != "" || p.Organization != "")) ||
		(k != KindService && p.Service != "")
	if stray {
		return fmt.Errorf("%w: %s principal has fields of another kind", ErrMalformed, k)
	}
	return nil
}

// splitTokenName parses organizations/{o}/devices/{d}/apiTokens/{t} and
// returns the organization and device resource names it contains.
func splitTokenName(name string) (org, device string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "organizations" || parts[2] != "devices" || parts[4] != "apiTokens" {
		return "", "", false
	}
	for _, id := range []string{parts[1], parts[3], parts[5]} {
		if !isResourceID(id) {
			return "", "", false
		}
	}
	return strings.Join(parts[:2], "/"), strings.Join(parts[:4], "/"), true
}

// isResourceID accepts non-empty IDs of printable, non-space ASCII so that
// names are safe to log and unambiguous to split.
func isResourceID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || r == '/' {
			return false
		}
	}
	return true
}

func isServiceName(s string) bool {
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || (r != '-' && r != '_' && r != '.')) {
			return false
		}
	}
	return s != ""
}

// ValidEmail reports whether s is a plain, normalized email address
// (local@domain, no display name or comments, lower case, at most 254
// bytes, a domain of dot-separated labels).
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 || s != NormalizeEmail(s) {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !strings.Contains(domain, ".") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored by NewContext, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// NormalizeEmail is the canonical form of an email address used in principals.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
