package token

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/tollgate/tollgate/pkg/pagetoken"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

func (s *Service) CreateApiToken(ctx context.Context, req *tokenv1.CreateApiTokenRequest) (*tokenv1.CreateApiTokenResponse, error) {
	device, err := resource.ParseDevice("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	target, user, err := s.managedDevice(ctx, "parent", req.GetParent(), req.GetParent())
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !licenseActive(target.GetDevice(), now) {
		return nil, errs.New(errs.ErrFailedPrecondition, "LICENSE_EXPIRED",
			fmt.Sprintf("the license of %s has expired: renew it to create API tokens", req.GetParent()))
	}
	in := req.GetApiToken()
	if strings.TrimSpace(in.GetDisplayName()) == "" {
		return nil, errs.Invalid("api_token.display_name", "REQUIRED_FIELD", "api_token.display_name is required, e.g. the integration that will use the token")
	}
	expire, err := s.expiryFor(in.GetExpireTime(), now)
	if err != nil {
		return nil, err
	}
	id := resource.NewID()
	secret, err := apitoken.Generate(id)
	if err != nil {
		return nil, err
	}
	t := &store.Token{
		ID:          id,
		Name:        resource.TokenName(device, id),
		Device:      req.GetParent(),
		DisplayName: in.GetDisplayName(),
		Creator:     user,
		Hint:        secret.Hint(),
		CreateTime:  now,
		ExpireTime:  expire,
		Current:     s.hashOf(secret),
	}
	if err := s.store.CreateToken(ctx, t, s.admitWithin(now)); err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "api token created", "token", t.Name, "creator", user)
	return &tokenv1.CreateApiTokenResponse{ApiToken: toProto(t, now), Secret: secret.Reveal()}, nil
}

// licenseActive reports whether the device's license runs past now.
func licenseActive(d *tenancyv1.Device, now time.Time) bool {
	exp := d.GetLicense().GetExpireTime()
	return exp != nil && exp.AsTime().After(now)
}

// expiryFor checks a requested expiry against the maximum lifetime; without
// one, a token expires at the end of that lifetime (never if unbounded).
func (s *Service) expiryFor(requested *timestamppb.Timestamp, now time.Time) (time.Time, error) {
	const field = "api_token.expire_time"
	if requested == nil {
		if s.maxLifetime > 0 {
			return now.Add(s.maxLifetime), nil
		}
		return time.Time{}, nil
	}
	if err := requested.CheckValid(); err != nil {
		return time.Time{}, errs.Invalid(field, "INVALID_TIME", field+" is not a valid time")
	}
	t := requested.AsTime()
	if !t.After(now) {
		return time.Time{}, errs.Invalid(field, "EXPIRY_IN_PAST", field+" must be in the future")
	}
	if latest := now.Add(s.maxLifetime); s.maxLifetime > 0 && t.After(latest) {
		return time.Time{}, errs.Invalid(field, "EXPIRY_TOO_LATE",
			fmt.Sprintf("%s may be at most %s from now (%s)", field, s.maxLifetime, latest.UTC().Format(time.RFC3339))).
			With("max_lifetime", s.maxLifetime.String())
	}
	return t, nil
}

// admitWithin refuses a token beyond the per-device limit of active ones.
func (s *Service) admitWithin(now time.Time) func([]*store.Token) error {
	return func(existing []*store.Token) error {
		active := 0
		for _, t := range existing {
			if stateOf(t, now) == tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE {
				active++
			}
		}
		if active >= s.maxPerDevice {
			return errs.New(errs.ErrFailedPrecondition, "TOKEN_LIMIT_REACHED",
				fmt.Sprintf("the device already has %d active API tokens, the most allowed: revoke one first", active)).
				With("max_tokens_per_device", fmt.Sprint(s.maxPerDevice))
		}
		return nil
	}
}

// hashOf is what is stored for a secret: its HMAC under the current key.
func (s *Service) hashOf(t apitoken.Token) store.SecretHash {
	id, key := s.keys.Current()
	return store.SecretHash{Hash: t.Hash(key), KeyID: id}
}

