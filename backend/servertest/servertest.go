// Package servertest runs the real Doorstep server on loopback for the tests
// of other packages (the desktop's): a real SQLite database seeded with the
// demo landlord, real HTTP and websockets, and a switch for outages.
package servertest

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// Server is a running test server.
type Server struct {
	DB    *sqlite.DB
	URL   string
	tb    testing.TB
	addr  string
	srv   *httpapi.Server
	http  *http.Server
	ln    *connSet
	files *filestore.Store
	opts  []httpapi.Option
	key   ed25519.PrivateKey // the server's signing key, kept across RestoreFrom
}

// StartDemo starts a server over a new database with the demo landlord; it
// is stopped when the test ends. opts configure the HTTP server (limits,
// their clock).
func StartDemo(tb testing.TB, opts ...httpapi.Option) *Server {
	tb.Helper()
	ctx := context.Background()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "server.db"), sqlite.WithBcryptCost(bcrypt.MinCost), sqlite.WithSigningKey(key))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		tb.Fatal(err)
	}
	files, err := filestore.Open(filepath.Join(tb.TempDir(), "files"), 0)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{DB: db, tb: tb, files: files, opts: opts, key: key}
	s.assemble()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// assemble makes the HTTP server over s.DB, with a hub of its own.
func (s *Server) assemble() {
	s.srv = httpapi.NewServer(s.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), append([]httpapi.Option{httpapi.WithFiles(s.files)}, s.opts...)...)
	s.DB.SetEventSink(s.srv.Hub().Publish)
	s.DB.SetSessionEndSink(s.srv.Hub().EndSessions)
}

// Backup copies the database as it is now, as doorstep-server backup does,
// and returns the copy's path (for RestoreFrom).
func (s *Server) Backup(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "backup.db")
	if err := s.DB.Backup(context.Background(), path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// RestoreFrom stops the server and brings it back on the same address over
// a copy made by Backup, with a new server id, as doorstep-server restore
// leaves a data directory: everything written after the backup is gone.
func (s *Server) RestoreFrom(tb testing.TB, backup string) {
	tb.Helper()
	ctx := context.Background()
	s.Stop()
	s.DB.Close()
	b, err := os.ReadFile(backup)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "restored.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	if s.DB, err = sqlite.Open(ctx, path, sqlite.WithBcryptCost(bcrypt.MinCost), sqlite.WithSigningKey(s.key)); err != nil {
		tb.Fatal(err)
	}
	db := s.DB
	tb.Cleanup(func() { db.Close() })
	if _, err := s.DB.RenewServerID(ctx); err != nil {
		tb.Fatal(err)
	}
	s.assemble()
	s.Start()
}

func (s *Server) serve(ln net.Listener) {
	s.ln = &connSet{Listener: ln, open: map[net.Conn]bool{}}
	s.http = &http.Server{Handler: s.srv.Handler()}
	go s.http.Serve(s.ln)
}

// Stop takes the server off the network: every connection is cut,
// websockets included, as in an outage. The database stays.
func (s *Server) Stop() {
	if s.http != nil {
		s.http.Close()
		s.ln.closeAll()
		s.http = nil
	}
}

// Start brings a stopped server back on the same address.
func (s *Server) Start() {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.serve(ln)
}

// Landlord signs in the demo landlord's main account.
func (s *Server) Landlord(tb testing.TB) (*client.Client, backend.Me) {
	tb.Helper()
	c, _ := client.New(s.URL)
	sess, err := c.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
	if err != nil {
		tb.Fatal(err)
	}
	return c.WithSession(sess.Token), sess.Me
}

// Tenant opens a session for a demo tenant (by name) through an invite.
func (s *Server) Tenant(tb testing.TB, name string) *client.Client {
	tb.Helper()
	ctx := context.Background()
	landlord, _ := s.Landlord(tb)
	dir, err := landlord.Directory(ctx, name)
	if err != nil || len(dir.Tenants) == 0 {
		tb.Fatalf("tenant %s: %v", name, err)
	}
	tok, err := landlord.CreateTenantInvite(ctx, dir.Tenants[0].ID)
	if err != nil {
		tb.Fatal(err)
	}
	anon, _ := client.New(s.URL)
	sess, err := anon.RedeemInvite(ctx, tok)
	if err != nil {
		tb.Fatal(err)
	}
	return anon.WithSession(sess.Token)
}

// connSet is a listener that remembers its connections, because
// http.Server.Close leaves hijacked (websocket) ones open.
type connSet struct {
	net.Listener
	mu   sync.Mutex
	open map[net.Conn]bool
}

func (l *connSet) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.open[c] = true
		l.mu.Unlock()
	}
	return c, err
}

func (l *connSet) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.open {
		c.Close()
	}
}
