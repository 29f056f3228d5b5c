// Package datadir finds the per-user directory where a program keeps its
// data: the server's database and files, the desktop app's cache.
package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// Path returns the per-user data directory for app, without creating it:
//
//	Linux, BSD: $XDG_DATA_HOME/app, or ~/.local/share/app
//	macOS:      ~/Library/Application Support/app
//	Windows:    %LocalAppData%\app
func Path(app string) (string, error) {
	if app == "" {
		return "", errors.New("datadir: empty app name")
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, app), nil
		}
		return "", errors.New("datadir: %LocalAppData% is not set")
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support", app), nil
	default:
		if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, app), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "share", app), nil
	}
}

// Ensure returns Path(app) after creating it, readable by the user alone.
func Ensure(app string) (string, error) {
	dir, err := Path(app)
	if err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o700)
}
