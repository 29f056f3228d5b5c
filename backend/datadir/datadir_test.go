package datadir_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"doorstep/backend/datadir"
)

func TestPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks the XDG layout")
	}
	t.Run("XDGDataHome", func(t *testing.T) {
		xdg := t.TempDir()
		t.Setenv("XDG_DATA_HOME", xdg)
		got, err := datadir.Path("doorstep")
		if err != nil || got != filepath.Join(xdg, "doorstep") {
			t.Errorf("Path = %q, %v", got, err)
		}
	})
	t.Run("RelativeXDGIsIgnored", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("XDG_DATA_HOME", "relative/dir")
		got, err := datadir.Path("doorstep")
		if err != nil || got != filepath.Join(home, ".local", "share", "doorstep") {
			t.Errorf("Path = %q, %v", got, err)
		}
	})
	t.Run("EnsureCreatesPrivateDir", func(t *testing.T) {
		t.Setenv("XDG_DATA_HOME", t.TempDir())
		dir, err := datadir.Ensure("doorstep-server")
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("Ensure made %v (%v)", fi, err)
		}
	})
	t.Run("ErrEmptyName", func(t *testing.T) {
		if _, err := datadir.Path(""); err == nil {
			t.Error("Path(\"\") succeeded")
		}
	})
}
