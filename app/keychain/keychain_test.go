package keychain_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"doorstep/app/keychain"
)

// These tests use the real credential store. `make test` runs them inside
// dbus-run-session with an unlocked gnome-keyring (scripts/test-go.sh);
// DOORSTEP_KEYRING=1 says it is there.
func requireKeyring(t *testing.T) {
	if os.Getenv("DOORSTEP_KEYRING") != "1" {
		t.Skip("no test keyring: run through `make test-go` (dbus-run-session + gnome-keyring)")
	}
}

// TestNoKeyring runs where no Secret Service answers (a session bus without
// a keyring, or none at all): every call must say so clearly and never
// silently succeed. It runs in a child process of its own, because the
// D-Bus library keeps the first session connection a process makes: the
// bus it points at must be the first one tried, whatever ran before.
func TestNoKeyring(t *testing.T) {
	if os.Getenv("DOORSTEP_NO_KEYRING_CHILD") == "1" {
		noKeyring(t)
		return
	}
	child := exec.Command(os.Args[0], "-test.run=^TestNoKeyring$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), "DOORSTEP_NO_KEYRING_CHILD=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/doorstep-test-bus")
	out, err := child.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNoKeyring") {
		t.Fatalf("without a keyring (%v):\n%s", err, out)
	}
}

func noKeyring(t *testing.T) {
	s := keychain.New()
	err := s.Save("http://127.0.0.1:1", "a@b.test", "tok")
	var unavailable *keychain.UnavailableError
	if !errors.As(err, &unavailable) || unavailable.Reason == "" {
		t.Fatalf("Save without a keyring: %v, want an explained UnavailableError", err)
	}
	if _, err := s.Load("http://127.0.0.1:1", "a@b.test"); !errors.As(err, &unavailable) {
		t.Errorf("Load without a keyring: %v", err)
	}
}

func TestRealKeyring(t *testing.T) {
	requireKeyring(t)
	s := keychain.New()
	server, email := "http://127.0.0.1:8765", "Landlord@Example.test"
	t.Cleanup(func() { s.Delete(server, email) })

	t.Run("ErrNotFoundBeforeSave", func(t *testing.T) {
		if _, err := s.Load(server, email); !errors.Is(err, keychain.ErrNotFound) {
			t.Fatalf("Load = %v, want ErrNotFound", err)
		}
	})
	t.Run("SaveLoadDelete", func(t *testing.T) {
		if err := s.Save(server, email, "token-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(server, email, "token-2"); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Load(server, "landlord@example.test")
		if err != nil || tok != "token-2" {
			t.Fatalf("Load = %q, %v; want the newest token, whatever the e-mail's case", tok, err)
		}
		if _, err := s.Load("https://other.example", email); !errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("another server's entry: %v, want ErrNotFound", err)
		}
		if err := s.Delete(server, email); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(server, email); !errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("after Delete: %v", err)
		}
		if err := s.Delete(server, email); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
	})
}
