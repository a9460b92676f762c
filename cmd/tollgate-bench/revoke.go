package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// revokeTimeout bounds how long one trial waits for a gateway's first 401.
const revokeTimeout = 2 * time.Second

// runRevoke measures scenario 3: two gateways (two gateway.Run on their
// own loopback ports, in front of the same backends). Each trial creates a
// token, warms both caches, revokes it through gateway A, and then both
// gateways are polled back to back until each answers 401; the time from
// the revoke's answer to that 401 is recorded per gateway.
func runRevoke(ctx context.Context, s *Suite, f fixture, trials int, logf func(string, ...any)) (*section, error) {
	sec := &section{
		title:  fmt.Sprintf("3. Revocation propagation: %d trials, two gateway instances", trials),
		header: []string{"gateway", "trials", "p50", "p99", "max", "target p99 ≤ 100 ms"},
	}
	gws := make([]*server, 2)
	for i := range gws {
		g, err := startGateway(s, benchGatewaySettings())
		if err != nil {
			return nil, err
		}
		defer g.stop()
		gws[i] = g
	}
	hc := newHTTPClient(4)
	defer hc.CloseIdleConnections()
	lat := [2][]time.Duration{}
	polls := [2]int{}
	for trial := range trials {
		secret, name, err := createToken(ctx, gws[0].url, f.owner, fmt.Sprintf("revoke-%d", trial))
		if err != nil {
			return nil, fmt.Errorf("trial %d: %w", trial, err)
		}
		header := http.Header{"X-Api-Key": {secret}}
		for _, g := range gws {
			for range 2 { // the first validates and caches, the second is a hit
				if err := getOK(ctx, hc, g.url+"/v1/token", header); err != nil {
					return nil, fmt.Errorf("trial %d: warming %s: %w", trial, g.url, err)
				}
			}
		}
		if _, err := mustCall(ctx, 200, "DELETE", gws[0].url+"/v1/"+name, f.owner, ""); err != nil {
			return nil, fmt.Errorf("trial %d: %w", trial, err)
		}
		revoked := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, g := range gws {
			wg.Go(func() {
				deadline := revoked.Add(revokeTimeout)
				for n := 1; ; n++ {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/v1/token", nil)
					req.Header = header
					resp, err := hc.Do(req)
					if err != nil {
						errs[i] = err
						return
					}
					resp.Body.Close()
					switch {
					case resp.StatusCode == http.StatusUnauthorized:
						lat[i] = append(lat[i], time.Since(revoked))
						polls[i] += n
						return
					case resp.StatusCode != http.StatusOK:
						errs[i] = fmt.Errorf("gateway %d answered %d", i, resp.StatusCode)
						return
					case time.Now().After(deadline):
						errs[i] = fmt.Errorf("gateway %d still accepts the token %s after the revoke", i, revokeTimeout)
						return
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("trial %d: %w", trial, err)
			}
		}
	}
	for i, name := range []string{"A (revoked through this one)", "B (learns of it only through the watch stream)"} {
		r := loadResult{lat: lat[i]}
		slices.Sort(r.lat)
		p99 := r.quantile(.99)
		sec.add(name, fmt.Sprint(len(r.lat)), fmtDur(r.quantile(.5)), fmtDur(p99), fmtDur(r.lat[len(r.lat)-1]), verdict(p99 <= 100*time.Millisecond))
		logf("revoke: gateway %s p50 %s p99 %s max %s (%.1f polls per trial)", name, fmtDur(r.quantile(.5)), fmtDur(p99), fmtDur(r.lat[len(r.lat)-1]), float64(polls[i])/float64(trials))
	}
	sec.note("Each gateway is polled with GET /v1/token back to back (no sleep) from the moment DELETE returns; the figure is the time to the first 401, so it includes one request round trip (about %.1f polls per trial before the 401).",
		float64(polls[0]+polls[1])/float64(2*trials))
	return sec, nil
}
