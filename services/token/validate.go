package token

import (
	"bytes"
	"context"
	"errors"
	"github.com/tollgate/tollgate/pkg/auth"
	"time"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/errs"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// Validation failures. A wrong secret, an unknown id and a deleted device
// all read TOKEN_INVALID with one message, so that probing reveals nothing;
// only the holder of the right secret learns that it was revoked or expired.
var (
	errTokenMalformed = errs.New(errs.ErrUnauthenticated, "TOKEN_INVALID",
		"the API token is malformed: check that it was copied whole")
	errTokenInvalid = errs.New(errs.ErrUnauthenticated, "TOKEN_INVALID", "the API token is not valid")
	errTokenRevoked = errs.New(errs.ErrUnauthenticated, "TOKEN_REVOKED", "the API token was revoked: create a new one")
	errTokenExpired = errs.New(errs.ErrUnauthenticated, "TOKEN_EXPIRED", "the API token has expired: create a new one")
)

// matched says which of a token's secrets a presented one is.
type matched int

const (
	matchedNone matched = iota
	matchedCurrent
	matchedPrevious
)

func (s *Service) ValidateToken(ctx context.Context, req *tokenv1.ValidateTokenRequest) (*tokenv1.ValidateTokenResponse, error) {
	if err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	presented, err := apitoken.Parse(req.GetToken())
	if err != nil {
		return nil, errTokenMalformed
	}
	t, err := s.store.GetToken(ctx, presented.ID())
	if err != nil {
		return nil, invalidIfNotFound(err)
	}
	now := s.now()
	match := s.match(t, presented, now)
	switch {
	case match == matchedNone:
		return nil, errTokenInvalid
	case !t.RevokeTime.IsZero():
		return nil, errTokenRevoked
	case !t.ExpireTime.IsZero() && !now.Before(t.ExpireTime):
		return nil, errTokenExpired
	}
	target, err := s.resolveDevice(ctx, t.Device)
	if err != nil {
		return nil, invalidIfNotFound(err) // a deleted device's tokens are gone with it
	}
	s.uses.record(t.ID, now, req.GetClientAddress())
	if match == matchedCurrent {
		s.upgradeHash(ctx, t, presented)
	}
	resp := &tokenv1.ValidateTokenResponse{
		Name:              t.Name,
		Device:            t.Device,
		Organization:      target.GetOrganization().GetName(),
		ExpireTime:        timestamp(t.ExpireTime),
		State:             tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE,
		LicenseExpireTime: target.GetDevice().GetLicense().GetExpireTime(),
	}
	if match == matchedPrevious {
		resp.SecretExpireTime = timestamp(t.Previous.GraceEnd)
	}
	return resp, nil
}

func invalidIfNotFound(err error) error {
	if errors.Is(err, errs.ErrNotFound) {
		return errTokenInvalid
	}
	return err
}

// match compares the presented secret with the current one and, within its
// grace period, the previous one; comparisons are constant-time.
func (s *Service) match(t *store.Token, presented apitoken.Token, now time.Time) matched {
	if s.verifies(presented, t.Current) {
		return matchedCurrent
	}
	if p := t.Previous; p != nil && now.Before(p.GraceEnd) && s.verifies(presented, p.SecretHash) {
		return matchedPrevious
	}
	return matchedNone
}

func (s *Service) verifies(presented apitoken.Token, h store.SecretHash) bool {
	key, ok := s.keys.Key(h.KeyID)
	if !ok {
		// The key was retired from the configuration: tokens hashed with
		// it can no longer be verified.
		s.logger.Warn("token hash key no longer configured", "key_id", h.KeyID)
		return false
	}
	return presented.Verify(key, h.Hash)
}

// errHashChanged stops an upgrade that lost a race with a rotation.
var errHashChanged = errors.New("secret hash changed meanwhile")

// upgradeHash re-hashes a secret verified under a previous hash key with
// the current key. Only a validation holds the secret, so this is the one
// chance to move a token off a retired key; it writes once per token and
// key rotation, not per request.
func (s *Service) upgradeHash(ctx context.Context, t *store.Token, presented apitoken.Token) {
	if id, _ := s.keys.Current(); t.Current.KeyID == id {
		return
	}
	verified := t.Current.Hash
	_, err := s.store.UpdateToken(ctx, t.ID, func(rec *store.Token) error {
		if !bytes.Equal(rec.Current.Hash, verified) {
			return errHashChanged
		}
		rec.Current = s.hashOf(presented)
		return nil
	})
	if err != nil && !errors.Is(err, errHashChanged) {
		s.logger.WarnContext(ctx, "moving a token to the current hash key failed; it still validates with the previous key",
			"token", t.Name, "error", err.Error())
	}
}
