package portfolio

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The PostgreSQL server of the tests: SOVCHECK_TEST_POSTGRES (a URL to a
// database whose user may create databases), or a server started from
// Debian's postgresql package on a loopback port with a temporary data
// directory, as an unprivileged user when the tests run as root.
var (
	pgURL     string
	pgMissing string
	pgSeq     atomic.Int64
)

// startPostgres starts a throwaway server and returns its admin URL.
func startPostgres() (string, func(), error) {
	if u := os.Getenv("SOVCHECK_TEST_POSTGRES"); u != "" {
		return u, func() {}, nil
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(matches) == 0 {
			return "", nil, fmt.Errorf("no initdb on PATH or under /usr/lib/postgresql (apt-get install postgresql)")
		}
		sort.Strings(matches)
		initdb = matches[len(matches)-1]
	}
	bin := filepath.Dir(initdb)
	dir, err := os.MkdirTemp("", "sovcheck-pg-")
	if err != nil {
		return "", nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("running as root and no unprivileged user to run PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "sovcheck", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, dir)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-w", "-t", "60", "-l", filepath.Join(dir, "log"), "start"); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	stop := func() {
		run("pg_ctl", "-D", data, "-m", "immediate", "stop")
		os.RemoveAll(dir)
	}
	return fmt.Sprintf("postgres://sovcheck@127.0.0.1:%d/postgres?sslmode=disable", port), stop, nil
}

// newPostgresDB creates a fresh database and returns its URL.
func newPostgresDB(t testing.TB) string {
	t.Helper()
	return newPostgresDBWith(t, "")
}

// newPostgresDBWith creates a fresh database with the options given to
// CREATE DATABASE (a collation, say) and returns its URL; a server that
// refuses them skips the test, with its reason.
func newPostgresDBWith(t testing.TB, options string) string {
	t.Helper()
	if pgURL == "" {
		t.Skipf("PostgreSQL not available: %s", pgMissing)
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("sovcheck_test_%d_%d", os.Getpid(), pgSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" "+options); err != nil {
		if options != "" {
			t.Skipf("this PostgreSQL cannot create a database %s: %v", options, err)
		}
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", pgURL)
		if err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	return withDatabase(pgURL, name)
}

// withDatabase replaces the database of a postgres URL.
func withDatabase(u, name string) string {
	q := ""
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, q = u[:i], u[i:]
	}
	if i := strings.LastIndexByte(u, '/'); i > len("postgres://") {
		u = u[:i]
	}
	return u + "/" + name + q
}

// backends runs fn once per kind of store: a fresh SQLite file and a
// fresh PostgreSQL database (skipped, with the reason, without a server).
func backends(t *testing.T, fn func(t *testing.T, location string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "store.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newPostgresDB(t)) })
}
