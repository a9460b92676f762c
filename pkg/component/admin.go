package component

import (
	"bufio"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/boltdb"
	"github.com/tollgate/tollgate/pkg/errs"
	adminv1 "github.com/tollgate/tollgate/proto/tollgate/admin/v1"
)

// backupChunkSize keeps each backup message far below gRPC's default 4 MiB
// receive limit while amortizing per-message overhead.
const backupChunkSize = 256 << 10

// adminServer is the AdminService every service serves for operators'
// tools (`tollgate backup`).
type adminServer struct {
	adminv1.UnimplementedAdminServiceServer
	service string
	db      *boltdb.DB
}

// Backup streams a snapshot of the database. The read transaction behind
// it lasts as long as the stream, so writes go on, but a write that must
// grow the file waits for the backup to finish.
func (a *adminServer) Backup(req *adminv1.BackupRequest, stream grpc.ServerStreamingServer[adminv1.BackupResponse]) error {
	if err := auth.RequireService(stream.Context()); err != nil {
		return err
	}
	if req.GetService() != a.service {
		return errs.New(errs.ErrFailedPrecondition, "WRONG_SERVICE",
			fmt.Sprintf("this address serves %s, not %s", a.service, req.GetService()))
	}
	version, err := a.db.SchemaVersion()
	if err != nil {
		return err
	}
	header := &adminv1.BackupHeader{Service: a.service, SchemaVersion: version, SnapshotTime: timestamppb.New(time.Now())}
	if err := stream.Send(&adminv1.BackupResponse{Part: &adminv1.BackupResponse_Header{Header: header}}); err != nil {
		return err
	}
	chunks := bufio.NewWriterSize(chunkSender{stream}, backupChunkSize)
	if _, err := a.db.Backup(chunks); err != nil {
		return err
	}
	return chunks.Flush()
}

// chunkSender sends what is written to it as chunk messages of at most
// backupChunkSize bytes. Send marshals before returning, so the caller
// may reuse the buffer.
type chunkSender struct {
	stream grpc.ServerStreamingServer[adminv1.BackupResponse]
}

func (c chunkSender) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), backupChunkSize)
		if err := c.stream.Send(&adminv1.BackupResponse{Part: &adminv1.BackupResponse_Chunk{Chunk: p[:n]}}); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}
