package boltstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/token/store"
)

// recordVersion is bumped, with a migration, if the encoding ever changes
// incompatibly.
const recordVersion = 1

const tokenSegment = "/apiTokens/"

// record is the stored form of a store.Token: JSON with times as Unix
// nanoseconds (0 = unset). The id is the key and the device is the name's
// prefix, so neither is repeated.
type record struct {
	Version        int    `json:"v"`
	Name           string `json:"name"`
	DisplayName    string `json:"display_name"`
	Creator        string `json:"creator"`
	Hint           string `json:"hint"`
	CreateTime     int64  `json:"create_time"`
	ExpireTime     int64  `json:"expire_time,omitzero"`
	RotateTime     int64  `json:"rotate_time,omitzero"`
	RevokeTime     int64  `json:"revoke_time,omitzero"`
	LastUseTime    int64  `json:"last_use_time,omitzero"`
	LastUseAddress string `json:"last_use_address,omitzero"`
	Hash           []byte `json:"hash"`
	KeyID          string `json:"key_id"`
	PreviousHash   []byte `json:"previous_hash,omitempty"`
	PreviousKeyID  string `json:"previous_key_id,omitzero"`
	GraceEnd       int64  `json:"grace_end,omitzero"`
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// checkIdentity rejects records whose name does not spell device and id.
func checkIdentity(t *store.Token) error {
	if t.ID == "" || t.Device == "" || t.Name != t.Device+tokenSegment+t.ID {
		return fmt.Errorf("token record: name %q does not match device %q and id %q", t.Name, t.Device, t.ID)
	}
	return nil
}

func encode(t *store.Token) ([]byte, error) {
	if err := checkIdentity(t); err != nil {
		return nil, err
	}
	r := record{
		Version:        recordVersion,
		Name:           t.Name,
		DisplayName:    t.DisplayName,
		Creator:        t.Creator,
		Hint:           t.Hint,
		CreateTime:     nanos(t.CreateTime),
		ExpireTime:     nanos(t.ExpireTime),
		RotateTime:     nanos(t.RotateTime),
		RevokeTime:     nanos(t.RevokeTime),
		LastUseTime:    nanos(t.LastUseTime),
		LastUseAddress: t.LastUseAddress,
		Hash:           t.Current.Hash,
		KeyID:          t.Current.KeyID,
	}
	if p := t.Previous; p != nil {
		r.PreviousHash, r.PreviousKeyID, r.GraceEnd = p.Hash, p.KeyID, nanos(p.GraceEnd)
	}
	return json.Marshal(r)
}

func decode(id, data []byte) (*store.Token, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode token %s: %w", id, err)
	}
	if r.Version != recordVersion {
		return nil, fmt.Errorf("decode token %s: record version %d, want %d", id, r.Version, recordVersion)
	}
	cut := strings.LastIndex(r.Name, tokenSegment)
	if cut < 0 || r.Name[cut+len(tokenSegment):] != string(id) {
		return nil, fmt.Errorf("decode token %s: name %q does not end in its id", id, r.Name)
	}
	t := &store.Token{
		ID:             string(id),
		Name:           r.Name,
		Device:         r.Name[:cut],
		DisplayName:    r.DisplayName,
		Creator:        r.Creator,
		Hint:           r.Hint,
		CreateTime:     fromNanos(r.CreateTime),
		ExpireTime:     fromNanos(r.ExpireTime),
		RotateTime:     fromNanos(r.RotateTime),
		RevokeTime:     fromNanos(r.RevokeTime),
		LastUseTime:    fromNanos(r.LastUseTime),
		LastUseAddress: r.LastUseAddress,
		Current:        store.SecretHash{Hash: r.Hash, KeyID: r.KeyID},
	}
	if r.PreviousHash != nil {
		t.Previous = &store.PreviousSecret{
			SecretHash: store.SecretHash{Hash: r.PreviousHash, KeyID: r.PreviousKeyID},
			GraceEnd:   fromNanos(r.GraceEnd),
		}
	}
	return t, nil
}
