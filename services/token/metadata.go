package token

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// stateOf computes a token's state at now: revocation wins over expiry.
func stateOf(t *store.Token, now time.Time) tokenv1.ApiTokenState {
	switch {
	case !t.RevokeTime.IsZero():
		return tokenv1.ApiTokenState_API_TOKEN_STATE_REVOKED
	case !t.ExpireTime.IsZero() && !now.Before(t.ExpireTime):
		return tokenv1.ApiTokenState_API_TOKEN_STATE_EXPIRED
	default:
		return tokenv1.ApiTokenState_API_TOKEN_STATE_ACTIVE
	}
}

// toProto is the metadata users see: never a secret or a hash.
func toProto(t *store.Token, now time.Time) *tokenv1.ApiToken {
	return &tokenv1.ApiToken{
		Name:           t.Name,
		DisplayName:    t.DisplayName,
		Creator:        t.Creator,
		CreateTime:     timestamp(t.CreateTime),
		ExpireTime:     timestamp(t.ExpireTime),
		LastUseTime:    timestamp(t.LastUseTime),
		LastUseAddress: t.LastUseAddress,
		State:          stateOf(t, now),
		Hint:           t.Hint,
		RotateTime:     timestamp(t.RotateTime),
		RevokeTime:     timestamp(t.RevokeTime),
	}
}

// timestamp leaves unset times unset.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
