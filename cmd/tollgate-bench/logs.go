package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/tollgate/tollgate/pkg/auth"
	"github.com/tollgate/tollgate/pkg/client"
	"github.com/tollgate/tollgate/pkg/component"
	"github.com/tollgate/tollgate/pkg/logs/logjson"
	"github.com/tollgate/tollgate/pkg/logs/simulate"
	exportv1 "github.com/tollgate/tollgate/proto/tollgate/export/v1"
)

// dataset is n simulated records of the bench device, rendered once
// before anything is timed in the two forms the two systems load:
// IngestLogsRequest batches as they go on the wire, and CSV rows for COPY.
// Both sides then read their input from a file.
type dataset struct {
	records  int
	batches  int
	frames   string // uvarint length + marshaled IngestLogsRequest, repeated
	csv      string
	csvBytes int64
	frameLen int64
}

func prepareDataset(dir string, n, batch int) (*dataset, error) {
	ds := &dataset{records: n, frames: filepath.Join(dir, "records.frames"), csv: filepath.Join(dir, "records.csv")}
	ff, err := os.Create(ds.frames)
	if err != nil {
		return nil, err
	}
	defer ff.Close()
	cf, err := os.Create(ds.csv)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	fw, cw := bufio.NewWriterSize(ff, 1<<20), bufio.NewWriterSize(cf, 1<<20)
	rows := csv.NewWriter(cw)
	days := 10
	if n < 240 {
		days = 1
	}
	perDay := (n + days - 1) / days
	records := make([]*exportv1.LogRecord, 0, batch)
	var lenBuf [binary.MaxVarintLen64]byte
	flush := func() error {
		if len(records) == 0 {
			return nil
		}
		b, err := proto.Marshal(&exportv1.IngestLogsRequest{Device: benchDevice, Records: records})
		if err != nil {
			return err
		}
		fw.Write(lenBuf[:binary.PutUvarint(lenBuf[:], uint64(len(b)))])
		fw.Write(b)
		ds.frameLen += int64(len(b))
		ds.batches++
		records = records[:0]
		return nil
	}
	count := 0
	for r := range simulate.New(7, time.UTC).Days(time.Now(), days, perDay) {
		if count == n {
			break
		}
		count++
		line, err := logjson.Append(nil, r) // what the gateway's NDJSON lines hold
		if err != nil {
			return nil, err
		}
		if err := rows.Write([]string{benchDevice, r.GetUtcTime().AsTime().Format(time.RFC3339Nano),
			strconv.Itoa(int(r.GetLogType())), r.GetDeviceTime(), string(line)}); err != nil {
			return nil, err
		}
		if records = append(records, r); len(records) == batch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if count != n {
		return nil, fmt.Errorf("generated %d records, want %d", count, n)
	}
	rows.Flush()
	if err := errors.Join(rows.Error(), fw.Flush(), cw.Flush()); err != nil {
		return nil, err
	}
	st, err := cf.Stat()
	if err != nil {
		return nil, err
	}
	ds.csvBytes = st.Size()
	return ds, nil
}

// rawCodec sends already marshaled messages as they are (and everything
// else as protobuf), so the ingest client costs no marshaling.
type rawCodec struct{}

type rawFrame []byte

func (rawCodec) Marshal(v any) ([]byte, error) {
	if f, ok := v.(rawFrame); ok {
		return f, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(data []byte, v any) error { return proto.Unmarshal(data, v.(proto.Message)) }

func (rawCodec) Name() string { return "proto" }

// ingestTollgate streams the dataset's batches over one IngestLogs stream
// to the export service, as a collector does, and waits for the answer
// (every record durable).
func ingestTollgate(ctx context.Context, s *Suite, ds *dataset) (time.Duration, error) {
	conn, err := client.Dial(s.Peers[component.Export], client.Options{Signer: auth.NewSigner(s.Key, "bench-collector", 0)})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	f, err := os.Open(ds.frames)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	start := time.Now()
	stream, err := exportv1.NewExportServiceClient(conn).IngestLogs(ctx, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return 0, err
	}
	for range ds.batches {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return 0, err
		}
		frame := make(rawFrame, n)
		if _, err := io.ReadFull(r, frame); err != nil {
			return 0, err
		}
		if err := stream.SendMsg(frame); err != nil {
			break // the reason comes with CloseAndRecv
		}
	}
	resp, err := stream.CloseAndRecv()
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("ingest: %w", err)
	}
	if resp.GetAcceptedRecords() != int64(ds.records) {
		return 0, fmt.Errorf("ingest: %d records accepted, want %d", resp.GetAcceptedRecords(), ds.records)
	}
	return elapsed, nil
}

const pgSchema = `CREATE TABLE logs (
  device text NOT NULL, utc_time timestamptz NOT NULL, log_type int NOT NULL, device_time text NOT NULL, record jsonb NOT NULL);
CREATE INDEX logs_device_time ON logs (device, utc_time);`

const pgExport = `COPY (SELECT utc_time, log_type, device_time, record FROM logs WHERE device = '` + benchDevice + `' ORDER BY utc_time) TO STDOUT (FORMAT csv)`

// lineCounter counts what passes through it.
type lineCounter struct{ lines, bytes int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	c.bytes += int64(len(p))
	return len(p), nil
}

// memSample is a process's resident memory: all of it (VmRSS) and the
// anonymous part (RssAnon: heap, stacks), the rest being mapped files
// such as the bbolt databases, which the kernel can drop at any time.
type memSample struct{ rss, anon int64 }

func readMem(pid int) memSample { return memSample{rss(pid, "VmRSS"), rss(pid, "RssAnon")} }

func (m memSample) String() string { return fmtBytes(m.rss) + " (anon " + fmtBytes(m.anon) + ")" }

// rssSampler records the highest VmRSS and RssAnon of pid every 20ms
// until stopped.
func rssSampler(pid int) (stop func() memSample) {
	var (
		peak memSample
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			m := readMem(pid)
			peak.rss, peak.anon = max(peak.rss, m.rss), max(peak.anon, m.anon)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() memSample { close(done); wg.Wait(); return peak }
}

type logsOptions struct {
	quietBudget time.Duration
	records     int
	batch       int
	postgres    bool
	dir         string // for the dataset
}

// runLogs measures scenarios 5 (ingest) and 4 (export), in that order:
// the export streams what the ingest stored.
func runLogs(ctx context.Context, s *Suite, f fixture, o logsOptions, logf func(string, ...any)) (ingest, export *section, err error) {
	ingest = &section{
		title:  fmt.Sprintf("5. Ingest: %d records of one device", o.records),
		header: []string{"path", "records", "time", "records/s", "vs PostgreSQL (target ≥ 1.0×)", "suite RSS peak", "other processes' CPU (cores)"},
	}
	export = &section{
		title:  fmt.Sprintf("4. Export: %d records of one device, streamed", o.records),
		header: []string{"path", "records", "time", "records/s", "bytes/record", "vs PostgreSQL (target ≥ 1.0×)", "suite RSS before / peak / after (sampled every 20 ms)", "other processes' CPU (cores)"},
	}
	start := time.Now()
	ds, err := prepareDataset(o.dir, o.records, o.batch)
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(ds.frames)
	defer os.Remove(ds.csv)
	logf("logs: generated %d records in %s (%d batches, %s of frames, %s of CSV)", ds.records, time.Since(start).Round(time.Millisecond),
		ds.batches, fmtBytes(ds.frameLen), fmtBytes(ds.csvBytes))

	var pg *postgres
	pgNote := ""
	if o.postgres {
		if pg, err = startPostgres(ctx); err != nil {
			pgNote = "PostgreSQL could not be started, so there is no reference figure: " + err.Error()
			pg = nil
		} else {
			defer func() {
				if serr := pg.stop(); serr != nil && err == nil {
					err = serr
				}
			}()
			if _, err := pg.psql(ctx, pgSchema, nil, io.Discard); err != nil {
				return nil, nil, err
			}
		}
	} else {
		pgNote = "PostgreSQL reference skipped in this run (quick profile); `make load` measures it."
	}

	// Every measurement waits for a quiet host first (up to a budget) and
	// records how much CPU other processes used meanwhile.
	ours := func() []int {
		pids := []int{os.Getpid(), s.PID}
		if pg != nil {
			pids = append(pids, pg.pids()...)
		}
		return pids
	}
	quietBudget := o.quietBudget
	var meter *cpuMeter
	begin := func() {
		if quietBudget > 0 {
			quietBudget -= waitQuiet(ctx, ours, min(quietBudget, 10*time.Second))
		}
		meter = startCPUMeter(ours)
	}
	others := func() string { return fmt.Sprintf("%.2f", meter.others()) }

	// Ingest.
	begin()
	memBefore := readMem(s.PID)
	sample := rssSampler(s.PID)
	stopProfile := phase("ingest")
	tgIngest, err := ingestTollgate(ctx, s, ds)
	stopProfile()
	ingestPeak := sample()
	tgIngestOthers := others()
	if err != nil {
		return nil, nil, err
	}
	tgRate := float64(ds.records) / tgIngest.Seconds()
	logf("logs: tollgate ingest %s (%.0f records/s)", tgIngest.Round(time.Millisecond), tgRate)
	ratio := "–"
	var pgIngest time.Duration
	var pgIngestOthers string
	if pg != nil {
		in, err := os.Open(ds.csv)
		if err != nil {
			return nil, nil, err
		}
		begin()
		pgIngest, err = pg.psql(ctx, "COPY logs FROM STDIN (FORMAT csv)", in, io.Discard)
		pgIngestOthers = others()
		in.Close()
		if err != nil {
			return nil, nil, err
		}
		pgRate := float64(ds.records) / pgIngest.Seconds()
		ratio = fmt.Sprintf("%.2f× %s", tgRate/pgRate, verdict(tgRate >= pgRate))
		logf("logs: postgres COPY FROM %s (%.0f records/s)", pgIngest.Round(time.Millisecond), pgRate)
	}
	ingest.add(fmt.Sprintf("Tollgate: one IngestLogs stream, batches of %d, each acknowledged durable (fsync)", o.batch),
		fmt.Sprint(ds.records), fmtDur(tgIngest), fmtRate(tgRate), ratio, fmt.Sprintf("%s; idle before: %s", ingestPeak, memBefore), tgIngestOthers)
	if pg != nil {
		ingest.add("PostgreSQL "+pg.version+" (default settings): `COPY logs FROM STDIN (FORMAT csv)` (one transaction), jsonb record + index on (device, utc_time)",
			fmt.Sprint(ds.records), fmtDur(pgIngest), fmtRate(float64(ds.records)/pgIngest.Seconds()), "1.00×", "–", pgIngestOthers)
	}
	ingest.note("Input is rendered before timing and read from a file by both: pre-marshaled IngestLogsRequest messages for Tollgate (%s), CSV for psql (%s). Records come from pkg/logs/simulate (all 24 categories), over 10 days.",
		fmtBytes(ds.frameLen), fmtBytes(ds.csvBytes))

	// Export.
	begin()
	memBefore = readMem(s.PID)
	sample = rssSampler(s.PID)
	stopProfile = phase("export")
	tgExport, got, err := exportOnce(ctx, s.BaseURL+"/v1/"+benchDevice+"/logs:stream", f.secret)
	stopProfile()
	exportPeak := sample()
	tgExportOthers := others()
	if err != nil {
		return nil, nil, err
	}
	if got.lines != int64(ds.records) {
		return nil, nil, fmt.Errorf("export: %d lines, want %d", got.lines, ds.records)
	}
	time.Sleep(200 * time.Millisecond)
	memAfter := readMem(s.PID)
	tgRate = float64(ds.records) / tgExport.Seconds()
	logf("logs: tollgate export %s (%.0f records/s, %s)", tgExport.Round(time.Millisecond), tgRate, fmtBytes(got.bytes))
	ratio = "–"
	var pgGot lineCounter
	var pgExportTime time.Duration
	var pgExportOthers string
	if pg != nil {
		if _, err := pg.psql(ctx, "ANALYZE logs", nil, io.Discard); err != nil {
			return nil, nil, err
		}
		begin()
		if pgExportTime, err = pg.psql(ctx, pgExport, nil, &pgGot); err != nil {
			return nil, nil, err
		}
		pgExportOthers = others()
		if pgGot.lines != int64(ds.records) {
			return nil, nil, fmt.Errorf("postgres export: %d lines, want %d", pgGot.lines, ds.records)
		}
		pgRate := float64(ds.records) / pgExportTime.Seconds()
		ratio = fmt.Sprintf("%.2f× %s", tgRate/pgRate, verdict(tgRate >= pgRate))
		logf("logs: postgres COPY TO %s (%.0f records/s, %s)", pgExportTime.Round(time.Millisecond), pgRate, fmtBytes(pgGot.bytes))
	}
	begin()
	grpcExport, grpcRecords, err := exportGRPC(ctx, s, f)
	grpcOthers := others()
	if err != nil {
		return nil, nil, err
	}
	if grpcRecords != int64(ds.records) {
		return nil, nil, fmt.Errorf("gRPC export: %d records, want %d", grpcRecords, ds.records)
	}
	grpcRate := float64(ds.records) / grpcExport.Seconds()
	logf("logs: gRPC StreamLogs %s (%.0f records/s)", grpcExport.Round(time.Millisecond), grpcRate)
	export.add("Tollgate: GET …/logs:stream (NDJSON) through the suite's gateway, API token",
		fmt.Sprint(ds.records), fmtDur(tgExport), fmtRate(tgRate), fmt.Sprint(got.bytes/int64(ds.records)), ratio,
		fmt.Sprintf("%s / %s / %s", memBefore, exportPeak, memAfter), tgExportOthers)
	grpcRatio := "–"
	if pg != nil {
		pgRate := float64(ds.records) / pgExportTime.Seconds()
		grpcRatio = fmt.Sprintf("%.2f×", grpcRate/pgRate)
	}
	export.add("reference: the same StreamLogs read over gRPC by a Go client (protobuf, no REST rendering)",
		fmt.Sprint(ds.records), fmtDur(grpcExport), fmtRate(grpcRate), "–", grpcRatio, "–", grpcOthers)
	if pg != nil {
		export.add("PostgreSQL "+pg.version+" (default settings): `COPY (SELECT utc_time, log_type, device_time, record … ORDER BY utc_time) TO STDOUT (FORMAT csv)` via psql",
			fmt.Sprint(ds.records), fmtDur(pgExportTime), fmtRate(float64(ds.records)/pgExportTime.Seconds()), fmt.Sprint(pgGot.bytes/int64(ds.records)), "1.00×", "–", pgExportOthers)
	}
	export.note("RSS is VmRSS of the suite process; anon is its RssAnon (heap, stacks). The rest is file-backed: the bbolt databases are memory-mapped, so pages read by the export count in VmRSS while they stay mapped, and the kernel can drop them.")
	if !s.External {
		export.note("The suite runs in the harness process here, so its RSS includes the harness.")
	}
	if pgNote != "" {
		ingest.note("%s", pgNote)
		export.note("%s", pgNote)
	}
	return ingest, export, nil
}

// exportGRPC reads the same stream straight from the export service over
// gRPC, as a Go client holding the token's identity would: the reference
// for what the REST rendering adds.
func exportGRPC(ctx context.Context, s *Suite, f fixture) (time.Duration, int64, error) {
	conn, err := client.Dial(s.Peers[component.Export], client.Options{Signer: auth.NewSigner(s.Key, component.Gateway, 0)})
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	start := time.Now()
	stream, err := exportv1.NewExportServiceClient(conn).StreamLogs(auth.NewContext(ctx, f.tokenPrincipal()), &exportv1.StreamLogsRequest{Parent: benchDevice})
	if err != nil {
		return 0, 0, err
	}
	var n int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return time.Since(start), n, nil
		}
		if err != nil {
			return 0, n, err
		}
		n += int64(len(msg.GetLogs()))
	}
}

// exportOnce streams the bench device's logs from url and counts lines.
func exportOnce(ctx context.Context, url, secret string) (time.Duration, lineCounter, error) {
	var got lineCounter
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, got, err
	}
	req.Header.Set("X-Api-Key", secret)
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}} // no overall timeout: the stream is long
	defer c.CloseIdleConnections()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, got, err
	}
	_, err = io.CopyBuffer(&got, resp.Body, make([]byte, 256<<10))
	resp.Body.Close()
	elapsed := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return elapsed, got, err
}
