package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// maxResponseBytes bounds what the CLI reads from one response; a page of
// the largest list is far below it.
const maxResponseBytes = 32 << 20

// apiClient calls the gateway's REST API with a user token. It speaks
// plain HTTP and JSON: it never links the services.
type apiClient struct {
	base  *url.URL
	token string
	hc    *http.Client
}

func newAPIClient(base *url.URL, token string) *apiClient {
	return &apiClient{base: base, token: token, hc: &http.Client{Timeout: 60 * time.Second}}
}

// apiError is an error answer of the API: the google.rpc.Status message,
// its ErrorInfo reason and the fields at fault.
type apiError struct {
	httpStatus int
	message    string
	reason     string
	fields     []string
	requestID  string
	retryAfter string
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.message)
	for _, f := range e.fields {
		if !strings.Contains(e.message, f) {
			b.WriteString(" (field " + f + ")")
		}
	}
	b.WriteString(" [")
	if e.reason != "" {
		b.WriteString("reason " + e.reason + ", ")
	}
	b.WriteString("HTTP " + strconv.Itoa(e.httpStatus))
	if e.requestID != "" {
		b.WriteString(", request id " + e.requestID)
	}
	b.WriteString("]")
	if e.retryAfter != "" {
		b.WriteString("; retry after " + e.retryAfter + "s")
	}
	if e.httpStatus == http.StatusUnauthorized {
		b.WriteString("\nhint: --token (or TOLLGATE_TOKEN) must be a valid user JWT; for a dev suite: tollgate dev token --email E")
	}
	return b.String()
}

// statusBody is the google.rpc.Status JSON the gateway answers errors with.
type statusBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

type statusDetail struct {
	Type            string `json:"@type"`
	Reason          string `json:"reason"`
	FieldViolations []struct {
		Field string `json:"field"`
	} `json:"field_violations"`
	FieldViolationsCamel []struct {
		Field string `json:"field"`
	} `json:"fieldViolations"`
}

func parseAPIError(resp *http.Response, body []byte) *apiError {
	e := &apiError{
		httpStatus: resp.StatusCode,
		requestID:  resp.Header.Get("X-Request-Id"),
		retryAfter: resp.Header.Get("Retry-After"),
	}
	var st statusBody
	if err := json.Unmarshal(body, &st); err != nil || st.Message == "" {
		e.message = "the gateway answered " + resp.Status
		return e
	}
	e.message = st.Message
	for _, raw := range st.Details {
		var d statusDetail
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo"):
			if e.reason == "" {
				e.reason = d.Reason
			}
		case strings.HasSuffix(d.Type, "google.rpc.BadRequest"):
			for _, v := range append(d.FieldViolations, d.FieldViolationsCamel...) {
				if v.Field != "" {
					e.fields = append(e.fields, v.Field)
				}
			}
		}
	}
	return e
}

var requestJSON = protojson.MarshalOptions{UseProtoNames: true}

// call sends one request to path (below the base URL, e.g.
// "/v1/organizations") and returns the body of a 2xx answer. body, if not
// nil, is sent as JSON with proto field names and only the fields set.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body proto.Message) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	u.Fragment = ""
	var reqBody io.Reader
	if body != nil {
		b, err := requestJSON.Marshal(body)
		if err != nil {
			return nil, err
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tollgate-cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the gateway's answer: %w", err)
	}
	if len(data) > maxResponseBytes {
		return nil, fmt.Errorf("the gateway's answer is larger than %d bytes", maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, parseAPIError(resp, data)
	}
	return data, nil
}

// transportError says which gateway could not be reached, without the
// token or Go internals.
func transportError(base *url.URL, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("the gateway at %s did not answer in time", base.Redacted())
	}
	return fmt.Errorf("cannot reach the gateway at %s: %v (is the suite running? start it with `tollgate up`, or set --url)", base.Redacted(), err)
}

var responseJSON = protojson.UnmarshalOptions{DiscardUnknown: true}

// decode reads an API answer into a generated proto message.
func decode(data []byte, m proto.Message) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := responseJSON.Unmarshal(data, m); err != nil {
		return fmt.Errorf("unexpected answer from the gateway (not a %s): %v", m.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}
