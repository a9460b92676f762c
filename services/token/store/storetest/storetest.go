// Package storetest is the conformance suite of the token store: every
// implementation runs Run against a fresh, empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/services/token/store"
)

// Run runs the suite; open must return a new empty store for each test.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"CreateRefusesTakenID", testCreateRefusesTakenID},
		{"AdmitSeesDeviceTokensAndCanRefuse", testAdmit},
		{"AdmitSkipsRevokedTokens", testAdmitSkipsRevoked},
		{"GetMissing", testGetMissing},
		{"ListOldestFirstWithPositions", testListOrderAndPaging},
		{"ListKeepsAndIsolatesDevices", testListKeepAndIsolation},
		{"UpdateAppliesMutation", testUpdate},
		{"UpdateRefusesIdentityChanges", testUpdateImmutable},
		{"UpdateMissing", testUpdateMissing},
		{"DeleteDeviceTokens", testDeleteDeviceTokens},
		{"RecordUses", testRecordUses},
		{"GraceEnds", testGraceEnds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var base = time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)

const deviceA = "organizations/org/devices/dev"

func newToken(device, id string, created time.Time) *store.Token {
	return &store.Token{
		ID:          id,
		Name:        device + "/apiTokens/" + id,
		Device:      device,
		DisplayName: "SIEM " + id,
		Creator:     "alice@example.com",
		Hint:        "Ab3d",
		CreateTime:  created,
		ExpireTime:  created.Add(365 * 24 * time.Hour),
		Current:     store.SecretHash{Hash: bytes.Repeat([]byte{1}, 32), KeyID: "key1"},
	}
}

func create(t *testing.T, s store.Store, tok *store.Token) {
	t.Helper()
	if err := s.CreateToken(context.Background(), tok, nil); err != nil {
		t.Fatalf("CreateToken(%s): %v", tok.ID, err)
	}
}

func get(t *testing.T, s store.Store, id string) *store.Token {
	t.Helper()
	tok, err := s.GetToken(context.Background(), id)
	if err != nil {
		t.Fatalf("GetToken(%s): %v", id, err)
	}
	return tok
}

// same compares records field by field, times by instant.
func same(a, b *store.Token) error {
	type times struct{ c, e, r, v, u time.Time }
	if a.ID != b.ID || a.Name != b.Name || a.Device != b.Device || a.DisplayName != b.DisplayName ||
		a.Creator != b.Creator || a.Hint != b.Hint || a.LastUseAddress != b.LastUseAddress ||
		!bytes.Equal(a.Current.Hash, b.Current.Hash) || a.Current.KeyID != b.Current.KeyID {
		return fmt.Errorf("fields differ:\n got %+v\nwant %+v", a, b)
	}
	ta := times{a.CreateTime, a.ExpireTime, a.RotateTime, a.RevokeTime, a.LastUseTime}
	tb := times{b.CreateTime, b.ExpireTime, b.RotateTime, b.RevokeTime, b.LastUseTime}
	for i, pair := range [][2]time.Time{{ta.c, tb.c}, {ta.e, tb.e}, {ta.r, tb.r}, {ta.v, tb.v}, {ta.u, tb.u}} {
		if !pair[0].Equal(pair[1]) {
			return fmt.Errorf("time %d: got %s, want %s", i, pair[0], pair[1])
		}
	}
	switch {
	case (a.Previous == nil) != (b.Previous == nil):
		return fmt.Errorf("previous: got %+v, want %+v", a.Previous, b.Previous)
	case a.Previous != nil && (!bytes.Equal(a.Previous.Hash, b.Previous.Hash) ||
		a.Previous.KeyID != b.Previous.KeyID || !a.Previous.GraceEnd.Equal(b.Previous.GraceEnd)):
		return fmt.Errorf("previous: got %+v, want %+v", a.Previous, b.Previous)
	}
	return nil
}

func ids(tokens []*store.Token) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.ID
	}
	return out
}

func testCreateThenGet(t *testing.T, s store.Store) {
	want := newToken(deviceA, "tok1", base)
	want.RotateTime = base.Add(time.Minute)
	want.LastUseTime, want.LastUseAddress = base.Add(2*time.Minute), "192.0.2.1"
	want.Previous = &store.PreviousSecret{
		SecretHash: store.SecretHash{Hash: bytes.Repeat([]byte{2}, 32), KeyID: "key0"},
		GraceEnd:   base.Add(time.Hour),
	}
	create(t, s, want)
	if err := same(get(t, s, "tok1"), want); err != nil {
		t.Fatal(err)
	}
}

func testCreateRefusesTakenID(t *testing.T, s store.Store) {
	create(t, s, newToken(deviceA, "tok1", base))
	err := s.CreateToken(context.Background(), newToken("organizations/o/devices/other", "tok1", base), nil)
	if !errors.Is(err, errs.ErrAlreadyExists) {
		t.Fatalf("second CreateToken = %v, want ErrAlreadyExists", err)
	}
}

