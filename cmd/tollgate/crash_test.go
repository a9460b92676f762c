package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// Crash safety (DESIGN.md "Kill -9 at any moment loses no acknowledged
// write; restart is clean"): rounds of a real `tollgate up` on one data
// dir, each killed with SIGKILL at a random moment during concurrent
// ingest and API token creation. Every acknowledged write must be there
// after the restart, every database must open and pass bbolt's check, and
// a batch is stored whole or not at all.

const (
	crashIngestWorkers = 3
	crashTokenWorkers  = 2
	crashBatchSize     = 20 // records per ingest stream (one batch each)
	crashOrg           = "crash"
)

// crashBatch is one ingest stream of crashBatchSize records. Batch g holds
// records at base + g*crashBatchSize + i seconds, a time window no other
// batch uses, so the stored count of each batch can be read back.
type crashBatch struct {
	device string
	index  int64
	round  int
	acked  bool
}

type crashToken struct {
	device, name, display string
	round                 int
}

type crashLedger struct {
	mu      sync.Mutex
	base    time.Time
	batches []*crashBatch
	tokens  []crashToken
}

func (l *crashLedger) window(index int64) (time.Time, time.Time) {
	start := l.base.Add(time.Duration(index*crashBatchSize) * time.Second)
	return start, start.Add(crashBatchSize * time.Second)
}

func (l *crashLedger) sent(device string, index int64, round int) *crashBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &crashBatch{device: device, index: index, round: round}
	l.batches = append(l.batches, b)
	return b
}

func (l *crashLedger) ack(b *crashBatch) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b.acked = true
}

func (l *crashLedger) ackToken(tok crashToken) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = append(l.tokens, tok)
}

// of returns the batches and tokens of the rounds accepted by keep.
func (l *crashLedger) of(keep func(round int) bool) ([]crashBatch, []crashToken) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var bs []crashBatch
	for _, b := range l.batches {
		if keep(b.round) {
			bs = append(bs, *b)
		}
	}
	var ts []crashToken
	for _, tok := range l.tokens {
		if keep(tok.round) {
			ts = append(ts, tok)
		}
	}
	return bs, ts
}

func crashDevice(w int) string { return fmt.Sprintf("organizations/%s/devices/dev%d", crashOrg, w) }

func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 20 times")
	}
	rounds := int(envInt(t, "CRASH_ROUNDS", 20))
	seed := envInt(t, "CRASH_SEED", time.Now().UnixNano())
	t.Logf("CRASH_SEED=%d (set it to replay the same kill moments)", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	bin := buildBinary(t)
	dir := t.TempDir()
	flags := []string{"--log-level", "error", "--max-tokens-per-device", "10000", "--auth-failures-per-minute", "100000"}
	pool := crashRecordPool()
	ledger := &crashLedger{base: time.Now().Add(-72 * time.Hour).Truncate(time.Hour)}
	var nextBatch atomic.Int64
	began := time.Now()
	var acked, sent, tokens int

	for round := 0; round <= rounds; round++ {
		// A SIGKILLed suite leaves its state file behind; the next start
		// rewrites it, but the test harness must not read the stale one.
		_ = os.Remove(statePath(dir))
		s := startSuite(t, bin, dir, flags...)
		rest := newRESTClient(s.state.BaseURL, 20*time.Second)
		owner := userAuthz(t, s.state.DevUserKey, "owner@example.com")
		if round == 0 {
			rest.must(t, 200, "POST", "/v1/organizations?organization_id="+crashOrg, owner, `{"display_name":"Crash"}`)
			for w := range max(crashIngestWorkers, crashTokenWorkers) {
				rest.must(t, 200, "POST", fmt.Sprintf("/v1/organizations/%s/devices?device_id=dev%d", crashOrg, w), owner,
					deviceBody(fmt.Sprintf("d%d", w), fmt.Sprintf("CRASH%04d", w), macFor(w)))
			}
		} else {
			// Everything acknowledged before the last kill is there.
			prev := round - 1
			verifyCrashLedger(t, rest, owner, ledger, func(r int) bool { return r == prev })
		}
		if round == rounds {
			break // the last start only verifies
		}

		col := dialCollector(t, s.state)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range crashIngestWorkers {
			wg.Go(func() {
				device := crashDevice(w)
				for ctx.Err() == nil {
					g := nextBatch.Add(1) - 1
					b := ledger.sent(device, g, round)
					n, err := col.ingestOneBatch(ctx, device, crashBatchRecords(pool, ledger, g))
					if err != nil {
						return // the suite is gone
					}
					if n != crashBatchSize {
						t.Errorf("batch %d: accepted %d of %d records", g, n, crashBatchSize)
						return
					}
					ledger.ack(b)
				}
			})
		}
		for w := range crashTokenWorkers {
			wg.Go(func() {
				device := crashDevice(w)
				for i := 0; ctx.Err() == nil; i++ {
					display := fmt.Sprintf("crash-r%d-w%d-%d", round, w, i)
					r, err := rest.call(ctx, "POST", "/v1/"+device+"/apiTokens", owner, `{"display_name":"`+display+`"}`)
					if err != nil {
						return
					}
					if r.status != 200 {
						t.Errorf("create token: %d %s", r.status, r.body)
						return
					}
					tok, _ := r.json()["api_token"].(map[string]any)
					name, _ := tok["name"].(string)
					if name == "" {
						t.Errorf("create token: no name in %s", r.body)
						return
					}
					ledger.ackToken(crashToken{device: device, name: name, display: display, round: round})
				}
			})
		}
		time.Sleep(100*time.Millisecond + time.Duration(rng.Int64N(int64(700*time.Millisecond))))
		if err := s.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = s.cmd.Wait()
		cancel()
		waitBounded(t, &wg, 30*time.Second, "load workers after the kill")
		col.close()
		if t.Failed() {
			t.FailNow()
		}
		checkDatabases(t, dir)

		bs, ts := ledger.of(func(r int) bool { return r == round })
		for _, b := range bs {
			sent++
			if b.acked {
				acked++
			}
		}
		tokens += len(ts)
	}
	// And once more, everything from every round.
	s := startSuite(t, bin, dir, flags...)
	rest := newRESTClient(s.state.BaseURL, 30*time.Second)
	verifyCrashLedger(t, rest, userAuthz(t, s.state.DevUserKey, "owner@example.com"), ledger, func(int) bool { return true })
	t.Logf("%d kills in %s: %d of %d ingest batches acknowledged (%d records), %d tokens acknowledged; none lost",
		rounds, time.Since(began).Round(time.Millisecond), acked, sent, acked*crashBatchSize, tokens)
	if acked == 0 || tokens == 0 {
		t.Fatalf("the load acknowledged nothing (%d batches, %d tokens): the test proves nothing", acked, tokens)
	}
}

