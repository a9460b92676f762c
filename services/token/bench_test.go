package token

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/apitoken"
	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/resource"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
	"github.com/tollgate/tollgate/services/token/store"
	"github.com/tollgate/tollgate/services/token/store/boltstore"
)

// benchFixture is a store of n tokens and the secrets of a sample of them,
// spread over the whole store so that lookups are not all cache-hot.
type benchFixture struct {
	store   *boltstore.Store
	keys    *Keyring
	secrets []string
}

var benchFixtures = struct {
	sync.Mutex
	byCount map[int]*benchFixture
	dirs    []string
	dbs     []*boltdb.DB
}{byCount: map[int]*benchFixture{}}

// removeBenchFixtures deletes the fixtures once all benchmarks have run.
func removeBenchFixtures() {
	benchFixtures.Lock()
	defer benchFixtures.Unlock()
	for _, db := range benchFixtures.dbs {
		_ = db.Close()
	}
	for _, dir := range benchFixtures.dirs {
		_ = os.RemoveAll(dir)
	}
}

// fixture builds the n-token store once per process: benchmark functions
// run several times while b.N is calibrated.
func fixture(b *testing.B, n int) *benchFixture {
	benchFixtures.Lock()
	defer benchFixtures.Unlock()
	if f, ok := benchFixtures.byCount[n]; ok {
		return f
	}
	dir, err := os.MkdirTemp("", "token-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchFixtures.dirs = append(benchFixtures.dirs, dir)
	db, err := boltdb.Open(filepath.Join(dir, "token.db"), boltstore.Schema, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	benchFixtures.dbs = append(benchFixtures.dbs, db)
	keys, err := NewKeyring(randomKey(b))
	if err != nil {
		b.Fatal(err)
	}
	f := &benchFixture{store: boltstore.New(db), keys: keys}
	const batchSize, sampleSize = 50_000, 1024
	sampleEvery := max(n/sampleSize, 1)
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := 0; i < n; i += batchSize {
		batch := make([]*store.Token, 0, min(batchSize, n-i))
		for j := i; j < i+cap(batch); j++ {
			id := resource.NewID()
			secret, err := apitoken.Generate(id)
			if err != nil {
				b.Fatal(err)
			}
			device := resource.Device{Org: "bench", Device: fmt.Sprintf("fw%06d", j/10)}
			keyID, key := keys.Current()
			batch = append(batch, &store.Token{
				ID: id, Name: resource.TokenName(device, id), Device: device.Name(),
				DisplayName: "bench", Creator: owner, Hint: secret.Hint(),
				CreateTime: created.Add(time.Duration(j)), ExpireTime: created.Add(10 * 365 * 24 * time.Hour),
				Current: store.SecretHash{Hash: secret.Hash(key), KeyID: keyID},
			})
			if j%sampleEvery == 0 {
				f.secrets = append(f.secrets, secret.Reveal())
			}
		}
		if err := f.store.Import(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built a store of %d tokens in %s", n, time.Since(start).Round(time.Millisecond))
	benchFixtures.byCount[n] = f
	return f
}

// anyDevice resolves every device, with an active license.
type anyDevice struct{}

func (anyDevice) ResolveTarget(_ context.Context, req *tenancyv1.ResolveTargetRequest, _ ...grpc.CallOption) (*tenancyv1.ResolveTargetResponse, error) {
	return &tenancyv1.ResolveTargetResponse{
		Owner:        owner,
		Organization: &tenancyv1.Organization{Name: "organizations/bench"},
		Device:       &tenancyv1.Device{Name: req.GetTarget(), License: &tenancyv1.License{ExpireTime: timestamppb.New(time.Now().Add(time.Hour))}},
	}, nil
}

// BenchmarkValidate measures ValidateToken (parse, lookup, HMAC compare,
// device resolution by an in-process fake) on a small and a large store:
// the cost must not grow with the number of tokens.
func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{1, 1_000_000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			if n > 1 && testing.Short() {
				b.Skip("the 1M-token store takes a while to build; run without -short")
			}
			f := fixture(b, n)
			svc := NewService(Config{
				Store: f.store, Tenancy: anyDevice{}, Keys: f.keys,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			ctx := auth.NewContext(context.Background(), auth.Principal{Kind: auth.KindService, Service: "gateway"})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				_, err := svc.ValidateToken(ctx, &tokenv1.ValidateTokenRequest{Token: f.secrets[i%len(f.secrets)], ClientAddress: "192.0.2.1"})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
