package gateway

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/errs"
)

// rejection is an answer the gateway gives itself, without calling a
// service: a missing credential, an oversized body, a rate limit.
type rejection struct {
	httpStatus int
	code       codes.Code
	reason     string
	message    string
	headers    map[string]string
}

// statusOf renders the rejection as the google.rpc.Status every /v1
// error uses, with its ErrorInfo reason.
func (rj *rejection) status() *status.Status {
	s := status.New(rj.code, rj.message)
	if d, err := s.WithDetails(&errdetails.ErrorInfo{Reason: rj.reason, Domain: errs.Domain}); err == nil {
		return d
	}
	return s
}

// writeStatus writes s as JSON with the given HTTP status.
func writeStatus(w http.ResponseWriter, httpStatus int, s *status.Status) {
	body, err := marshaler.Marshal(s.Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"internal error"}`)
		httpStatus = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

func (rj *rejection) write(w http.ResponseWriter) {
	for k, v := range rj.headers {
		w.Header().Set(k, v)
	}
	writeStatus(w, rj.httpStatus, rj.status())
}

// publicStatus is what a client may learn of an error from a service or
// from request decoding: an unavailable backend is a 503 that says so
// (never the transport's text, which names internal addresses), and
// transport-level failures surfacing as Unknown become INTERNAL.
func publicStatus(err error) *status.Status {
	s, _ := status.FromError(err)
	switch s.Code() {
	case codes.Unavailable:
		if errs.Reason(s) == "" {
			s = (&rejection{code: codes.Unavailable, reason: "BACKEND_UNAVAILABLE",
				message: "a Tollgate service is unavailable; retry later"}).status()
		}
	case codes.Unknown:
		s = status.New(codes.Internal, "internal error")
	}
	return s
}

// errorHandler renders errors from the services the same way as the
// gateway's own rejections.
func errorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	s := publicStatus(err)
	writeStatus(w, runtime.HTTPStatusFromCode(s.Code()), s)
}

// streamErrorHandler is errorHandler's twin for server streams.
func streamErrorHandler(_ context.Context, err error) *status.Status {
	return publicStatus(err)
}
