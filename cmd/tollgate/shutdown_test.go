package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Graceful shutdown (DESIGN.md "Graceful shutdown drains in-flight
// requests"): SIGTERM to a real `tollgate up` while log streams and small
// reads run. Every request the gateway was serving when the signal came
// completes in full, nothing gets an error status, and the process exits 0.

// shutdownRequest is one request of the load, as the client saw it.
type shutdownRequest struct {
	kind           string
	start, headers time.Time // headers: zero if none arrived
	end            time.Time
	status         int
	err            error
}

func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const records = 20000
	bin := buildBinary(t)
	s := startSuite(t, bin, t.TempDir(), "--log-level", "error", "--token-rate", "100000", "--token-burst", "100000")
	rest := newRESTClient(s.state.BaseURL, 30*time.Second)
	owner := userAuthz(t, s.state.DevUserKey, "owner@example.com")
	rest.must(t, 200, "POST", "/v1/organizations?organization_id=acme", owner, `{"display_name":"Acme"}`)
	rest.must(t, 200, "POST", "/v1/organizations/acme/devices?device_id=fw1", owner, deviceBody("fw1", "SN0001", macFor(1)))
	secret := rest.must(t, 200, "POST", "/v1/organizations/acme/devices/fw1/apiTokens", owner, `{"display_name":"siem"}`).json()["secret"].(string)
	col := dialCollector(t, s.state)
	if n, err := ingestSimulated(context.Background(), col.tenancy, col.export, "organizations/acme/devices/fw1", 1, records, 3, 1000); err != nil || n != records {
		t.Fatalf("ingest: %d, %v", n, err)
	}
	col.close()

	type target struct {
		kind, path, authz string
		wantLines         int // for streams: the complete answer
	}
	targets := []target{
		{"stream", "/v1/organizations/acme/devices/fw1/logs:stream", "Bearer " + secret, records},
		{"stream", "/v1/organizations/acme/devices/fw1/logs:stream", owner, records},
		{"stream", "/v1/organizations/acme/devices/fw1/logs:stream?categories=traffic&format=csv", "Bearer " + secret, 0},
		{"read", "/v1/token", "Bearer " + secret, 0},
		{"read", "/v1/organizations/acme", owner, 0},
		{"read", "/v1/organizations/acme/devices/fw1/logs?page_size=20", "Bearer " + secret, 0},
	}

	var (
		mu        sync.Mutex
		done      []shutdownRequest
		streaming atomic.Int64 // streams whose headers arrived and whose body is still being read
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	deadline := time.Now().Add(40 * time.Second)
	for _, tg := range targets {
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for time.Now().Before(deadline) {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", s.state.BaseURL+tg.path, nil)
				req.Header.Set("Authorization", tg.authz)
				rq := shutdownRequest{kind: tg.kind, start: time.Now()}
				resp, err := client.Do(req)
				if err == nil {
					rq.headers, rq.status = time.Now(), resp.StatusCode
					if tg.kind == "stream" {
						streaming.Add(1)
					}
					var lines int
					lines, err = countLines(resp.Body)
					if tg.kind == "stream" {
						streaming.Add(-1)
					}
					resp.Body.Close()
					if err == nil && tg.wantLines > 0 && lines != tg.wantLines {
						err = fmt.Errorf("truncated: %d of %d lines", lines, tg.wantLines)
					}
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				rq.end, rq.err = time.Now(), err
				mu.Lock()
				done = append(done, rq)
				mu.Unlock()
				if err != nil {
					return // the suite is going away
				}
			}
		})
	}

	// Signal while at least two streams are being answered.
	warm := time.Now()
	for streaming.Load() < 2 || time.Since(warm) < 300*time.Millisecond {
		if time.Since(warm) > 20*time.Second {
			t.Fatal("the streams never got going")
		}
		time.Sleep(5 * time.Millisecond)
	}
	signalled := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30s of SIGTERM\n%s", s.output)
	}
	stopped := time.Now()
	close(stop)
	waitBounded(t, &wg, 40*time.Second, "load")

	var inFlight, before, after, refused, inFlightStreams int
	for _, rq := range done {
		// The gateway had the request if its answer had begun before the
		// signal, or if it was sent well before (a request on a keep-alive
		// connection written at the very moment of the signal may race
		// with the connection being closed as idle: those may fail).
		wasServing := !rq.headers.IsZero() && rq.headers.Before(signalled) && rq.end.After(signalled)
		startedBefore := rq.start.Before(signalled.Add(-50 * time.Millisecond))
		switch {
		case wasServing:
			inFlight++
			if rq.kind == "stream" {
				inFlightStreams++
			}
		case startedBefore:
			before++
		default:
			after++
		}
		if wasServing || startedBefore {
			if rq.err != nil {
				t.Errorf("%s started %s before SIGTERM failed %s after it: %v",
					rq.kind, signalled.Sub(rq.start).Round(time.Millisecond), rq.end.Sub(signalled).Round(time.Millisecond), rq.err)
			}
			continue
		}
		// Later requests may be refused, but an answer must not be an error.
		if rq.status != 0 && rq.status != http.StatusOK {
			t.Errorf("%s started after SIGTERM got %d", rq.kind, rq.status)
		}
		var opErr interface{ Timeout() bool }
		if rq.err != nil && errors.As(rq.err, &opErr) && opErr.Timeout() {
			t.Errorf("%s started after SIGTERM hung: %v", rq.kind, rq.err)
		}
		if rq.err != nil {
			refused++
		}
	}
	if exitErr != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", exitErr, s.output)
	}
	if !strings.Contains(s.output.String(), "Tollgate stopped") {
		t.Errorf("no clean stop message:\n%s", s.output)
	}
	if inFlightStreams == 0 {
		t.Errorf("no stream was in flight at the signal: the test proves nothing")
	}
	t.Logf("%d requests: %d in flight at SIGTERM (%d streams) all completed, %d earlier, %d later (%d refused); exit 0 after %s",
		len(done), inFlight, inFlightStreams, before, after, refused, stopped.Sub(signalled).Round(time.Millisecond))
	var ee *exec.ExitError
	if errors.As(exitErr, &ee) {
		t.Errorf("exit code %d", ee.ExitCode())
	}
}

// countLines reads r to the end and counts its non-empty lines (the CSV
// header included).
func countLines(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			n++
		}
	}
	return n, sc.Err()
}
