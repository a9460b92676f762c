package gateway

import (
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/tollgate/tollgate/pkg/auth"
)

// tokenScope allows an API token only its own introspection and its own
// device's data; DESIGN.md: everything else is 403 TOKEN_SCOPE.
func tokenScope(r *http.Request, p auth.Principal) *rejection {
	if r.Method == http.MethodGet {
		path := r.URL.Path
		if path == "/v1/token" {
			return nil
		}
		device := "/v1/" + p.Device + "/"
		if rest, ok := strings.CutPrefix(path, device); ok && (rest == "logs" || rest == "logs:stream") {
			return nil
		}
	}
	return &rejection{httpStatus: http.StatusForbidden, code: codes.PermissionDenied, reason: "TOKEN_SCOPE",
		message: "an API token can only read its own device's logs (GET …/logs, …/logs:stream) and describe itself (GET /v1/token)"}
}
