package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The authorization matrix (DESIGN.md "Reliability and security targets"):
// every endpoint of the REST table × every kind of principal, over REST
// against a whole suite, compared with the documented answer below.

// matrixPrincipals are the columns of authzMatrix, in order.
//
//	own    the owner of organization acme-wN (devices fw1, fw2)
//	adm    member, access privilege ADMIN
//	mem    member, access privilege MEMBER
//	non    member, access privilege NONE
//	orgA   member, NONE + case acme=ADMIN
//	orgM   member, NONE + case acme=MEMBER
//	orgN   member, ADMIN + case acme=NONE (a real deny under ADMIN)
//	devA   member, NONE + case fw1=ADMIN (sees acme through fw1 only)
//	devM   member, NONE + case fw1=MEMBER
//	devN   member, ADMIN + case fw1=NONE (a real deny under ADMIN)
//	down   member, MEMBER + case acme=ADMIN + case fw1=MEMBER (the device case lowers the organization's)
//	low    member, ADMIN when the world is built, lowered to MEMBER just before the matrix runs
//	out    an outsider (no grant from the owner)
//	tThis  API token of fw1
//	tOthr  API token of fw2
//	rev    revoked API token of fw1 (used, hence cached, before the revocation)
//	exp    expired API token of fw1 (used, hence cached, before it expired)
//	anon   no credential
var matrixPrincipals = strings.Fields("own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon")

