package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateFile is written by `tollgate up` into the data dir so local tools
// (simulate, backup, the CLI) find the running suite without flags.
const stateFile = "tollgate.json"

// suiteState describes a running all-in-one suite.
type suiteState struct {
	PID         int               `json:"pid"`
	HTTPAddr    string            `json:"http_addr"`
	BaseURL     string            `json:"base_url"`
	Components  map[string]string `json:"components"`   // gRPC addresses by component name
	IdentityKey string            `json:"identity_key"` // internal identity key file
	DevUserKey  string            `json:"dev_user_key,omitempty"`
}

func statePath(dataDir string) string { return filepath.Join(dataDir, stateFile) }

func writeState(dataDir string, s suiteState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(dataDir) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(dataDir))
}

func readState(dataDir string) (suiteState, error) {
	var s suiteState
	b, err := os.ReadFile(statePath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("no running suite found in %s (start one with `tollgate up --data-dir %s`)", dataDir, dataDir)
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", statePath(dataDir), err)
	}
	return s, nil
}