func (s *Service) GetApiToken(ctx context.Context, req *tokenv1.GetApiTokenRequest) (*tokenv1.GetApiTokenResponse, error) {
	t, err := s.managedToken(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	return &tokenv1.GetApiTokenResponse{ApiToken: toProto(t, s.now())}, nil
}

func (s *Service) ListApiTokens(ctx context.Context, req *tokenv1.ListApiTokensRequest) (*tokenv1.ListApiTokensResponse, error) {
	if _, _, err := s.managedDevice(ctx, "parent", req.GetParent(), req.GetParent()); err != nil {
		return nil, err
	}
	query := fmt.Sprintf("apiTokens\x00%s\x00%t", req.GetParent(), req.GetShowRevoked())
	cursor, err := s.pages.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	after, err := decodePosition(cursor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	keep := func(t *store.Token) bool {
		return req.GetShowRevoked() || t.RevokeTime.IsZero()
	}
	limit := pagetoken.Size(req.GetPageSize(), pagetoken.DefaultPageSize)
	tokens, err := s.store.ListDeviceTokens(ctx, req.GetParent(), after, limit+1, keep)
	if err != nil {
		return nil, err
	}
	resp := &tokenv1.ListApiTokensResponse{}
	if len(tokens) > limit {
		tokens = tokens[:limit]
		resp.NextPageToken = s.pages.Encode(encodePosition(tokens[limit-1]), query)
	}
	for _, t := range tokens {
		resp.ApiTokens = append(resp.ApiTokens, toProto(t, now))
	}
	return resp, nil
}

// encodePosition is a page cursor: create time (Unix ns) and token id.
func encodePosition(t *store.Token) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(t.CreateTime.UnixNano())), t.ID...)
}

func decodePosition(cursor []byte) (store.Position, error) {
	if cursor == nil {
		return store.Position{}, nil
	}
	if len(cursor) <= 8 {
		return store.Position{}, errs.Invalid("page_token", "INVALID_PAGE_TOKEN", "page_token is invalid")
	}
	ns := int64(binary.BigEndian.Uint64(cursor[:8]))
	return store.Position{CreateTime: time.Unix(0, ns).UTC(), ID: string(cursor[8:])}, nil
}

func (s *Service) RotateApiToken(ctx context.Context, req *tokenv1.RotateApiTokenRequest) (*tokenv1.RotateApiTokenResponse, error) {
	t, err := s.managedToken(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	grace := req.GetGracePeriod().AsDuration()
	secret, err := apitoken.Generate(t.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	updated, err := s.store.UpdateToken(ctx, t.ID, func(rec *store.Token) error {
		switch stateOf(rec, now) {
		case tokenv1.ApiTokenState_API_TOKEN_STATE_REVOKED:
			return errs.New(errs.ErrFailedPrecondition, "TOKEN_REVOKED", "a revoked API token cannot be rotated: create a new one")
		case tokenv1.ApiTokenState_API_TOKEN_STATE_EXPIRED:
			return errs.New(errs.ErrFailedPrecondition, "TOKEN_EXPIRED", "an expired API token cannot be rotated: create a new one")
		}
		// A secret still in an earlier grace period stops working now:
		// only the secret being replaced gets the new grace period.
		rec.Previous = nil
		if grace > 0 {
			rec.Previous = &store.PreviousSecret{SecretHash: rec.Current, GraceEnd: now.Add(grace)}
		}
		rec.Current = s.hashOf(secret)
		rec.Hint = secret.Hint()
		rec.RotateTime = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.events.publish(tokenv1.TokenEventKind_TOKEN_EVENT_KIND_ROTATED, updated.Name, now)
	if grace > 0 {
		s.graces.wake()
	}
	s.logger.InfoContext(ctx, "api token rotated", "token", updated.Name, "grace_period", grace.String())
	return &tokenv1.RotateApiTokenResponse{ApiToken: toProto(updated, now), Secret: secret.Reveal()}, nil
}

func (s *Service) DeleteApiToken(ctx context.Context, req *tokenv1.DeleteApiTokenRequest) (*tokenv1.DeleteApiTokenResponse, error) {
	t, err := s.managedToken(ctx, "name", req.GetName())
	if err != nil {
		return nil, err
	}
	now := s.now()
	_, err = s.store.UpdateToken(ctx, t.ID, func(rec *store.Token) error {
		if rec.RevokeTime.IsZero() {
			rec.RevokeTime = now
		}
		rec.Previous = nil // no grace for a revoked token
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Published even for an already revoked token: a repeated revoke must
	// still flush any cache that somehow missed the first event.
	s.events.publish(tokenv1.TokenEventKind_TOKEN_EVENT_KIND_REVOKED, t.Name, now)
	s.logger.InfoContext(ctx, "api token revoked", "token", t.Name)
	return &tokenv1.DeleteApiTokenResponse{}, nil
}