// crashRecordPool is realistic records of every category to copy from.
func crashRecordPool() []*exportv1.LogRecord {
	loc, _ := time.LoadLocation("Europe/Berlin")
	var pool []*exportv1.LogRecord
	for r := range simulate.New(42, loc).Day(time.Now().AddDate(0, 0, -1), 240) {
		pool = append(pool, r)
	}
	return pool
}

func crashBatchRecords(pool []*exportv1.LogRecord, l *crashLedger, g int64) []*exportv1.LogRecord {
	start, _ := l.window(g)
	out := make([]*exportv1.LogRecord, crashBatchSize)
	for i := range out {
		r := proto.Clone(pool[(int(g)*crashBatchSize+i)%len(pool)]).(*exportv1.LogRecord)
		r.UtcTime = timestamppb.New(start.Add(time.Duration(i) * time.Second))
		r.DeviceTime = "" // the export service fills it in the device's zone
		out[i] = r
	}
	return out
}

// verifyCrashLedger reads back the batches and tokens of the selected
// rounds over REST: an acknowledged batch is stored whole, an
// unacknowledged one whole or not at all, no record appears outside a
// batch that was sent, and every acknowledged token is listed.
func verifyCrashLedger(t *testing.T, rest *restClient, owner string, l *crashLedger, keep func(int) bool) {
	t.Helper()
	batches, tokens := l.of(keep)
	byDevice := map[string][]crashBatch{}
	for _, b := range batches {
		byDevice[b.device] = append(byDevice[b.device], b)
	}
	ctx := context.Background()
	for device, bs := range byDevice {
		sort.Slice(bs, func(i, j int) bool { return bs[i].index < bs[j].index })
		from, _ := l.window(bs[0].index)
		_, to := l.window(bs[len(bs)-1].index)
		path := fmt.Sprintf("/v1/%s/logs:stream?start_time=%s&end_time=%s", device, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		times, err := rest.streamUTCTimes(ctx, path, owner)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int64]int{}
		for _, ts := range times {
			counts[int64(ts.Sub(l.base)/time.Second)/crashBatchSize]++
		}
		for _, b := range bs {
			n := counts[b.index]
			delete(counts, b.index)
			switch {
			case b.acked && n != crashBatchSize:
				t.Errorf("%s: acknowledged batch %d (round %d) has %d of %d records after the restart", device, b.index, b.round, n, crashBatchSize)
			case !b.acked && n != 0 && n != crashBatchSize:
				t.Errorf("%s: unacknowledged batch %d (round %d) is partly stored: %d of %d records", device, b.index, b.round, n, crashBatchSize)
			}
		}
		for index, n := range counts {
			t.Errorf("%s: %d records in the window of batch %d, which was never sent to this device", device, n, index)
		}
	}
	want := map[string][]crashToken{}
	for _, tok := range tokens {
		want[tok.device] = append(want[tok.device], tok)
	}
	for device, toks := range want {
		listed := map[string]string{}
		for next := ""; ; {
			r := rest.must(t, 200, "GET", "/v1/"+device+"/apiTokens?page_size=1000&page_token="+next, owner, "")
			body := r.json()
			items, _ := body["api_tokens"].([]any)
			for _, it := range items {
				m, _ := it.(map[string]any)
				name, _ := m["name"].(string)
				display, _ := m["display_name"].(string)
				listed[name] = display
			}
			next, _ = body["next_page_token"].(string)
			if next == "" {
				break
			}
		}
		for _, tok := range toks {
			if got, ok := listed[tok.name]; !ok || got != tok.display {
				t.Errorf("%s: acknowledged token %s (%q, round %d) is missing after the restart", device, tok.name, tok.display, tok.round)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// waitBounded waits for wg, failing the test after limit.
func waitBounded(t testing.TB, wg *sync.WaitGroup, limit time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s did not finish within %s", what, limit)
	}
}
