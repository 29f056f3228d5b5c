package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startServer runs the real server over a real database on loopback and
// records the User-Agent of each request it receives.
func startServer(t *testing.T) (*httptest.Server, *sqlite.DB, func() []string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var mu sync.Mutex
	var agents []string
	h := httpapi.NewServer(db, quiet).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, db, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), agents...) }
}

func TestConnectionStatus(t *testing.T) {
	t.Parallel()
	t.Run("Connected", func(t *testing.T) {
		ts, db, agents := startServer(t)
		s := NewConnectionService(Config{ServerURL: ts.URL + "/"}, &Lifecycle{}, quiet)
		st, err := s.Status()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := db.ServerID(context.Background())
		want := ConnectionStatus{State: StateConnected, Server: ts.URL, Version: backend.Version, ServerID: id}
		if st != want {
			t.Errorf("status = %+v, want %+v", st, want)
		}
		if a := agents(); len(a) != 1 || a[0] != UserAgent {
			t.Errorf("server saw user agents %q, want one %q", a, UserAgent)
		}
	})

	t.Run("Unreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		url := "http://" + ln.Addr().String()
		ln.Close()
		st, err := NewConnectionService(Config{ServerURL: url}, &Lifecycle{}, quiet).Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != StateUnreachable || st.Code != backend.EUNREACHABLE || !strings.Contains(st.Message, url) {
			t.Errorf("status = %+v", st)
		}
	})

	t.Run("UnreachableWhenServerHangs", func(t *testing.T) {
		release := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer hang.Close()
		defer close(release)
		s := NewConnectionService(Config{ServerURL: hang.URL}, &Lifecycle{}, quiet)
		s.timeout = 100 * time.Millisecond
		st, err := s.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != StateUnreachable || !strings.Contains(st.Message, "did not answer in time") {
			t.Errorf("status = %+v", st)
		}
	})

	t.Run("UnavailableWhenDatabaseIsGone", func(t *testing.T) {
		ts, db, _ := startServer(t)
		db.Close()
		st, err := NewConnectionService(Config{ServerURL: ts.URL}, &Lifecycle{}, quiet).Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != StateUnavailable || st.Code != backend.EUNAVAILABLE {
			t.Errorf("status = %+v", st)
		}
	})

	t.Run("InvalidAddress", func(t *testing.T) {
		st, err := NewConnectionService(Config{ServerURL: "javascript:alert(1)"}, &Lifecycle{}, quiet).Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != StateInvalid || st.Code != backend.EINVALID || st.Server != "javascript:alert(1)" || st.Message == "" {
			t.Errorf("status = %+v", st)
		}
	})

	t.Run("InvalidWhenNotADoorstepServer", func(t *testing.T) {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>router admin</html>")
		}))
		defer other.Close()
		st, err := NewConnectionService(Config{ServerURL: other.URL}, &Lifecycle{}, quiet).Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != StateInvalid || !strings.Contains(st.Message, "not a Doorstep server") {
			t.Errorf("status = %+v", st)
		}
	})

	t.Run("CancelledWithTheApplication", func(t *testing.T) {
		ts, _, _ := startServer(t)
		life := &Lifecycle{}
		s := NewConnectionService(Config{ServerURL: ts.URL}, life, quiet)
		ctx, cancel := context.WithCancel(context.Background())
		life.Start(ctx)
		cancel()
		st, err := s.Status()
		if err == nil && st.State == StateConnected {
			t.Errorf("a check after shutdown still ran: %+v", st)
		}
	})
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"Default", nil, nil, DefaultServerURL},
		{"Environment", nil, map[string]string{"DOORSTEP_SERVER_URL": "http://e:1"}, "http://e:1"},
		{"FlagBeatsEnvironment", []string{"-server", "http://f:1"}, map[string]string{"DOORSTEP_SERVER_URL": "http://e:1"}, "http://f:1"},
		{"FlagWithEquals", []string{"--server=http://f:2"}, nil, "http://f:2"},
		{"OtherArgumentsIgnored", []string{"-psn_0_1234", "-server", "http://f:3", "-loglevel", "debug"}, nil, "http://f:3"},
		{"FlagWithoutValue", []string{"-server"}, nil, DefaultServerURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LoadConfig(tc.args, env(tc.env)).ServerURL; got != tc.want {
				t.Errorf("ServerURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoadConfigVersion(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-server", "http://f:1", "--version"}} {
		if !LoadConfig(args, none).ShowVersion {
			t.Errorf("LoadConfig(%q).ShowVersion = false", args)
		}
	}
	for _, args := range [][]string{nil, {"-server", "--version-x"}, {"version"}} {
		if LoadConfig(args, none).ShowVersion {
			t.Errorf("LoadConfig(%q).ShowVersion = true", args)
		}
	}
}

func TestAbout(t *testing.T) {
	t.Parallel()
	t.Run("BothVersionsWhenConnected", func(t *testing.T) {
		ts, _, _ := startServer(t)
		got, err := NewConnectionService(Config{ServerURL: ts.URL}, &Lifecycle{}, quiet).About()
		want := About{AppVersion: backend.Version, Server: ts.URL, ServerVersion: backend.Version}
		if err != nil || got != want {
			t.Errorf("About() = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("AppVersionOnlyWhenUnreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		url := "http://" + ln.Addr().String()
		ln.Close()
		got, err := NewConnectionService(Config{ServerURL: url}, &Lifecycle{}, quiet).About()
		want := About{AppVersion: backend.Version, Server: url}
		if err != nil || got != want {
			t.Errorf("About() = %+v, %v; want %+v", got, err, want)
		}
	})
}
