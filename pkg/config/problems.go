package config

import (
	"errors"
	"fmt"
	"strings"
)

// Problems collects validation errors so that a misconfigured binary reports
// all of them at once instead of one per restart. The zero value is ready.
type Problems struct {
	lines []string
}

// Addf records a problem with flag; format and args describe it.
func (p *Problems) Addf(flag, format string, args ...any) {
	p.lines = append(p.lines, "-"+flag+": "+fmt.Sprintf(format, args...))
}

// Err returns nil if no problem was recorded, otherwise one error listing
// every problem on its own line, in the order they were added.
func (p *Problems) Err() error {
	if len(p.lines) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n  " + strings.Join(p.lines, "\n  "))
}
