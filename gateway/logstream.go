package gateway

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/logs/category"
	"github.com/tollgate/tollgate/pkg/logs/logjson"
	"github.com/tollgate/tollgate/pkg/logs/logline"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

const (
	contentTypeNDJSON = "application/x-ndjson"
	contentTypeCSV    = "text/csv; charset=utf-8"
)

// logStream is the output format of one GET …/logs:stream request.
type logStream struct {
	csv           bool
	category      category.Category
	headerWritten bool
}

type logStreamKey struct{}

// apiMarshaler is the API's JSON marshaler, which also lets streamed
// chunks that are already rendered (NDJSON lines, CSV rows) carry their
// own content type.
type apiMarshaler struct{ *jsonMarshaler }

func (m apiMarshaler) StreamContentType(v any) string {
	if b, ok := v.(*httpbody.HttpBody); ok {
		return b.GetContentType()
	}
	return m.ContentType(v)
}

// selectLogStreamFormat chooses NDJSON (default) or CSV (`format=csv` or
// `Accept: text/csv`, exactly one category) for log streams.
func selectLogStreamFormat(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/logs:stream") {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		format := q.Get("format")
		if format == "" && strings.Contains(r.Header.Get("Accept"), "text/csv") {
			format = "csv"
			q.Set("format", format)
			r.URL.RawQuery = q.Encode()
		}
		st := &logStream{}
		if format == "csv" {
			names := q["categories"]
			c, ok := category.Category{}, len(names) == 1
			if ok {
				c, ok = category.ByName(names[0])
			}
			if !ok {
				(&rejection{httpStatus: http.StatusBadRequest, code: codes.InvalidArgument, reason: "CSV_NEEDS_ONE_CATEGORY",
					message: "CSV needs exactly one known category (categories=traffic, for example): each category has its own columns"}).write(w)
				return
			}
			st.csv, st.category = true, c
		}
		rw := &streamErrorWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), logStreamKey{}, st)))
		if rw.failed {
			rw.writeStatus()
			return
		}
		if st.csv && !rw.wrote {
			// No records: the answer is still a CSV file, with its header.
			w.Header().Set("Content-Type", contentTypeCSV)
			_, _ = w.Write(csvHeader(st.category))
		}
	})
}

func csvHeader(c category.Category) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write(logline.Keys(c))
	cw.Flush()
	return b.Bytes()
}

// renderLogStream turns each streamed batch into NDJSON lines (the REST
// API's JSON, rendered by logjson) or CSV rows,
// one record per line (the runtime adds the last newline), instead of
// grpc-gateway's default {"result": …} envelope.
func renderLogStream(ctx context.Context, resp proto.Message) (any, error) {
	records, ok := streamedRecords(resp)
	if !ok {
		return resp, nil
	}
	st, _ := ctx.Value(logStreamKey{}).(*logStream)
	if st == nil || !st.csv {
		data := make([]byte, 0, 640*len(records))
		for i, r := range records {
			if i > 0 {
				data = append(data, '\n')
			}
			var err error
			if data, err = logjson.Append(data, r); err != nil {
				return nil, err
			}
		}
		return &httpbody.HttpBody{ContentType: contentTypeNDJSON, Data: data}, nil
	}
	var b bytes.Buffer
	if !st.headerWritten {
		b.Write(csvHeader(st.category))
		st.headerWritten = true
	}
	cw := csv.NewWriter(&b)
	row := make([]string, 0, 64)
	for _, r := range records {
		var err error
		if row, err = logline.AppendColumns(row[:0], r); err != nil {
			return nil, err
		}
		if err := cw.Write(row); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return &httpbody.HttpBody{ContentType: contentTypeCSV, Data: bytes.TrimSuffix(b.Bytes(), []byte("\n"))}, nil
}

// streamedRecords finds the records in a log stream message. With
// `response_body: "logs"` the generated handler wraps each message in a
// type that exposes the body through XXX_ResponseBody.
func streamedRecords(resp proto.Message) ([]*exportv1.LogRecord, bool) {
	if m, ok := resp.(*exportv1.StreamLogsResponse); ok {
		return m.GetLogs(), true
	}
	if rb, ok := resp.(interface{ XXX_ResponseBody() interface{} }); ok {
		r, ok := rb.XXX_ResponseBody().([]*exportv1.LogRecord)
		return r, ok
	}
	return nil, false
}

// streamErrorWriter holds back an error that a stream reports before its
// first record, so the client gets the same google.rpc.Status body as for
// any other failed request, not grpc-gateway's {"error": …} stream chunk.
// Errors after the first record can only be the stream's last line.
type streamErrorWriter struct {
	http.ResponseWriter
	wrote  bool // something of a successful stream was written
	failed bool
	code   int
	body   bytes.Buffer
}

func (w *streamErrorWriter) WriteHeader(code int) {
	if !w.wrote && code >= http.StatusBadRequest {
		w.failed, w.code = true, code
		return
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *streamErrorWriter) Write(b []byte) (int, error) {
	if w.failed {
		return w.body.Write(b)
	}
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *streamErrorWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.failed {
		f.Flush()
	}
}

func (w *streamErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeStatus unwraps the held-back chunk and writes it as the answer.
func (w *streamErrorWriter) writeStatus() {
	body := bytes.TrimSpace(w.body.Bytes())
	var chunk struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &chunk) == nil && len(chunk.Error) > 0 {
		body = chunk.Error
	}
	w.Header().Set("Content-Type", "application/json")
	w.ResponseWriter.WriteHeader(w.code)
	_, _ = w.ResponseWriter.Write(body)
}
