package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"time"

	"github.com/tollgate/tollgate/pkg/auth"
)

// runDevToken prints a user JWT signed with the data dir's dev key, which
// a `tollgate up --dev` suite on that data dir accepts.
func runDevToken(_ context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlagSet("dev token", errOut)
	email := fs.String("email", "", "the user's email (required)")
	dataDir := fs.String("data-dir", "./data", "data directory of the dev suite")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := mail.ParseAddress(*email); err != nil || *email == "" {
		return usageError{fmt.Errorf("-email: a valid email address is required")}
	}
	if *ttl <= 0 || *ttl > 30*24*time.Hour {
		return usageError{fmt.Errorf("-ttl: must be between 1s and 720h")}
	}
	key, err := auth.LoadOrCreateKey(auth.DevKeyPath(*dataDir))
	if err != nil {
		return fmt.Errorf("dev signing key: %w", err)
	}
	token, err := auth.MintDevToken(key, *email, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, token)
	return err
}
