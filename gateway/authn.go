package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/auth"
)

// UserVerifier verifies user JWTs (auth.UserVerifier in production).
type UserVerifier interface {
	Verify(ctx context.Context, raw string) (auth.Principal, error)
}

// credentialHeaders are every header a client may authenticate with. They
// are removed once the request is authenticated: backends receive only the
// signed internal identity, never the client's secret.
var credentialHeaders = []string{"Authorization", "X-Authorization", "X-Api-Key"}

// presentedCredential returns the credential of the request: `Authorization:
// Bearer`, `X-Authorization: Bearer` (Open API compatible) or `X-API-Key`.
// Several different ones are ambiguous and refused.
func presentedCredential(r *http.Request) (string, *rejection) {
	var found []string
	for _, h := range credentialHeaders {
		for _, v := range r.Header.Values(h) {
			v = strings.TrimSpace(v)
			if h != "X-Api-Key" {
				scheme, rest, ok := strings.Cut(v, " ")
				if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
					return "", unauthenticated("CREDENTIALS_MALFORMED", h+" must be `Bearer <credential>`")
				}
				v = strings.TrimSpace(rest)
			}
			if v != "" {
				found = append(found, v)
			}
		}
	}
	switch {
	case len(found) == 0:
		return "", unauthenticated("CREDENTIALS_MISSING",
			"send a user token or an API token: Authorization: Bearer <token>, X-Authorization: Bearer <token> or X-API-Key: <token>")
	case len(found) > 1:
		for _, f := range found[1:] {
			if f != found[0] {
				return "", unauthenticated("CREDENTIALS_AMBIGUOUS", "send exactly one credential")
			}
		}
	}
	return found[0], nil
}

func unauthenticated(reason, msg string) *rejection {
	return &rejection{
		httpStatus: http.StatusUnauthorized, code: codes.Unauthenticated, reason: reason, message: msg,
		headers: map[string]string{"WWW-Authenticate": `Bearer realm="tollgate"`},
	}
}

// authenticateUser verifies a user JWT.
func (g *Gateway) authenticateUser(ctx context.Context, raw string) (auth.Principal, *rejection) {
	p, err := g.users.Verify(ctx, raw)
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, auth.ErrKeyUnavailable):
		g.logger.WarnContext(ctx, "user token keys unavailable", "error", err.Error())
		return auth.Principal{}, &rejection{httpStatus: http.StatusServiceUnavailable, code: codes.Unavailable,
			reason: "AUTH_UNAVAILABLE", message: "user tokens cannot be checked right now (identity provider unreachable); retry later",
			headers: map[string]string{"Retry-After": "5"}}
	case errors.Is(err, auth.ErrExpired):
		return auth.Principal{}, unauthenticated("JWT_EXPIRED", "the user token has expired: get a new one")
	default:
		return auth.Principal{}, unauthenticated("JWT_INVALID", "the user token is not valid here: "+publicReason(err))
	}
}

// publicReason says which check failed without echoing token contents.
func publicReason(err error) string {
	for _, c := range []struct {
		err error
		msg string
	}{
		{auth.ErrNotYetValid, "not valid yet"},
		{auth.ErrWrongIssuer, "wrong issuer"},
		{auth.ErrWrongAudience, "wrong audience"},
		{auth.ErrAlgorithm, "signing algorithm not accepted"},
		{auth.ErrBadSignature, "bad signature"},
		{auth.ErrMissingClaim, "a required claim is missing"},
	} {
		if errors.Is(err, c.err) {
			return c.msg
		}
	}
	return "malformed"
}

// credentialResult is the outcome of authenticating a request, before it
// is rendered for its surface (/v1 or /open-api).
type credentialResult struct {
	principal auth.Principal
	quota     *quotaState // for API tokens: the rate-limit state to advertise
}

// authenticateRequest verifies the request's credential: user JWT or API
// token. Clients that keep failing are slowed down per address first.
func (g *Gateway) authenticateRequest(r *http.Request, apiTokensOnly bool) (credentialResult, *rejection) {
	now := g.tokens.now()
	client := g.clients.of(r)
	if s := g.failures.peek(client, now); s.remaining < 1 {
		return credentialResult{}, rateLimited("AUTH_RATE_LIMITED",
			"too many failed authentication attempts from this address; wait before retrying", s)
	}
	raw, rj := presentedCredential(r)
	if rj != nil {
		if rj.reason != "CREDENTIALS_MISSING" {
			g.failures.take(client, now)
		}
		return credentialResult{}, rj
	}
	if !apitoken.LooksLikeToken(raw) {
		if apiTokensOnly {
			g.failures.take(client, now)
			return credentialResult{}, unauthenticated("TOKEN_INVALID", "this endpoint takes an API token (tgat_…), and the credential sent is not one")
		}
		p, rj := g.authenticateUser(r.Context(), raw)
		if rj != nil && rj.httpStatus == http.StatusUnauthorized {
			g.failures.take(client, now)
		}
		return credentialResult{principal: p}, rj
	}
	v, rj := g.tokens.authenticate(r.Context(), raw, client)
	if rj != nil {
		if rj.httpStatus == http.StatusUnauthorized {
			g.failures.take(client, now)
		}
		return credentialResult{}, rj
	}
	ok, s := g.tokenRate.take(v.principal.TokenName, now)
	if !ok {
		return credentialResult{}, rateLimited("TOKEN_RATE_LIMITED", "this API token is sending requests too fast; slow down", s)
	}
	return credentialResult{principal: v.principal, quota: &s}, nil
}

// authenticate is the gate in front of every /v1 route: nothing reaches a
// service without a verified principal, and API tokens reach only their
// scope.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, rj := g.authenticateRequest(r, false)
		if rj == nil && res.principal.Kind == auth.KindToken {
			rj = tokenScope(r, res.principal)
		}
		if rj != nil {
			rj.write(w)
			return
		}
		if res.quota != nil {
			for k, v := range res.quota.headers(false) {
				w.Header().Set(k, v)
			}
		}
		for _, h := range credentialHeaders {
			r.Header.Del(h)
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), res.principal)))
	})
}
