package export

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"github.com/tollgate/tollgate/pkg/errs"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// archiveChunk is the size of the tar pieces sent to the client.
const archiveChunk = 64 << 10

// GetArchive streams the Open API daily archive of a device: a tar holding
// one file, <device_date>.gzip, with the day's records as key="value"
// lines in time order.
func (s *Service) GetArchive(req *exportv1.GetArchiveRequest, stream exportv1.ExportService_GetArchiveServer) error {
	ctx := stream.Context()
	d, err := s.deviceForArchive(ctx, "device", req.GetDevice())
	if err != nil {
		return err
	}
	start, end, err := archiveDay(req.GetDeviceDate(), d.zone, s.now())
	if err != nil {
		return err
	}
	day, err := spoolDay(ctx, s.store, s.spoolDir, d.name, start, end)
	if err != nil {
		return err
	}
	defer day.remove()
	if day.records == 0 {
		return errs.New(errs.ErrNotFound, "DATA_NOT_FOUND", fmt.Sprintf("no logs of %s on %s", d.name, req.GetDeviceDate()))
	}
	out := &chunkWriter{send: func(chunk []byte) error {
		return stream.Send(&exportv1.GetArchiveResponse{Chunk: chunk})
	}}
	tw := tar.NewWriter(out)
	err = tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     req.GetDeviceDate() + ".gzip",
		Size:     day.size,
		Mode:     0o644,
		ModTime:  end,
		Format:   tar.FormatUSTAR,
	})
	if err != nil {
		return err
	}
	if _, err := io.Copy(tw, day.file); err != nil {
		return err
	}
	return errors.Join(tw.Close(), out.flush())
}

// chunkWriter cuts what is written into archiveChunk-sized messages. Each
// chunk gets a fresh buffer: gRPC may still hold a sent message.
type chunkWriter struct {
	send func([]byte) error
	buf  []byte
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, archiveChunk)
		}
		take := min(len(p), archiveChunk-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == archiveChunk {
			if err := w.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	chunk := w.buf
	w.buf = nil
	return w.send(chunk)
}
