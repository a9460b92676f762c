package errs

import (
	"context"
	"errors"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// Domain is the ErrorInfo domain of every Tollgate error.
const Domain = "tollgate.dev"

// Reasons used when an error carries no specific one.
const (
	ReasonInvalidArgument = "INVALID_ARGUMENT"
	ReasonInternal        = "INTERNAL"
)

var kinds = []struct {
	kind   error
	code   codes.Code
	reason string
}{
	{ErrInvalidArgument, codes.InvalidArgument, ReasonInvalidArgument},
	{ErrNotFound, codes.NotFound, "NOT_FOUND"},
	{ErrAlreadyExists, codes.AlreadyExists, "ALREADY_EXISTS"},
	{ErrFailedPrecondition, codes.FailedPrecondition, "FAILED_PRECONDITION"},
	{ErrPermissionDenied, codes.PermissionDenied, "PERMISSION_DENIED"},
	{ErrUnauthenticated, codes.Unauthenticated, "UNAUTHENTICATED"},
	{ErrResourceExhausted, codes.ResourceExhausted, "RESOURCE_EXHAUSTED"},
	{ErrAborted, codes.Aborted, "ABORTED"},
	{ErrUnavailable, codes.Unavailable, "UNAVAILABLE"},
}

// ToStatus converts any error returned by a handler into the status sent to
// the client. The second result is false when the error was internal: the
// caller should log it, since the client only learns "internal error".
//
// Statuses that already are gRPC statuses (from a downstream Tollgate
// service, which built them with this same function) pass through.
func ToStatus(err error) (*status.Status, bool) {
	if err == nil {
		return status.New(codes.OK, ""), true
	}
	if s, ok := status.FromError(err); ok {
		return s, true
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "request canceled"), true
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded"), true
	}
	var verr *protovalidate.ValidationError
	if errors.As(err, &verr) {
		return validationStatus(verr), true
	}
	var reasoned *Reasoned
	if errors.As(err, &reasoned) {
		code, _ := codeOf(reasoned.Kind)
		return withDetails(code, reasoned.Message, reasoned.Reason, reasoned.Metadata, reasoned.Field), true
	}
	if code, reason := codeOf(err); code != codes.Unknown {
		return withDetails(code, err.Error(), reason, nil, ""), true
	}
	return withDetails(codes.Internal, "internal error", ReasonInternal, nil, ""), false
}

// Reason returns the ErrorInfo reason of a status, or "".
func Reason(s *status.Status) string {
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func codeOf(err error) (codes.Code, string) {
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return k.code, k.reason
		}
	}
	return codes.Unknown, ""
}

func withDetails(code codes.Code, msg, reason string, md map[string]string, field string) *status.Status {
	if reason == "" {
		_, reason = codeOf(kindOf(code))
	}
	s := status.New(code, msg)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: md}}
	if field != "" {
		details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: field, Description: msg, Reason: reason},
		}})
	}
	if d, err := s.WithDetails(details...); err == nil {
		return d
	}
	return s
}

func kindOf(code codes.Code) error {
	for _, k := range kinds {
		if k.code == code {
			return k.kind
		}
	}
	return nil
}

func validationStatus(verr *protovalidate.ValidationError) *status.Status {
	br := &errdetails.BadRequest{}
	msgs := make([]string, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		if field == "" {
			// Message-level rules name the field they guard in their id.
			field = strings.TrimSuffix(v.Proto.GetRuleId(), "_required")
		}
		desc := v.Proto.GetMessage()
		if desc == "" {
			desc = v.Proto.GetRuleId()
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: field, Description: desc, Reason: v.Proto.GetRuleId(),
		})
		msgs = append(msgs, field+": "+desc)
	}
	s := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(msgs, "; "))
	info := &errdetails.ErrorInfo{Reason: ReasonInvalidArgument, Domain: Domain}
	if d, err := s.WithDetails(info, br); err == nil {
		return d
	}
	return s
}
