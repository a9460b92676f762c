package main

// Shared helpers of the reliability tests (crash, outage, graceful
// shutdown, soak, authorization matrix, REST fuzzing). Every request goes
// to 127.0.0.1 and is bounded by a client timeout.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
	tenancyv1 "github.com/tollgate/tollgate/proto/tollgate/tenancy/v1"
)

// restClient calls a gateway with a bounded timeout per request.
type restClient struct {
	base string
	http *http.Client
}

func newRESTClient(base string, timeout time.Duration) *restClient {
	return &restClient{base: base, http: &http.Client{Timeout: timeout}}
}

// restReply is a fully read response.
type restReply struct {
	status int
	header http.Header
	body   []byte
}

func (r restReply) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

// reason is the ErrorInfo reason of a /v1 error body.
func (r restReply) reason() string {
	return response{body: r.json()}.reason()
}

// call sends one request; authz is a whole Authorization header value ("" for none).
func (c *restClient) call(ctx context.Context, method, path, authz, body string) (restReply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		return restReply{}, err
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return restReply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return restReply{}, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	return restReply{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// must fails the test unless the call answered want.
func (c *restClient) must(t testing.TB, want int, method, path, authz, body string) restReply {
	t.Helper()
	r, err := c.call(context.Background(), method, path, authz, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

// streamUTCTimes reads an NDJSON log stream and returns every record's utc_time.
func (c *restClient) streamUTCTimes(ctx context.Context, path, authz string) ([]time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", authz)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	var out []time.Time
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec struct {
			UTCTime string `json:"utc_time"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("GET %s: line %d: %v: %q", path, len(out)+1, err, sc.Bytes())
		}
		ts, err := time.Parse(time.RFC3339Nano, rec.UTCTime)
		if err != nil {
			return nil, fmt.Errorf("GET %s: line %d: utc_time %q: %v", path, len(out)+1, rec.UTCTime, err)
		}
		out = append(out, ts)
	}
	return out, sc.Err()
}

// userAuthz mints a dev user JWT with the suite's dev key file.
func userAuthz(t testing.TB, devKeyFile, email string) string {
	t.Helper()
	key, err := auth.LoadPrivateKey(devKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.MintDevToken(key, email, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// collector is an internal gRPC client of a running suite, with its own
// service identity signed by the suite's identity key (as `tollgate
// simulate` does).
type collector struct {
	conns   []*grpc.ClientConn
	export  exportv1.ExportServiceClient
	tenancy tenancyv1.TenancyServiceClient
}

func dialCollector(t testing.TB, st suiteState) *collector {
	t.Helper()
	key, err := auth.LoadPrivateKey(st.IdentityKey)
	if err != nil {
		t.Fatal(err)
	}
	signer := auth.NewSigner(key, "test-collector", 0)
	c := &collector{}
	for _, name := range []string{component.Export, component.Tenancy} {
		conn, err := client.Dial(st.Components[name], client.Options{Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		c.conns = append(c.conns, conn)
	}
	c.export = exportv1.NewExportServiceClient(c.conns[0])
	c.tenancy = tenancyv1.NewTenancyServiceClient(c.conns[1])
	return c
}

func (c *collector) close() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// ingestOneBatch sends records as the only batch of one ingest stream, so
// the acknowledgement covers exactly that batch.
func (c *collector) ingestOneBatch(ctx context.Context, device string, records []*exportv1.LogRecord) (int64, error) {
	stream, err := c.export.IngestLogs(ctx)
	if err != nil {
		return 0, err
	}
	if err := stream.Send(&exportv1.IngestLogsRequest{Device: device, Records: records}); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return 0, err
	}
	return resp.GetAcceptedRecords(), nil
}

// checkDatabases opens every service's bbolt file read-only (schema and
// layout checks included) and runs bbolt's consistency check on it. The
// suite must not be running.
func checkDatabases(t testing.TB, dataDir string) {
	t.Helper()
	for _, svc := range services {
		path := component.DatabasePath(dataDir, svc.Name)
		db, err := boltdb.Open(path, svc.Schema, boltdb.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("%s does not open cleanly: %v", path, err)
		}
		err = checkBolt(db.DB.View)
		if cerr := db.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if err != nil {
			t.Fatalf("%s is inconsistent: %v", path, err)
		}
	}
}

// checkBolt runs (*bbolt.Tx).Check inside view. It goes through
// reflection so this module needs no direct dependency on bbolt: T is
// inferred as *bbolt.Tx from the embedded DB's View method.
func checkBolt[T any](view func(func(T) error) error) error {
	var problems []error
	err := view(func(tx T) error {
		m := reflect.ValueOf(tx).MethodByName("Check")
		if !m.IsValid() {
			return errors.New("bbolt transaction has no Check method")
		}
		ch := m.Call(nil)[0]
		for {
			v, ok := ch.Recv()
			if !ok {
				return nil
			}
			if e, isErr := v.Interface().(error); isErr && e != nil {
				problems = append(problems, e)
			}
		}
	})
	return errors.Join(append(problems, err)...)
}

// envDuration reads a duration from the environment.
func envDuration(t testing.TB, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}

// envInt reads an integer from the environment.
func envInt(t testing.TB, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// deviceBody is a CreateDevice body with an active license.
func deviceBody(display, serial, mac string) string {
	return fmt.Sprintf(`{"display_name":%q,"model":"USG FLEX 100","serial_number":%q,"mac_address":%q,"time_zone":"Europe/Berlin","license":{"expire_time":%q}}`,
		display, serial, mac, time.Now().Add(90*24*time.Hour).UTC().Format(time.RFC3339))
}

// macFor is a distinct MAC address for n.
func macFor(n int) string {
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// isJSONObject reports whether b is one JSON object.
func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(bytes.TrimSpace(b), &m) == nil
}
