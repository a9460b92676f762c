package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// postgres is a private PostgreSQL cluster: initdb'd in a temporary
// directory, listening on 127.0.0.1 on a free port and on a socket in that
// directory, with the default configuration (fsync on). Stop removes it.
type postgres struct {
	bin     string // directory of initdb, pg_ctl, psql
	dir     string
	port    int
	version string
	cred    *syscall.Credential // the server runs as this user when we are root
}

// findPostgres finds the PostgreSQL server binaries: on PATH, or in
// Debian's /usr/lib/postgresql/<version>/bin (the newest).
func findPostgres() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found (apt-get install postgresql)")
}

// startPostgres initdb's and starts a private cluster.
func startPostgres(ctx context.Context) (*postgres, error) {
	bin, err := findPostgres()
	if err != nil {
		return nil, err
	}
	pg := &postgres{bin: bin}
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("postgres --version: %w", err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	if f := strings.Fields(string(out)); len(f) >= 3 {
		pg.version = f[2]
	}
	// initdb and the server refuse to run as root: use the postgres user
	// (created by the Debian package).
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if pg.dir, err = os.MkdirTemp("", "tollgate-bench-pg-"); err != nil {
		return nil, err
	}
	if pg.cred != nil {
		if err := os.Chown(pg.dir, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			pg.remove()
			return nil, err
		}
	}
	if pg.port, err = freePort(); err != nil {
		pg.remove()
		return nil, err
	}
	data := filepath.Join(pg.dir, "data")
	if err := pg.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		pg.remove()
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s", pg.port, pg.dir)
	if err := pg.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		pg.remove()
		return nil, err
	}
	return pg, nil
}

func (pg *postgres) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, name), args...)
	cmd.Dir = pg.dir
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, tail(out.String(), 1500))
	}
	return nil
}

// psql runs one SQL command with stdin and stdout as given and returns how
// long psql took (process start to exit).
func (pg *postgres) psql(ctx context.Context, sql string, stdin io.Reader, stdout io.Writer) (time.Duration, error) {
	psql := filepath.Join(pg.bin, "psql")
	cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port),
		"-U", "postgres", "-d", "postgres", "-c", sql)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, fmt.Errorf("psql %q: %w: %s", tail(sql, 200), err, tail(stderr.String(), 1000))
	}
	return elapsed, nil
}

// stop stops the server and deletes the cluster.
func (pg *postgres) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := pg.run(ctx, "pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "fast", "-w", "stop")
	pg.remove()
	return err
}

func (pg *postgres) remove() { _ = os.RemoveAll(pg.dir) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// pids are the server's processes (the postmaster and its children).
func (pg *postgres) pids() []int {
	b, err := os.ReadFile(filepath.Join(pg.dir, "data", "postmaster.pid"))
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return nil
	}
	return withDescendants(pid)
}