func testAdmit(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newToken(deviceA, "tok1", base))
	create(t, s, newToken(deviceA, "tok2", base.Add(time.Second)))
	create(t, s, newToken("organizations/org/devices/dev2", "tok3", base))
	var seen []string
	refused := errors.New("limit")
	err := s.CreateToken(ctx, newToken(deviceA, "tok4", base), func(existing []*store.Token) error {
		seen = ids(existing)
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("CreateToken = %v, want admit's error", err)
	}
	if fmt.Sprint(seen) != "[tok1 tok2]" {
		t.Fatalf("admit saw %v, want [tok1 tok2]", seen)
	}
	if _, err := s.GetToken(ctx, "tok4"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("refused token was stored: %v", err)
	}
	if err := s.CreateToken(ctx, newToken(deviceA, "tok4", base), func([]*store.Token) error { return nil }); err != nil {
		t.Fatalf("admitted CreateToken: %v", err)
	}
}

// Revoked tokens never count against a device's limit, and creation does
// not read them (revoked tokens pile up over a device's life).
func testAdmitSkipsRevoked(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newToken(deviceA, "tok1", base))
	create(t, s, newToken(deviceA, "tok2", base.Add(time.Second)))
	if _, err := s.UpdateToken(ctx, "tok1", func(tok *store.Token) error {
		tok.RevokeTime = base.Add(time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := s.CreateToken(ctx, newToken(deviceA, "tok3", base.Add(2*time.Second)), func(existing []*store.Token) error {
		seen = ids(existing)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[tok2]" {
		t.Fatalf("admit saw %v, want [tok2]", seen)
	}
	// Deleting the device's tokens clears them from every index.
	if _, err := s.DeleteDeviceTokens(ctx, deviceA); err != nil {
		t.Fatal(err)
	}
	err = s.CreateToken(ctx, newToken(deviceA, "tok4", base.Add(3*time.Second)), func(existing []*store.Token) error {
		seen = ids(existing)
		return nil
	})
	if err != nil || len(seen) != 0 {
		t.Fatalf("after DeleteDeviceTokens admit saw %v (%v)", seen, err)
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	if _, err := s.GetToken(context.Background(), "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("GetToken = %v, want ErrNotFound", err)
	}
}

func testListOrderAndPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Ids in reverse of creation order: the listing must follow creation.
	for i, id := range []string{"e", "d", "c", "b", "a"} {
		create(t, s, newToken(deviceA, id, base.Add(time.Duration(i)*time.Second)))
	}
	var got []string
	after := store.Position{}
	for {
		page, err := s.ListDeviceTokens(ctx, deviceA, after, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, ids(page)...)
		last := page[len(page)-1]
		after = store.Position{CreateTime: last.CreateTime, ID: last.ID}
	}
	if fmt.Sprint(got) != "[e d c b a]" {
		t.Fatalf("listed %v, want oldest first [e d c b a]", got)
	}
}

func testListKeepAndIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newToken(deviceA, "tok1", base))
	create(t, s, newToken(deviceA, "tok2", base.Add(time.Second)))
	create(t, s, newToken(deviceA+"2", "tok3", base)) // a device whose name extends deviceA's
	page, err := s.ListDeviceTokens(ctx, deviceA, store.Position{}, 10, func(t *store.Token) bool { return t.ID != "tok1" })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(page)) != "[tok2]" {
		t.Fatalf("listed %v, want [tok2]", ids(page))
	}
	if page, _ := s.ListDeviceTokens(ctx, "organizations/org/devices/none", store.Position{}, 10, nil); len(page) != 0 {
		t.Fatalf("unknown device lists %v", ids(page))
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newToken(deviceA, "tok1", base))
	got, err := s.UpdateToken(ctx, "tok1", func(tok *store.Token) error {
		tok.RevokeTime = base.Add(time.Hour)
		tok.DisplayName = "renamed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := same(get(t, s, "tok1"), got); err != nil {
		t.Fatal(err)
	}
	if !got.RevokeTime.Equal(base.Add(time.Hour)) || got.DisplayName != "renamed" {
		t.Fatalf("update not applied: %+v", got)
	}
	failed := errors.New("nope")
	if _, err := s.UpdateToken(ctx, "tok1", func(tok *store.Token) error {
		tok.DisplayName = "lost"
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("UpdateToken = %v, want mutate's error", err)
	}
	if get(t, s, "tok1").DisplayName != "renamed" {
		t.Fatal("a failed mutation was written")
	}
}

func testUpdateImmutable(t *testing.T, s store.Store) {
	create(t, s, newToken(deviceA, "tok1", base))
	for name, mutate := range map[string]func(*store.Token){
		"device":      func(tok *store.Token) { tok.Device = "organizations/org/devices/x" },
		"create time": func(tok *store.Token) { tok.CreateTime = base.Add(time.Hour) },
		"name":        func(tok *store.Token) { tok.Name = deviceA + "/apiTokens/tok2" },
	} {
		_, err := s.UpdateToken(context.Background(), "tok1", func(tok *store.Token) error { mutate(tok); return nil })
		if err == nil {
			t.Errorf("changing the %s was accepted", name)
		}
	}
}

func testUpdateMissing(t *testing.T, s store.Store) {
	_, err := s.UpdateToken(context.Background(), "nope", func(*store.Token) error { return nil })
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("UpdateToken = %v, want ErrNotFound", err)
	}
}

func testDeleteDeviceTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	create(t, s, newToken(deviceA, "tok1", base))
	graced := newToken(deviceA, "tok2", base.Add(time.Second))
	graced.Previous = &store.PreviousSecret{SecretHash: store.SecretHash{Hash: []byte{9}, KeyID: "k"}, GraceEnd: base.Add(time.Hour)}
	create(t, s, graced)
	create(t, s, newToken(deviceA+"2", "tok3", base))
	deleted, err := s.DeleteDeviceTokens(ctx, deviceA)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(deleted)) != "[tok1 tok2]" {
		t.Fatalf("deleted %v, want [tok1 tok2]", ids(deleted))
	}
	for _, id := range []string{"tok1", "tok2"} {
		if _, err := s.GetToken(ctx, id); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("GetToken(%s) after delete = %v", id, err)
		}
	}
	if page, _ := s.ListDeviceTokens(ctx, deviceA, store.Position{}, 10, nil); len(page) != 0 {
		t.Fatalf("device still lists %v", ids(page))
	}
	if _, pending, _ := s.NextGraceEnd(ctx); pending {
		t.Fatal("a deleted token's grace end is still pending")
	}
	get(t, s, "tok3")
	if again, err := s.DeleteDeviceTokens(ctx, deviceA); err != nil || len(again) != 0 {
		t.Fatalf("second delete = %v, %v; want nothing", ids(again), err)
	}
}

