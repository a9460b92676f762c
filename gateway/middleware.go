package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/tollgate/tollgate/pkg/obs"
)

// httpMetrics counts and times HTTP requests by route class.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_http_requests_total", Help: "HTTP requests served by the gateway, by route and status.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tollgate_http_request_duration_seconds", Help: "HTTP request latency at the gateway, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// recordingWriter remembers the status for logs and metrics. It forwards
// Flush so streamed responses reach the client as they are written.
type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	// Every 503 says when to retry, including those grpc-gateway writes
	// itself for a stream that fails before its first record.
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost layer of every route: request id (accepted from
// the client when sane, always echoed), panic recovery, access log and
// metrics.
func (g *Gateway) observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := obs.AcceptRequestID(r.Header.Get("X-Request-Id"))
		w.Header().Set("X-Request-Id", id)
		// The request id goes into each log line rather than a derived
		// logger: this runs on every request, and nothing below logs
		// through the context.
		ctx := obs.WithRequestID(r.Context(), id)
		rw := &recordingWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				g.logger.Error("panic in HTTP handler", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rw.status == 0 {
					(&rejection{httpStatus: http.StatusInternalServerError, code: codes.Internal, reason: "INTERNAL", message: "internal error"}).write(rw)
				}
			}
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			g.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			g.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case route == routeProbe && status < 400:
				level = slog.LevelDebug
			}
			// The URL path never carries credentials; query strings are left
			// out since clients sometimes put secrets there by mistake.
			g.logger.Log(ctx, level, "http", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", status,
				"bytes", rw.bytes, "duration_ms", float64(elapsed.Microseconds())/1000, "client", g.clients.of(r))
		}()
		next.ServeHTTP(rw, r.WithContext(ctx))
	})
}

// limitBody buffers request bodies up to max bytes and answers 413 beyond
// that, before anything is decoded or forwarded: nothing is written for an
// oversized request.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := &rejection{httpStatus: http.StatusRequestEntityTooLarge, code: codes.InvalidArgument, reason: "BODY_TOO_LARGE",
			message: fmt.Sprintf("request body is larger than the limit of %d bytes", max)}
		if r.ContentLength > max {
			tooLarge.write(w)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if err != nil {
				(&rejection{httpStatus: http.StatusBadRequest, code: codes.InvalidArgument, reason: "BODY_UNREADABLE",
					message: "the request body could not be read"}).write(w)
				return
			}
			if int64(len(body)) > max {
				tooLarge.write(w)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// requireUTF8 refuses paths and query parameters that are not UTF-8: they
// would only fail later, inside gRPC, as an internal error.
func requireUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		valid := utf8.ValidString(r.URL.Path)
		for k, vs := range r.URL.Query() {
			valid = valid && utf8.ValidString(k)
			for _, v := range vs {
				valid = valid && utf8.ValidString(v)
			}
		}
		if !valid {
			(&rejection{httpStatus: http.StatusBadRequest, code: codes.InvalidArgument, reason: "INVALID_UTF8",
				message: "the request path and query parameters must be valid UTF-8"}).write(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}
