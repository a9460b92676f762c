package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToStatus(t *testing.T) {
	downstream := status.New(codes.Unavailable, "membership unavailable").Err()
	cases := []struct {
		name   string
		err    error
		code   codes.Code
		reason string
		msg    string
		known  bool
	}{
		{"sentinel", fmt.Errorf("organization %q: %w", "a", ErrNotFound), codes.NotFound, "NOT_FOUND", `organization "a": not found`, true},
		{"reasoned", New(ErrFailedPrecondition, "ORGANIZATION_NOT_EMPTY", "still has devices"), codes.FailedPrecondition, "ORGANIZATION_NOT_EMPTY", "still has devices", true},
		{"wrapped reasoned", fmt.Errorf("ctx: %w", Invalid("member.email", "CANNOT_ADD_SELF", "no")), codes.InvalidArgument, "CANNOT_ADD_SELF", "no", true},
		{"grpc status passes through", downstream, codes.Unavailable, "", "membership unavailable", true},
		{"canceled", context.Canceled, codes.Canceled, "", "request canceled", true},
		{"internal", errors.New("disk on fire at /dev/sda"), codes.Internal, ReasonInternal, "internal error", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, known := ToStatus(tc.err)
			if s.Code() != tc.code || Reason(s) != tc.reason || s.Message() != tc.msg || known != tc.known {
				t.Fatalf("got %v %q %q known=%v", s.Code(), Reason(s), s.Message(), known)
			}
		})
	}
}

func TestInvalidNamesTheField(t *testing.T) {
	s, _ := ToStatus(Invalid("member.email", "CANNOT_ADD_SELF", "you cannot add yourself"))
	for _, d := range s.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && br.GetFieldViolations()[0].GetField() == "member.email" {
			return
		}
	}
	t.Fatalf("no field violation in %v", s.Details())
}

func TestWithCopies(t *testing.T) {
	base := New(ErrResourceExhausted, "QUOTA_EXCEEDED", "slow down")
	a := base.With("limit", "50")
	if base.Metadata != nil || a.Metadata["limit"] != "50" {
		t.Fatal("With must not modify the original")
	}
}
