package token

import (
	"flag"
	"strings"
	"time"

	"github.com/tollgate/tollgate/pkg/config"
)

// Defaults of the token service's settings.
const (
	DefaultMaxTokensPerDevice   = 10
	DefaultMaxLifetime          = 365 * 24 * time.Hour
	DefaultLastUseFlushInterval = 10 * time.Second
)

// Settings are the token service's own flags.
type Settings struct {
	// HashKeyFile holds the key of the secrets' HMAC (PEM or raw bytes).
	HashKeyFile string
	// PreviousHashKeyFiles is a comma-separated list of retired keys that
	// still verify the secrets hashed with them.
	PreviousHashKeyFiles string
	// MaxTokensPerDevice bounds a device's active tokens.
	MaxTokensPerDevice int
	// MaxLifetime bounds a token's lifetime; tokens created without an
	// expiry get exactly this one. Zero lifts the bound.
	MaxLifetime time.Duration
	// LastUseFlushInterval is how often recorded uses reach the database.
	LastUseFlushInterval time.Duration
}

// NewSettings returns the defaults.
func NewSettings() *Settings {
	return &Settings{
		MaxTokensPerDevice:   DefaultMaxTokensPerDevice,
		MaxLifetime:          DefaultMaxLifetime,
		LastUseFlushInterval: DefaultLastUseFlushInterval,
	}
}

// Register defines the flags on fs.
func (s *Settings) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.HashKeyFile, "token-hash-key", s.HashKeyFile,
		"file with the key (PEM, or at least 32 raw bytes) that API token secrets are hashed with (required by tokend; tollgate up keeps one in the data dir)")
	fs.StringVar(&s.PreviousHashKeyFiles, "token-hash-previous-keys", s.PreviousHashKeyFiles,
		"comma-separated files of retired hash keys that still verify the tokens hashed with them")
	fs.IntVar(&s.MaxTokensPerDevice, "max-tokens-per-device", s.MaxTokensPerDevice, "most active API tokens a device may have")
	fs.DurationVar(&s.MaxLifetime, "token-max-lifetime", s.MaxLifetime,
		"longest API token lifetime; tokens created without an expiry get exactly this one (0: no bound, no default expiry)")
	fs.DurationVar(&s.LastUseFlushInterval, "last-use-flush-interval", s.LastUseFlushInterval,
		"how often recorded token uses are written to the database (the delay before last_use_time shows them)")
}

// Check reports invalid values, including unreadable or too short keys.
func (s *Settings) Check(p *config.Problems) {
	if s.HashKeyFile != "" {
		if _, err := LoadHashKey(s.HashKeyFile); err != nil {
			p.Addf("token-hash-key", "%v", err)
		}
	}
	for _, path := range s.previousKeyFiles() {
		if _, err := LoadHashKey(path); err != nil {
			p.Addf("token-hash-previous-keys", "%v", err)
		}
	}
	p.Range("max-tokens-per-device", int64(s.MaxTokensPerDevice), 1, 10000)
	if s.MaxLifetime < 0 {
		p.Addf("token-max-lifetime", "must be 0 (no bound) or positive, got %s", s.MaxLifetime)
	}
	p.Positive("last-use-flush-interval", s.LastUseFlushInterval)
}

// UseDataDir makes the all-in-one launcher's key the hash key, creating it
// in dataDir if needed, unless a key file was given explicitly.
func (s *Settings) UseDataDir(dataDir string) error {
	if s.HashKeyFile != "" {
		return nil
	}
	path := HashKeyPath(dataDir)
	if _, err := LoadOrCreateHashKey(path); err != nil {
		return err
	}
	s.HashKeyFile = path
	return nil
}

func (s *Settings) previousKeyFiles() []string {
	var out []string
	for _, path := range strings.Split(s.PreviousHashKeyFiles, ",") {
		if path = strings.TrimSpace(path); path != "" {
			out = append(out, path)
		}
	}
	return out
}

// keyring loads the configured keys.
func (s *Settings) keyring() (*Keyring, error) {
	return LoadKeyring(s.HashKeyFile, s.previousKeyFiles())
}
