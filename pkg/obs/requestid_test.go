package obs

import (
	"strings"
	"testing"
)

func TestAcceptRequestID(t *testing.T) {
	for _, ok := range []string{"a", "req-123", "A.b_c:d-e", strings.Repeat("x", 64)} {
		if got := AcceptRequestID(ok); got != ok {
			t.Errorf("AcceptRequestID(%q) = %q", ok, got)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", 65), "has space", "new\nline", "ünïcode", "semi;colon"} {
		got := AcceptRequestID(bad)
		if got == bad || len(got) != 32 {
			t.Errorf("AcceptRequestID(%q) = %q, want a fresh id", bad, got)
		}
	}
}