// Rows of expected statuses, one per principal above. Paths use {org},
// {fw1}, {fw2}, {token} (a token of fw1 to manage), {member} (a member of
// the owner's account, not one of the principals) and {n} (a counter, for
// unique ids). Privileges: view = ADMIN/MEMBER/visible; manage = ADMIN;
// owner-only = the owner. Invisible is 404, never 403; API tokens reach
// only their device's logs and /v1/token (403 TOKEN_SCOPE otherwise).
var authzMatrix = []struct {
	endpoint string
	body     string
	// destroys says what an allowed call destroys, so that the next cell
	// gets a fresh one: "", "member", "token" or "world".
	destroys string
	want     string
}{
	{"POST /v1/organizations", `{"display_name":"New {n}"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 403   403   401 401 401"},
	{"GET /v1/organizations", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 403   403   401 401 401"},
	{"GET /v1/{org}", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 404 200  200  404  200  200  200  200  200 404 403   403   401 401 401"},
	{"PATCH /v1/{org}?update_mask=display_name", `{"display_name":"Renamed {n}"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  403  403  200  200  403 404 403   403   401 401 401"},
	{"POST /v1/{org}/devices?device_id=new-{n}", `DEVICE`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  403  403  200  200  403 404 403   403   401 401 401"},
	{"GET /v1/{org}/devices", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 404 200  200  404  200  200  200  200  200 404 403   403   401 401 401"},
	{"GET /v1/{fw1}", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 404 200  200  404  200  200  404  200  200 404 403   403   401 401 401"},
	{"PATCH /v1/{fw1}?update_mask=display_name", `{"display_name":"fw {n}"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"POST /v1/{fw1}/apiTokens", `{"display_name":"t{n}"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"GET /v1/{fw1}/apiTokens", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"GET /v1/{token}", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"POST /v1/{token}:rotate", `{"grace_period":"60s"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"GET /v1/{fw1}/logs", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 404 200  200  404  200  200  404  200  200 404 200   403   401 401 401"},
	{"GET /v1/{fw1}/logs:stream", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 404 200  200  404  200  200  404  200  200 404 200   403   401 401 401"},
	{"POST /v1/members", `{"email":"new{n}@example.com","access_privilege":"PRIVILEGE_MEMBER"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 403   403   401 401 401"},
	{"GET /v1/members", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 403   403   401 401 401"},
	{"GET /v1/{member}", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 404 404 404 404  404  404  404  404  404  404  404 404 403   403   401 401 401"},
	{"PATCH /v1/{member}?update_mask=access_privilege", `{"access_privilege":"PRIVILEGE_MEMBER"}`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 404 404 404 404  404  404  404  404  404  404  404 404 403   403   401 401 401"},
	{"GET /v1/{member}:checkAccess?target={fw1}", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 404 404 404 404  404  404  404  404  404  404  404 404 403   403   401 401 401"},
	{"GET /v1/token", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  403 403 403 403 403  403  403  403  403  403  403  403 403 200   200   401 401 401"},
	{"POST /open-api/v1/archive-logs/download", `ARCHIVE`, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  401 401 401 401 401  401  401  401  401  401  401  401 401 200   404   401 401 401"},
	{"GET /healthz", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 200   200   200 200 200"},
	{"GET /readyz", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 200   200   200 200 200"},
	{"GET /openapi.json", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 200   200   200 200 200"},
	{"GET /metrics", ``, "",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 200 200 200  200  200  200  200  200  200  200 200 200   200   200 200 200"},
	// Destructive: last, each allowed call on a fresh target.
	{"DELETE /v1/{member}", ``, "member",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 404 404 404 404  404  404  404  404  404  404  404 404 403   403   401 401 401"},
	{"DELETE /v1/{token}", ``, "token",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"DELETE /v1/{fw1}", ``, "world",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 200 403 404 200  403  404  200  403  404  403  403 404 403   403   401 401 401"},
	{"DELETE /v1/{org}?force=true", ``, "world",
		// own adm mem non orgA orgM orgN devA devM devN down low out tThis tOthr rev exp anon
		"  200 403 403 404 403  403  404  403  403  403  403  403 404 403   403   401 401 401"},
}

// matrixGrants are the members' grants: access privilege, then cases as
// target=privilege with org and fw1 standing for the world's names.
var matrixGrants = map[string]string{
	"adm":  "ADMIN",
	"mem":  "MEMBER",
	"non":  "NONE",
	"orgA": "NONE org=ADMIN",
	"orgM": "NONE org=MEMBER",
	"orgN": "ADMIN org=NONE",
	"devA": "NONE fw1=ADMIN",
	"devM": "NONE fw1=MEMBER",
	"devN": "ADMIN fw1=NONE",
	"down": "MEMBER org=ADMIN fw1=MEMBER",
	"low":  "ADMIN",
}

// matrixWorld is one owner's organization with its members and tokens.
type matrixWorld struct {
	n              int
	org, fw1, fw2  string
	authz          map[string]string // principal → Authorization header ("" for none)
	token          string            // a token of fw1 to manage
	member         string            // a member to manage
	tokenConsumed  bool
	memberConsumed bool
}

type matrixRun struct {
	t       *testing.T
	s       *liveSuite
	rest    *restClient
	expired string // secret of world 0's expired token
	// expiredGone: world 0's fw1, the expired token's device, was deleted,
	// so the token is unknown now (TOKEN_INVALID) rather than expired.
	expiredGone bool
	counter     int
	worlds      int
}

func (m *matrixRun) next() int { m.counter++; return m.counter }

// newWorld builds owner-wN's organization acme-wN with fw1 and fw2,
// the members of matrixGrants, and the tokens.
func (m *matrixRun) newWorld() *matrixWorld {
	t, rest := m.t, m.rest
	t.Helper()
	n := m.worlds
	m.worlds++
	w := &matrixWorld{n: n, org: fmt.Sprintf("organizations/acme-w%d", n), authz: map[string]string{}}
	w.fw1, w.fw2 = w.org+"/devices/fw1", w.org+"/devices/fw2"
	email := func(p string) string { return fmt.Sprintf("%s.w%d@example.com", strings.ToLower(p), n) }
	owner := m.s.user(email("own"))
	w.authz["own"] = owner
	w.authz["out"] = m.s.user(email("out"))
	rest.must(t, 200, "POST", fmt.Sprintf("/v1/organizations?organization_id=acme-w%d", n), owner, `{"display_name":"Acme"}`)
	for i, d := range []string{"fw1", "fw2"} {
		rest.must(t, 200, "POST", "/v1/"+w.org+"/devices?device_id="+d, owner, deviceBody(d, fmt.Sprintf("MX%04d%d", n, i), macFor(10*n+i)))
	}
	for _, p := range matrixPrincipals {
		grant, ok := matrixGrants[p]
		if !ok {
			continue
		}
		fields := strings.Fields(grant)
		var cases []string
		for _, c := range fields[1:] {
			target, priv, _ := strings.Cut(c, "=")
			target = map[string]string{"org": w.org, "fw1": w.fw1}[target]
			cases = append(cases, fmt.Sprintf(`{"target":%q,"privilege":"PRIVILEGE_%s"}`, target, priv))
		}
		rest.must(t, 200, "POST", "/v1/members", owner, fmt.Sprintf(`{"email":%q,"access_privilege":"PRIVILEGE_%s","exceptional_cases":[%s]}`,
			email(p), fields[0], strings.Join(cases, ",")))
		w.authz[p] = m.s.user(email(p))
	}
	w.member = m.newMember(owner)
	w.token = m.newToken(w, "managed")
	w.authz["tThis"] = bearer(m.secret(w.fw1, owner, "this"))
	w.authz["tOthr"] = bearer(m.secret(w.fw2, owner, "other"))

	// The revoked token is cached at the gateway before it is revoked.
	r := rest.must(t, 200, "POST", "/v1/"+w.fw1+"/apiTokens", owner, `{"display_name":"revoked"}`).json()
	revoked := r["secret"].(string)
	rest.must(t, 200, "GET", "/v1/token", bearer(revoked), "")
	rest.must(t, 200, "DELETE", "/v1/"+r["api_token"].(map[string]any)["name"].(string), owner, "")
	deadline := time.Now().Add(time.Second)
	for {
		rr, err := rest.call(context.Background(), "GET", "/v1/token", bearer(revoked), "")
		if err == nil && rr.status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still accepted after 1s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.authz["rev"] = bearer(revoked)
	w.authz["exp"] = bearer(m.expired)
	w.authz["anon"] = ""

	// "low" had ADMIN and used it; the owner lowers it to MEMBER, which
	// applies to the very next request.
	rest.must(t, 200, "GET", "/v1/"+w.fw1+"/apiTokens", w.authz["low"], "")
	lowName := m.memberNamed(owner, email("low"))
	rest.must(t, 200, "PATCH", "/v1/"+lowName+"?update_mask=access_privilege", owner, `{"access_privilege":"PRIVILEGE_MEMBER"}`)
	return w
}

func (m *matrixRun) secret(device, owner, display string) string {
	return m.rest.must(m.t, 200, "POST", "/v1/"+device+"/apiTokens", owner, `{"display_name":"`+display+`"}`).json()["secret"].(string)
}

func (m *matrixRun) newToken(w *matrixWorld, display string) string {
	r := m.rest.must(m.t, 200, "POST", "/v1/"+w.fw1+"/apiTokens", w.authz["own"], `{"display_name":"`+display+`"}`).json()
	return r["api_token"].(map[string]any)["name"].(string)
}

func (m *matrixRun) newMember(owner string) string {
	r := m.rest.must(m.t, 200, "POST", "/v1/members", owner, fmt.Sprintf(`{"email":"target%d@example.com","access_privilege":"PRIVILEGE_MEMBER"}`, m.next())).json()
	return r["name"].(string)
}

func (m *matrixRun) memberNamed(owner, email string) string {
	r := m.rest.must(m.t, 200, "GET", "/v1/members?page_size=1000", owner, "").json()
	for _, it := range r["members"].([]any) {
		if mm := it.(map[string]any); mm["email"] == email {
			return mm["name"].(string)
		}
	}
	m.t.Fatalf("member %s not listed", email)
	return ""
}

func TestAuthorizationMatrix(t *testing.T) {
	s := newLiveSuite(t, "--auth-failures-per-minute", "1000000", "--token-rate", "1000000", "--token-burst", "1000000",
		"--max-tokens-per-device", "1000", "--archive-quota-per-hour", "100000")
	m := &matrixRun{t: t, s: s, rest: newRESTClient(s.url, 10*time.Second)}

	// World 0's expired token: valid for two seconds, used while valid.
	w := m.newWorld()
	expires := time.Now().Add(2 * time.Second)
	r := m.rest.must(t, 200, "POST", "/v1/"+w.fw1+"/apiTokens", w.authz["own"],
		`{"display_name":"expiring","expire_time":"`+expires.UTC().Format(time.RFC3339Nano)+`"}`).json()
	m.expired = r["secret"].(string)
	w.authz["exp"] = bearer(m.expired)
	m.rest.must(t, 200, "GET", "/v1/token", bearer(m.expired), "")
	s.ingest(w.fw1, 2, 48) // for the archive of yesterday
	time.Sleep(time.Until(expires) + 100*time.Millisecond)

	yesterday := deviceDay(1)
	var cells, allows, unexpectedAllows int
	var mismatches []string
	for _, row := range authzMatrix {
		want := strings.Fields(row.want)
		if len(want) != len(matrixPrincipals) {
			t.Fatalf("%s: %d expectations for %d principals", row.endpoint, len(want), len(matrixPrincipals))
		}
		for i, p := range matrixPrincipals {
			wantStatus, _ := strconv.Atoi(want[i])
			switch {
			case row.destroys == "world" && w == nil:
				w = m.newWorld()
			case row.destroys == "token" && w.tokenConsumed:
				w.token, w.tokenConsumed = m.newToken(w, "managed"), false
			case row.destroys == "member" && w.memberConsumed:
				w.member, w.memberConsumed = m.newMember(w.authz["own"]), false
			}
			n := m.next()
			method, path, _ := strings.Cut(row.endpoint, " ")
			path = strings.NewReplacer("{org}", w.org, "{fw1}", w.fw1, "{fw2}", w.fw2, "{token}", w.token,
				"{member}", w.member, "{n}", strconv.Itoa(n)).Replace(path)
			body := strings.ReplaceAll(row.body, "{n}", strconv.Itoa(n))
			headers := map[string]string{}
			switch body {
			case "DEVICE":
				body = deviceBody("new", fmt.Sprintf("NEW%06d", n), macFor(100000+n))
			case "ARCHIVE":
				body = `{"device_date":"` + yesterday + `"}`
			}
			if body != "" {
				headers["Content-Type"] = "application/json"
			}
			if a := w.authz[p]; a != "" {
				if strings.HasPrefix(path, "/open-api/") {
					headers["X-Authorization"] = a
				} else {
					headers["Authorization"] = a
				}
			}
			got, err := m.rest.callHeaders(context.Background(), method, path, headers, body)
			if err != nil {
				t.Fatalf("%s as %s: %v", row.endpoint, p, err)
			}
			cells++
			if got.status < 300 {
				allows++
				switch row.destroys {
				case "world":
					m.expiredGone = m.expiredGone || w.n == 0
					w = nil
				case "token":
					w.tokenConsumed = true
				case "member":
					w.memberConsumed = true
				}
			}
			problem := ""
			switch {
			case got.status != wantStatus && got.status < 300 && wantStatus >= 400:
				unexpectedAllows++
				problem = "UNEXPECTED ALLOW"
			case got.status != wantStatus:
				problem = "wrong status"
			default:
				problem = matrixReasonProblem(p, path, got, m.expiredGone)
			}
			if problem != "" {
				mismatches = append(mismatches, fmt.Sprintf("%-48s as %-5s: got %d, want %d: %s %s",
					row.endpoint, p, got.status, wantStatus, problem, truncate(got.body, 160)))
			}
		}
	}
	t.Logf("authorization matrix: %d endpoints × %d principals = %d cells over %d worlds; %d allowed, %d unexpected allows, %d mismatches",
		len(authzMatrix), len(matrixPrincipals), cells, m.worlds, allows, unexpectedAllows, len(mismatches))
	for _, mm := range mismatches {
		t.Error(mm)
	}
	if unexpectedAllows != 0 {
		t.Fatalf("%d unexpected allows", unexpectedAllows)
	}
}

// matrixReasonProblem checks the ErrorInfo reason of the refusals whose
// reason follows from the principal alone.
func matrixReasonProblem(p, path string, r restReply, expiredGone bool) string {
	if r.status < 400 || strings.HasPrefix(path, "/open-api/") {
		return ""
	}
	want := ""
	switch {
	case p == "anon":
		want = "CREDENTIALS_MISSING"
	case p == "rev":
		want = "TOKEN_REVOKED"
	case p == "exp" && expiredGone:
		want = "TOKEN_INVALID"
	case p == "exp":
		want = "TOKEN_EXPIRED"
	case (p == "tThis" || p == "tOthr") && r.status == http.StatusForbidden:
		want = "TOKEN_SCOPE"
	case path == "/v1/token" && r.status == http.StatusForbidden:
		want = "TOKEN_REQUIRED"
	case r.status == http.StatusNotFound:
		want = "NOT_FOUND"
	case r.status == http.StatusForbidden:
		want = "PERMISSION_DENIED"
	}
	got := r.reason()
	if got == "" && strings.HasSuffix(path, ":stream") && streamErrorBug {
		// See TestLogStreamErrorsAreAPIErrors: the reason is inside {"error": …}.
		got = response{body: map[string]any{"details": nestedDetails(r)}}.reason()
	}
	if want != "" && got != want {
		return fmt.Sprintf("reason %q, want %q", got, want)
	}
	return ""
}

func nestedDetails(r restReply) any {
	e, _ := r.json()["error"].(map[string]any)
	return e["details"]
}
