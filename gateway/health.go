package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// readinessTimeout bounds each backend's health check.
const readinessTimeout = time.Second

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// healthz says the process is up; it checks nothing else.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is 200 only when every backend reports SERVING, so a load
// balancer sends no traffic to a gateway that cannot serve it.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
	defer cancel()
	var mu sync.Mutex
	backends := map[string]string{}
	var wg sync.WaitGroup
	for name, client := range g.health {
		wg.Go(func() {
			state := "SERVING"
			resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
			switch {
			case err != nil:
				state = "UNREACHABLE"
			case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
				state = resp.GetStatus().String()
			}
			mu.Lock()
			backends[name] = state
			mu.Unlock()
		})
	}
	wg.Wait()
	ready := true
	for _, state := range backends {
		ready = ready && state == "SERVING"
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "backends": backends})
}
