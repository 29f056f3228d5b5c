// Package pgtest gives tests a real PostgreSQL without assuming one runs:
// a throwaway cluster (initdb + pg_ctl, from the distribution's PostgreSQL
// binaries) made in a temporary directory once per test process, on first
// use, and a fresh database in it for each test, so tests run in parallel
// without seeing each other's rows. Main stops and removes the cluster.
//
// The cluster is for tests only, and tuned for starting fast rather than
// for keeping data: fsync, synchronous_commit and full_page_writes are off
// (a crash of the machine may lose it, which costs nothing here), and it
// listens on a Unix socket in its own directory only, so it needs no free
// port and nothing else can reach it.
//
// PostgreSQL refuses to run as root. When the tests run as root (as they
// do here and in CI), initdb and the server run as the system user
// postgres, which Debian's package creates, and the directory is theirs.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// NotInstalled is the reason tests are skipped on a machine without
// PostgreSQL: loud, and saying what to do.
const NotInstalled = "PostgreSQL not installed: run `make deps` (scripts/deps.sh test installs Debian's postgresql). " +
	"THE POSTGRESQL TESTS DID NOT RUN."

// superuser is the cluster's superuser, whom tests connect as.
const superuser = "postgres"

// settings tune the throwaway cluster (see the package comment).
var settings = []string{
	"listen_addresses = ''", // the Unix socket only
	"fsync = off",
	"synchronous_commit = off",
	"full_page_writes = off",
	"shared_buffers = 32MB",
	"max_connections = 300", // a pool per test store, tests in parallel
	"max_wal_size = 1GB",    // fewer checkpoints while databases are made
	"log_min_messages = warning",
	"log_min_error_statement = panic", // refusals the tests provoke are not news
}

// cluster is the test process's one cluster.
type cluster struct {
	dir   string // owned by the server's user: data/, the socket, the log
	bin   string // the directory of initdb, pg_ctl and postgres
	cred  *syscall.Credential
	admin *pgx.Conn // to the postgres database, for CREATE DATABASE
	mu    sync.Mutex
}

var (
	startOnce sync.Once
	started   *cluster
	startErr  error
	startTook time.Duration
	databases atomic.Int64
)

// Main runs a test package's tests and then stops and removes the cluster
// if they started one. Use it as the package's TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if started != nil {
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "pgtest: the throwaway PostgreSQL cluster started in %v and held %d databases\n",
				startTook.Round(time.Millisecond), databases.Load())
		}
		if err := started.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	if startErr != nil && errors.Is(startErr, errNotInstalled) {
		fmt.Fprintf(os.Stderr, "\n*** %s ***\n\n", NotInstalled)
	}
	os.Exit(code)
}

// StartTime is how long the cluster took to start (zero before it did).
func StartTime() time.Duration { return startTook }

// NewDatabase makes a fresh, empty database (starting the cluster on first
// use) and returns its connection string (a postgres:// URL). It is not dropped when t
// ends: dropping costs as much as making one, and Main removes the whole
// cluster. Without PostgreSQL on the machine it skips t, loudly; in CI,
// where `make deps` installed it, that is a failure instead.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c, err := cluster1()
	if errors.Is(err, errNotInstalled) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI installs it with make deps: the dependency step is broken)", NotInstalled)
		}
		t.Skip(NotInstalled)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("test_%d", databases.Add(1))
	if err := c.exec("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return c.connString(name)
}

// connString is a postgres:// URL, the form a server's -store flag takes,
// with the socket's directory as its host.
func (c *cluster) connString(db string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=5432&sslmode=disable", superuser, db, url.QueryEscape(c.dir))
}

// exec runs a statement on the admin connection (one at a time: CREATE
// DATABASE cannot run in parallel with itself on one template anyway).
func (c *cluster) exec(sql string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.admin.Exec(ctx, sql)
	return err
}

var errNotInstalled = errors.New("PostgreSQL is not installed")

// cluster1 starts the process's cluster once.
func cluster1() (*cluster, error) {
	startOnce.Do(func() {
		began := time.Now()
		started, startErr = start()
		startTook = time.Since(began)
	})
	return started, startErr
}

// findBin returns the directory of the newest installed PostgreSQL's
// server binaries: Debian keeps them in /usr/lib/postgresql/VERSION/bin,
// other systems on the PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errNotInstalled
}

// version is the major version in a Debian binary directory's path.
func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// serverUser is who runs the server: postgres when we are root.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and there is no user postgres to run the server as: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	removeAbandoned(bin, cred)
	dir, err := os.MkdirTemp(baseDir(cred), "doorstep-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, bin: bin, cred: cred}
	// Whose cluster this is: a later run removes it if this process died
	// without stopping it (a test binary killed by its timeout).
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.run("initdb", "-D", data, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	conf, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = fmt.Fprintf(conf, "\n# pgtest: a throwaway cluster for tests\n%s\nunix_socket_directories = '%s'\nport = 5432\n",
			strings.Join(settings, "\n"), dir)
		err = errors.Join(err, conf.Close())
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.run("pg_ctl", "start", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-w", "-t", "60"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.admin, err = pgx.Connect(ctx, c.connString("postgres")); err != nil {
		c.stop()
		return nil, fmt.Errorf("connect to the throwaway cluster: %w", err)
	}
	return c, nil
}

// run runs one of the server's programs as the server's user, with its
// output kept for the error. The output goes to a file, not a pipe: pg_ctl
// leaves the server running, and a server holding our pipe would keep us
// waiting for its end.
func (c *cluster) run(name string, args ...string) error {
	out, err := os.CreateTemp("", "pgtest-out-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = "/" // a directory the server's user may enter, whatever ours is
	cmd.Env = []string{"PATH=" + c.bin + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(text)))
	}
	return nil
}

// stop stops the server at once (its data is thrown away) and removes the
// directory.
func (c *cluster) stop() error {
	if c.admin != nil {
		c.admin.Close(context.Background())
	}
	err := c.run("pg_ctl", "stop", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// baseDir is where clusters are made: the temporary directory, unless the
// server runs as another user (postgres, under root) who could not reach
// into it (a TMPDIR under /root, say); then /tmp.
func baseDir(cred *syscall.Credential) string {
	dir := os.TempDir()
	if cred == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// removeAbandoned stops and removes the clusters of test processes that
// died without doing so themselves.
func removeAbandoned(bin string, cred *syscall.Credential) {
	dirs, _ := filepath.Glob(filepath.Join(baseDir(cred), "doorstep-pg-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // its owner still runs (or it is not ours to judge)
		}
		c := &cluster{dir: dir, bin: bin, cred: cred}
		c.run("pg_ctl", "stop", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w")
		os.RemoveAll(dir)
	}
}
