package export

import (
	"flag"
	"time"

	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/config"
)

// DefaultRetention keeps 31 days of logs, the Open API's archive window.
const DefaultRetention = 31 * 24 * time.Hour

// Settings are the export service's own flags.
type Settings struct {
	// Retention is how long records are kept; older ones are purged.
	Retention time.Duration
}

// NewSettings returns the settings with their defaults.
func NewSettings() component.Settings { return &Settings{Retention: DefaultRetention} }

func (s *Settings) Register(fs *flag.FlagSet) {
	fs.DurationVar(&s.Retention, "retention", DefaultRetention,
		"how long device logs are kept before they are purged (the Open API serves archives of the last 31 days)")
}

func (s *Settings) Check(p *config.Problems) {
	if s.Retention < time.Hour {
		p.Addf("retention", "must be at least 1h, got %s", s.Retention)
	}
}
