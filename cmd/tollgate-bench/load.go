package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is one closed-loop run: conc workers, each sending its next
// request as soon as the previous one answered.
type loadResult struct {
	requests int
	errors   int
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // sorted
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r loadResult) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := min(int(q*float64(len(r.lat))), len(r.lat)-1)
	return r.lat[i]
}

// maxRequestsPerRun bounds every run by count as well as by time.
const maxRequestsPerRun = 5_000_000

// runLoad runs fn from conc goroutines for d (and at most
// maxRequestsPerRun calls in all). Calls in flight at the end finish and
// count; the elapsed time runs until the last one has.
func runLoad(ctx context.Context, conc int, d time.Duration, fn func(context.Context) error) loadResult {
	var (
		issued atomic.Int64
		mu     sync.Mutex
		res    loadResult
		wg     sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(d)
	for range conc {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			errs := 0
			var first error
			for ctx.Err() == nil && time.Now().Before(end) && issued.Add(1) <= maxRequestsPerRun {
				t := time.Now()
				if err := fn(ctx); err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.requests = len(res.lat)
	slices.Sort(res.lat)
	return res
}

// newHTTPClient keeps conc connections alive to one host.
func newHTTPClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, MaxConnsPerHost: 0,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}, Timeout: 10 * time.Second}
}

// getOK is one GET that must answer 200; the body is read to the end.
func getOK(ctx context.Context, c *http.Client, url string, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return err
}

var errNoRuns = errors.New("no successful requests")

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func fmtRate(r float64) string {
	switch {
	case r >= 100_000:
		return fmt.Sprintf("%.0fk", r/1000)
	case r >= 10_000:
		return fmt.Sprintf("%.1fk", r/1000)
	default:
		return fmt.Sprintf("%.0f", r)
	}
}

func fmtBytes(b int64) string {
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
