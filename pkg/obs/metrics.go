package obs

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// GRPCMetrics counts and times the RPCs a component serves.
type GRPCMetrics struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
	InFlight *prometheus.GaugeVec
}

// NewGRPCMetrics registers the RPC metrics of one component on reg.
func NewGRPCMetrics(reg prometheus.Registerer, component string) (*GRPCMetrics, error) {
	labels := prometheus.Labels{"component": component}
	m := &GRPCMetrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_grpc_requests_total", Help: "RPCs handled, by method and status code.", ConstLabels: labels,
		}, []string{"method", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tollgate_grpc_request_duration_seconds", Help: "RPC latency, by method.", ConstLabels: labels,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method"}),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tollgate_grpc_requests_in_flight", Help: "RPCs being handled.", ConstLabels: labels,
		}, []string{"method"}),
	}
	for _, c := range []prometheus.Collector{m.Requests, m.Duration, m.InFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
