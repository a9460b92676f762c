package export

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tollgate/tollgate/pkg/logs/logline"
	"github.com/tollgate/tollgate/services/export/store"
)

// spooled is a finished gzip of one day's lines in a temporary file.
type spooled struct {
	file    *os.File
	size    int64
	records int
}

// remove closes and deletes the file.
func (s *spooled) remove() {
	name := s.file.Name()
	_ = s.file.Close()
	_ = os.Remove(name)
}

// spoolDay writes the device's records in [start, end) as gzipped
// key="value" lines to a temporary file in dir. The tar header that wraps
// it needs the size up front, and the day may not fit in memory, so it
// goes to disk; the file is read back from the start.
func spoolDay(ctx context.Context, st store.Store, dir, device string, start, end time.Time) (_ *spooled, err error) {
	f, err := os.CreateTemp(dir, "archive-*.gzip")
	if err != nil {
		return nil, fmt.Errorf("archive spool: %w", err)
	}
	out := &spooled{file: f}
	defer func() {
		if err != nil {
			out.remove()
		}
	}()
	buffered := bufio.NewWriterSize(f, 64<<10)
	zw := gzip.NewWriter(buffered)
	line := make([]byte, 0, 1024)
	var writeErr error
	err = st.Scan(ctx, store.Query{Device: device, Start: start, End: end}, func(e store.Entry) bool {
		if line, writeErr = logline.Append(line[:0], e.Record); writeErr != nil {
			return false
		}
		line = append(line, '\n')
		if _, writeErr = zw.Write(line); writeErr != nil {
			return false
		}
		out.records++
		return true
	})
	if err = errors.Join(err, writeErr, zw.Close(), buffered.Flush()); err != nil {
		return nil, fmt.Errorf("archive spool: %w", err)
	}
	if out.size, err = f.Seek(0, io.SeekCurrent); err != nil {
		return nil, err
	}
	if _, err = f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return out, nil
}
