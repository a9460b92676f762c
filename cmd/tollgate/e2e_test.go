package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// suiteProcess is a real `tollgate up` process on random loopback ports.
type suiteProcess struct {
	bin     string
	dataDir string
	cmd     *exec.Cmd
	state   suiteState
	output  *bytes.Buffer
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tollgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startSuite(t *testing.T, bin, dataDir string, extra ...string) *suiteProcess {
	t.Helper()
	s := &suiteProcess{bin: bin, dataDir: dataDir, output: &bytes.Buffer{}}
	args := append([]string{"up", "--dev", "--http-addr", "127.0.0.1:0", "--data-dir", s.dataDir, "--log-level", "warn"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := readState(s.dataDir)
		if err == nil {
			s.state = st
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("suite did not start: %v\n%s", err, s.output)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		resp, err := http.Get(s.state.BaseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("suite never became ready\n%s", s.output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *suiteProcess) userToken(t *testing.T, email string) string {
	t.Helper()
	out, err := exec.Command(s.bin, "dev", "token", "--email", email, "--data-dir", s.dataDir).Output()
	if err != nil {
		t.Fatalf("dev token: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func (s *suiteProcess) call(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.state.BaseURL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("%s %s: no X-Request-Id", method, path)
	}
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: %q", method, path, raw)
		}
	}
	return resp.StatusCode, m
}

func TestUpServesTheSkeletonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	s := startSuite(t, buildBinary(t), t.TempDir())
	owner := s.userToken(t, "owner@example.com")

	code, org := s.call(t, "POST", "/v1/organizations", owner, `{"display_name":"Acme"}`)
	if code != 200 || org["owner"] != "owner@example.com" {
		t.Fatalf("create organization: %d %v", code, org)
	}
	name := org["name"].(string)
	if code, got := s.call(t, "GET", "/v1/"+name, owner, ""); code != 200 || got["display_name"] != "Acme" {
		t.Fatalf("get organization: %d %v", code, got)
	}
	if code, _ := s.call(t, "GET", "/v1/"+name, s.userToken(t, "stranger@example.com"), ""); code != 404 {
		t.Fatalf("a stranger must not see it: %d", code)
	}
	if code, _ := s.call(t, "GET", "/v1/"+name, "", ""); code != 401 {
		t.Fatalf("no credentials: %d", code)
	}

	// SIGTERM stops everything cleanly and removes the state file.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, s.output)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("did not stop on SIGTERM\n%s", s.output)
	}
	if _, err := os.Stat(statePath(s.dataDir)); !os.IsNotExist(err) {
		t.Fatal("state file left behind")
	}

	// The data survived: a new suite on the same data dir still has it.
	s2 := startSuite(t, s.bin, s.dataDir)
	if code, got := s2.call(t, "GET", "/v1/"+name, owner, ""); code != 200 || got["display_name"] != "Acme" {
		t.Fatalf("after restart: %d %v", code, got)
	}
}
