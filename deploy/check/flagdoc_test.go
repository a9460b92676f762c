package check

import (
	"os"
	"strings"
	"testing"
)

const sampleHelp = `Usage of tokend:
  -data-dir string
    	directory of the service's database file (env TOLLGATE_DATA_DIR) (default "./data")
  -max-tokens-per-device int
    	most active API tokens a device may have (env TOLLGATE_MAX_TOKENS_PER_DEVICE) (default 10)
  -oidc-discovery
    	find the JWKS URL through the issuer's /.well-known/openid-configuration (env TOLLGATE_OIDC_DISCOVERY)
  -dev-user-key tollgate dev token
    	development only: trust JWTs from tollgate dev token signed with this Ed25519 key (env TOLLGATE_DEV_USER_KEY)
  -shutdown-timeout duration
    	how long in-flight RPCs may drain
    	on SIGTERM (env TOLLGATE_SHUTDOWN_TIMEOUT) (default 10s)
`

func TestParseHelp(t *testing.T) {
	flags, err := ParseHelp(sampleHelp)
	if err != nil {
		t.Fatal(err)
	}
	want := []Flag{
		{"data-dir", "string", "TOLLGATE_DATA_DIR", "./data", "directory of the service's database file"},
		{"max-tokens-per-device", "int", "TOLLGATE_MAX_TOKENS_PER_DEVICE", "10", "most active API tokens a device may have"},
		{"oidc-discovery", "bool", "TOLLGATE_OIDC_DISCOVERY", "", "find the JWKS URL through the issuer's /.well-known/openid-configuration"},
		{"dev-user-key", "string", "TOLLGATE_DEV_USER_KEY", "", "development only: trust JWTs from tollgate dev token signed with this Ed25519 key"},
		{"shutdown-timeout", "duration", "TOLLGATE_SHUTDOWN_TIMEOUT", "10s", "how long in-flight RPCs may drain on SIGTERM"},
	}
	if len(flags) != len(want) {
		t.Fatalf("got %d flags: %+v", len(flags), flags)
	}
	for i := range want {
		if flags[i] != want[i] {
			t.Errorf("flag %d:\n got %+v\nwant %+v", i, flags[i], want[i])
		}
	}
	if _, err := ParseHelp("Usage of x:\n  -a string\n    \tno env hint\n"); err == nil {
		t.Error("a flag without its (env …) hint was accepted")
	}
}

// TestDocsSettingsTablesMatchTheBinaries compares the generated tables of
// docs/operations.md with the binaries' -h. make manifests-check builds the
// binaries and sets TOLLGATE_BIN_DIR; plain go test skips it.
func TestDocsSettingsTablesMatchTheBinaries(t *testing.T) {
	binDir := os.Getenv("TOLLGATE_BIN_DIR")
	if binDir == "" {
		t.Skip("TOLLGATE_BIN_DIR is not set: run make manifests-check, which builds the binaries first")
	}
	help, err := HelpOfBinaries(binDir)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DocFlagBlock(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want := FlagTables(help); got != want {
		t.Fatalf("the settings tables of docs/operations.md differ from the binaries' -h; regenerate them:\n" +
			"  make build && (cd deploy/check && go run ./cmd/flagdoc -bin-dir ../../bin -w ../../docs/operations.md)\n" +
			"then describe any new setting in the prose around them")
	}
	for _, c := range Components {
		if !strings.Contains(got, "`"+c.Binary+"`") {
			t.Errorf("no table for %s", c.Binary)
		}
	}
}
