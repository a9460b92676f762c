package token

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	tokenv1 "github.com/tollgate/tollgate/proto/tollgate/token/v1"
)

// TestSecretsStaySecret runs a full token life (create, validate, rotate
// with grace, validate both, list, get, revoke, validate) and then looks
// for any secret in the logs and in the database file.
func TestSecretsStaySecret(t *testing.T) {
	h := newHarness(t)
	created, first := h.create(admin, deviceA, "SIEM")
	h.mustValidate(first)
	_, second := h.rotate(created.GetName(), time.Hour)
	h.mustValidate(first)
	h.mustValidate(second)
	_, _ = h.validate(first[:len(first)-1]) // malformed
	if _, err := h.client.ListApiTokens(asUser(admin), &tokenv1.ListApiTokensRequest{Parent: deviceA}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.GetApiToken(asUser(admin), &tokenv1.GetApiTokenRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.DeleteApiToken(asUser(admin), &tokenv1.DeleteApiTokenRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	_, _ = h.validate(second)
	h.svc.uses.flush(context.Background())

	logs := h.logs.String()
	if !strings.Contains(logs, "api token rotated") {
		t.Fatal("the flow's logs were not captured")
	}
	db, err := os.ReadFile(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{first, second} {
		part := secretPart(secret)
		for _, form := range []string{secret, part, base64.StdEncoding.EncodeToString([]byte(part)), hex.EncodeToString([]byte(part))} {
			if strings.Contains(logs, form) {
				t.Errorf("a secret appears in the logs")
			}
			if strings.Contains(string(db), form) {
				t.Errorf("a secret appears in the database file")
			}
		}
	}
}
