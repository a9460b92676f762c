package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/errs"
	"github.com/tollgate/tollgate/pkg/obs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// ArchivePath is the SecuReporter Open API's one endpoint, served
// unchanged so existing clients work against Tollgate.
const ArchivePath = "/open-api/v1/archive-logs/download"

var deviceDatePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// openAPIError is the Open API's error body.
type openAPIError struct {
	Error struct {
		Code    string `json:"error_code"`
		Message string `json:"error_message"`
		TraceID string `json:"trace_id"`
	} `json:"error"`
	Success bool `json:"success"`
}

// writeOpenAPIError renders a rejection in the Open API's shape and codes.
func writeOpenAPIError(w http.ResponseWriter, r *http.Request, rj *rejection) {
	var body openAPIError
	body.Error.Code = openAPICode(rj)
	body.Error.Message = rj.message
	body.Error.TraceID = obs.RequestID(r.Context())
	for k, v := range rj.headers {
		if k != "WWW-Authenticate" {
			w.Header().Set(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rj.httpStatus)
	_ = json.NewEncoder(w).Encode(body)
}

// openAPICode maps Tollgate's reasons onto the Open API's error codes.
func openAPICode(rj *rejection) string {
	switch {
	case rj.reason == "AUTH_RATE_LIMITED":
		return "rate-limit-exceeded"
	case rj.httpStatus == http.StatusTooManyRequests:
		return "quota-exceeded"
	case rj.httpStatus == http.StatusUnauthorized:
		return "invalid-api-token"
	case rj.httpStatus == http.StatusForbidden:
		return "forbidden"
	case rj.httpStatus == http.StatusBadRequest, rj.httpStatus == http.StatusRequestEntityTooLarge:
		return "bad-request-parameters"
	case rj.httpStatus == http.StatusNotFound:
		return "data-not-found"
	default:
		return "internal-server-error"
	}
}

func badParameters(msg string) *rejection {
	return &rejection{httpStatus: http.StatusBadRequest, code: codes.InvalidArgument, reason: "BAD_REQUEST_PARAMETERS", message: msg}
}

// rejectionFromStatus turns an export service error into a rejection.
func rejectionFromStatus(err error) *rejection {
	s := status.Convert(err)
	rj := &rejection{code: s.Code(), reason: errs.Reason(s), message: s.Message()}
	switch s.Code() {
	case codes.InvalidArgument:
		rj.httpStatus = http.StatusBadRequest
	case codes.NotFound:
		rj.httpStatus = http.StatusNotFound
	case codes.PermissionDenied:
		rj.httpStatus = http.StatusForbidden
	case codes.Unauthenticated:
		rj.httpStatus = http.StatusUnauthorized
	case codes.ResourceExhausted:
		rj.httpStatus = http.StatusTooManyRequests
	case codes.Unavailable, codes.DeadlineExceeded:
		rj.httpStatus, rj.message = http.StatusServiceUnavailable, "the archive service is unavailable; retry later"
		rj.headers = map[string]string{"Retry-After": "5"}
	default:
		rj.httpStatus, rj.message = http.StatusInternalServerError, "internal error; retry later"
	}
	return rj
}

// archive serves POST /open-api/v1/archive-logs/download: the token alone
// names the device; the body names the day in the device's time zone; the
// answer is a tar holding <date>.gzip of key="value" lines.
func (g *Gateway) archive(w http.ResponseWriter, r *http.Request) {
	for k, v := range g.openAPIHeaders {
		w.Header().Set(k, v)
	}
	res, rj := g.authenticateRequest(r, true)
	if rj != nil {
		writeOpenAPIError(w, r, rj)
		return
	}
	date, rj := archiveDate(r)
	if rj != nil {
		writeOpenAPIError(w, r, rj)
		return
	}
	ok, quota := g.archives.take(res.principal.TokenName, g.tokens.now())
	for k, v := range quota.headers(!ok) {
		w.Header().Set(k, v)
	}
	if !ok {
		writeOpenAPIError(w, r, rateLimited("QUOTA_EXCEEDED", "this token used its archive downloads for this hour", quota))
		return
	}
	ctx := auth.NewContext(r.Context(), res.principal)
	stream, err := g.export.GetArchive(ctx, &exportv1.GetArchiveRequest{Device: res.principal.Device, DeviceDate: date})
	if err != nil {
		writeOpenAPIError(w, r, rejectionFromStatus(err))
		return
	}
	// The first chunk decides between an error body and the archive.
	first, err := stream.Recv()
	if err != nil {
		writeOpenAPIError(w, r, rejectionFromStatus(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", `attachment; filename="`+date+`.tar"`)
	w.WriteHeader(http.StatusOK)
	for chunk := first; ; {
		if _, err := w.Write(chunk.GetChunk()); err != nil {
			return // the client went away
		}
		chunk, err = stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The status is sent: cut the connection so the client sees a
			// failed transfer, never a truncated archive that looks whole.
			g.logger.ErrorContext(r.Context(), "archive stream failed midway", "error", err.Error())
			panic(http.ErrAbortHandler)
		}
	}
}

// archiveDate reads {"device_date":"yyyy-MM-dd"} from a JSON body.
func archiveDate(r *http.Request) (string, *rejection) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return "", badParameters("Content-Type must be application/json")
	}
	var body struct {
		DeviceDate *string `json:"device_date"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return "", badParameters("the body must be JSON like {\"device_date\": \"yyyy-MM-dd\"}")
	}
	if body.DeviceDate == nil {
		return "", badParameters("device_date is required")
	}
	date := *body.DeviceDate
	if !deviceDatePattern.MatchString(date) {
		return "", badParameters("device_date must be yyyy-MM-dd")
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", badParameters("device_date is not a calendar date")
	}
	return date, nil
}

// openAPINotFound answers other /open-api paths in the Open API's shape.
func openAPINotFound(w http.ResponseWriter, r *http.Request) {
	writeOpenAPIError(w, r, &rejection{httpStatus: http.StatusNotFound, code: codes.NotFound, reason: "NOT_FOUND",
		message: "no such Open API endpoint: " + r.Method + " " + r.URL.Path})
}