func testRecordUses(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 50 {
		create(t, s, newToken(deviceA, fmt.Sprintf("tok%02d", i), base))
	}
	uses := map[string]store.Use{"unknown": {Time: base, Address: "x"}}
	for i := range 50 {
		uses[fmt.Sprintf("tok%02d", i)] = store.Use{Time: base.Add(time.Duration(i+1) * time.Second), Address: fmt.Sprintf("192.0.2.%d", i)}
	}
	if err := s.RecordUses(ctx, uses); err != nil {
		t.Fatal(err)
	}
	got := get(t, s, "tok07")
	if !got.LastUseTime.Equal(base.Add(8*time.Second)) || got.LastUseAddress != "192.0.2.7" {
		t.Fatalf("tok07 last use %s from %q", got.LastUseTime, got.LastUseAddress)
	}
	if err := s.RecordUses(ctx, map[string]store.Use{"tok07": {Time: base, Address: "old"}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "tok07"); got.LastUseAddress != "192.0.2.7" {
		t.Fatalf("an older use replaced the latest: %q", got.LastUseAddress)
	}
	if err := s.RecordUses(ctx, nil); err != nil {
		t.Fatalf("RecordUses(nil) = %v", err)
	}
}

func testGraceEnds(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, pending, err := s.NextGraceEnd(ctx); err != nil || pending {
		t.Fatalf("empty store: pending=%v err=%v", pending, err)
	}
	create(t, s, newToken(deviceA, "tok1", base))
	create(t, s, newToken(deviceA, "tok2", base))
	graceTo := func(id string, end time.Time) {
		t.Helper()
		_, err := s.UpdateToken(ctx, id, func(tok *store.Token) error {
			tok.Previous = &store.PreviousSecret{SecretHash: tok.Current, GraceEnd: end}
			tok.Current = store.SecretHash{Hash: bytes.Repeat([]byte{3}, 32), KeyID: "key1"}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	graceTo("tok1", base.Add(2*time.Hour))
	graceTo("tok2", base.Add(3*time.Hour))
	graceTo("tok1", base.Add(time.Hour)) // a second rotation replaces the first grace
	if next, pending, err := s.NextGraceEnd(ctx); err != nil || !pending || !next.Equal(base.Add(time.Hour)) {
		t.Fatalf("NextGraceEnd = %s, %v, %v; want %s", next, pending, err, base.Add(time.Hour))
	}
	if ended, err := s.EndGraces(ctx, base.Add(59*time.Minute)); err != nil || len(ended) != 0 {
		t.Fatalf("EndGraces before any end = %v, %v", ids(ended), err)
	}
	ended, err := s.EndGraces(ctx, base.Add(2*time.Hour))
	if err != nil || fmt.Sprint(ids(ended)) != "[tok1]" {
		t.Fatalf("EndGraces = %v, %v; want [tok1] (its replaced grace must not linger)", ids(ended), err)
	}
	if ended[0].Previous != nil || get(t, s, "tok1").Previous != nil {
		t.Fatal("the ended grace's previous secret was kept")
	}
	if next, _, _ := s.NextGraceEnd(ctx); !next.Equal(base.Add(3 * time.Hour)) {
		t.Fatalf("NextGraceEnd = %s, want tok2's", next)
	}
	if _, err := s.UpdateToken(ctx, "tok2", func(tok *store.Token) error { tok.Previous = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, pending, _ := s.NextGraceEnd(ctx); pending {
		t.Fatal("clearing the previous secret left its grace end pending")
	}
}
