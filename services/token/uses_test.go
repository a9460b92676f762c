package token

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
)

// countingStore counts the transactions that record uses.
type countingStore struct {
	store.Store
	mu      sync.Mutex
	flushes []int // batch sizes
}

func (c *countingStore) RecordUses(ctx context.Context, uses map[string]store.Use) error {
	c.mu.Lock()
	c.flushes = append(c.flushes, len(uses))
	c.mu.Unlock()
	return c.Store.RecordUses(ctx, uses)
}

func (c *countingStore) batches() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.flushes...)
}

func TestUsesAreCoalescedIntoOneFlush(t *testing.T) {
	var counting *countingStore
	h := newHarness(t, withConfig(func(c *Config) {
		counting = &countingStore{Store: c.Store}
		c.Store = counting
		c.LastUseFlushInterval = time.Hour // only the explicit flush below writes
		c.MaxTokensPerDevice = 10
	}))
	var tokens []*tokenv1.ApiToken
	var secrets []string
	for _, n := range []string{"a", "b", "c", "d"} {
		tok, secret := h.create(owner, deviceA, n)
		tokens, secrets = append(tokens, tok), append(secrets, secret)
	}
	for i := range 50 {
		h.clock.Advance(time.Second)
		h.mustValidate(secrets[i%2])
	}
	var uses []*tokenv1.TokenUse
	for i, tok := range tokens[2:] {
		uses = append(uses, &tokenv1.TokenUse{Name: tok.GetName(), UseTime: timestamppb.New(epoch.Add(time.Duration(i+1) * time.Second)), ClientAddress: "203.0.113.9"})
	}
	uses = append(uses, &tokenv1.TokenUse{Name: tokens[3].GetName(), UseTime: timestamppb.New(epoch), ClientAddress: "older, ignored"})
	if _, err := h.client.RecordTokenUses(asGateway(), &tokenv1.RecordTokenUsesRequest{Uses: uses}); err != nil {
		t.Fatal(err)
	}
	if got := counting.batches(); len(got) != 0 {
		t.Fatalf("uses were written before the flush: %v", got)
	}
	h.svc.uses.flush(context.Background())
	if got := counting.batches(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("flushes %v, want one transaction for 4 tokens", got)
	}
	list, err := h.client.ListApiTokens(asUser(owner), &tokenv1.ListApiTokensRequest{Parent: deviceA})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a": epoch.Add(49*time.Second).Format(time.RFC3339) + " 198.51.100.7",
		"b": epoch.Add(50*time.Second).Format(time.RFC3339) + " 198.51.100.7",
		"c": epoch.Add(1*time.Second).Format(time.RFC3339) + " 203.0.113.9",
		"d": epoch.Add(2*time.Second).Format(time.RFC3339) + " 203.0.113.9",
	}
	for _, tok := range list.GetApiTokens() {
		got := tok.GetLastUseTime().AsTime().Format(time.RFC3339) + " " + tok.GetLastUseAddress()
		if got != want[tok.GetDisplayName()] {
			t.Errorf("%s: last use %s, want %s", tok.GetDisplayName(), got, want[tok.GetDisplayName()])
		}
	}
	h.svc.uses.flush(context.Background())
	if got := counting.batches(); len(got) != 1 {
		t.Fatalf("an empty flush wrote: %v", got)
	}
}

func TestRecordTokenUsesRejectsABadBatchWhole(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.create(owner, deviceA, "a")
	_, err := h.client.RecordTokenUses(asGateway(), &tokenv1.RecordTokenUsesRequest{Uses: []*tokenv1.TokenUse{
		{Name: tok.GetName(), UseTime: timestamppb.New(epoch)},
		{Name: "not/a/token", UseTime: timestamppb.New(epoch)},
	}})
	wantStatus(t, err, codes.InvalidArgument, "INVALID_NAME")
	h.svc.uses.flush(context.Background())
	got, _ := h.client.GetApiToken(asUser(owner), &tokenv1.GetApiTokenRequest{Name: tok.GetName()})
	if got.GetApiToken().GetLastUseTime() != nil {
		t.Fatal("part of a rejected batch was recorded")
	}
}

func TestFutureUsesAreClampedToNow(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.create(owner, deviceA, "a")
	_, err := h.client.RecordTokenUses(asGateway(), &tokenv1.RecordTokenUsesRequest{Uses: []*tokenv1.TokenUse{
		{Name: tok.GetName(), UseTime: timestamppb.New(epoch.Add(time.Hour))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.svc.uses.flush(context.Background())
	got, _ := h.client.GetApiToken(asUser(owner), &tokenv1.GetApiTokenRequest{Name: tok.GetName()})
	if !got.GetApiToken().GetLastUseTime().AsTime().Equal(epoch) {
		t.Fatalf("last use %v, want now", got.GetApiToken().GetLastUseTime())
	}
}

func TestUsesAreFlushedPeriodicallyAndOnStop(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.LastUseFlushInterval = 10 * time.Millisecond }))
	tok, secret := h.create(owner, deviceA, "a")
	h.mustValidate(secret)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := h.client.GetApiToken(asUser(owner), &tokenv1.GetApiTokenRequest{Name: tok.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetApiToken().GetLastUseTime() != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the periodic flush never wrote the use")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A use recorded just before stop is written by stop.
	var counting *countingStore
	h2 := newHarness(t, withConfig(func(c *Config) {
		counting = &countingStore{Store: c.Store}
		c.Store = counting
		c.LastUseFlushInterval = time.Hour
	}))
	_, secret2 := h2.create(owner, deviceA, "b")
	h2.mustValidate(secret2)
	h2.stopService()
	if got := counting.batches(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("stop flushed %v, want one batch", got)
	}
}
