package config

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// HostPort requires "host:port" with a numeric port 0-65535; port 0 asks the
// OS for a free port. The host may be empty (all interfaces).
func (p *Problems) HostPort(flag, value string) {
	if value == "" {
		p.Addf(flag, "must be set to host:port")
		return
	}
	_, port, err := net.SplitHostPort(value)
	if err != nil {
		p.Addf(flag, "want host:port: %v", err)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.Addf(flag, "%q has port %q, want a number from 0 to 65535", value, port)
	}
}

// OptionalHostPort is HostPort for settings that may be left empty to
// disable a listener.
func (p *Problems) OptionalHostPort(flag, value string) {
	if value != "" {
		p.HostPort(flag, value)
	}
}

// NonEmpty requires a value other than blanks.
func (p *Problems) NonEmpty(flag, value string) {
	if strings.TrimSpace(value) == "" {
		p.Addf(flag, "must not be empty")
	}
}

// Dir requires a path that is a directory or does not exist yet (it will be
// created).
func (p *Problems) Dir(flag, value string) {
	if value == "" {
		p.Addf(flag, "must be set to a directory")
		return
	}
	info, err := os.Stat(value)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		p.Addf(flag, "%v", err)
	case !info.IsDir():
		p.Addf(flag, "%q is not a directory", value)
	}
}

// File requires, if value is set, an existing regular file this process can
// read.
func (p *Problems) File(flag, value string) {
	if value == "" {
		return
	}
	info, err := os.Stat(value)
	if err != nil {
		p.Addf(flag, "%v", err)
		return
	}
	if !info.Mode().IsRegular() {
		p.Addf(flag, "%q is not a regular file", value)
		return
	}
	f, err := os.Open(value)
	if err != nil {
		p.Addf(flag, "not readable: %v", err)
		return
	}
	_ = f.Close() // opened only to test readability
}

// Positive requires a duration above zero.
func (p *Problems) Positive(flag string, value time.Duration) {
	if value <= 0 {
		p.Addf(flag, "must be positive, got %s", value)
	}
}

// Range requires minimum <= value <= maximum.
func (p *Problems) Range(flag string, value, minimum, maximum int64) {
	if value < minimum || value > maximum {
		p.Addf(flag, "must be between %d and %d, got %d", minimum, maximum, value)
	}
}

// URL requires, if value is set, an absolute http or https URL with a host.
func (p *Problems) URL(flag, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil {
		p.Addf(flag, "%v", err)
		return
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Addf(flag, "%q must be an absolute http:// or https:// URL", value)
	}
}
