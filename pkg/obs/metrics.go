package obs

import (
	"errors"

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
	var err error
	if m.Requests, err = register(reg, m.Requests); err != nil {
		return nil, err
	}
	if m.Duration, err = register(reg, m.Duration); err != nil {
		return nil, err
	}
	if m.InFlight, err = register(reg, m.InFlight); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the identical collector already
// registered: a component restarted in the same process (tests, the
// all-in-one) keeps counting in its existing series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
