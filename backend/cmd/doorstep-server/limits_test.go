package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/httpapi"
)

func TestParseEdgeFlags(t *testing.T) {
	parse := func(t *testing.T, args []string) edgeConfig {
		t.Helper()
		cfg, err := parseServeConfig(args, env(map[string]string{"DOORSTEP_DATA_DIR": "/d"}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Edge
	}
	t.Run("Defaults", func(t *testing.T) {
		e := parse(t, nil)
		if e.Limits != httpapi.DefaultLimits() || e.AccessLog || e.LogFile != "" ||
			fmt.Sprint(e.TrustedProxies) != "[127.0.0.0/8 ::1/128]" {
			t.Errorf("defaults: %+v", e)
		}
	})
	t.Run("FromTheEnvironment", func(t *testing.T) {
		cfg, err := parseServeConfig(nil, env(map[string]string{
			"DOORSTEP_DATA_DIR":                     "/d",
			"DOORSTEP_TRUSTED_PROXIES":              "10.0.0.0/8, 192.0.2.1",
			"DOORSTEP_ACCESS_LOG":                   "on",
			"DOORSTEP_LOG_FILE":                     "/var/log/doorstep.log",
			"DOORSTEP_SIGNIN_LOCKOUT_AFTER":         "3",
			"DOORSTEP_SIGNIN_ADDRESS_LOCKOUT_AFTER": "0",
			"DOORSTEP_SIGNIN_LOCKOUT":               "30s",
			"DOORSTEP_SIGNIN_LOCKOUT_MAX":           "1h",
			"DOORSTEP_SIGNIN_RATE":                  "10/m",
			"DOORSTEP_REDEEM_RATE":                  "off",
			"DOORSTEP_CREATE_RATE":                  "100/h",
			"DOORSTEP_EVENTS_RATE":                  "5/10s",
			"DOORSTEP_LINK_REQUEST_RATE":            "2/30m",
		}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := edgeConfig{
			Limits: httpapi.Limits{SignInAccountFailures: 3, SignInAddressFailures: 0, SignInLockout: 30 * time.Second, SignInLockoutMax: time.Hour,
				SignInRate: httpapi.Rate{N: 10, Per: time.Minute}, CreateRate: httpapi.Rate{N: 100, Per: time.Hour}, EventsRate: httpapi.Rate{N: 5, Per: 10 * time.Second},
				LinkRequestRate: httpapi.Rate{N: 2, Per: 30 * time.Minute}},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")},
			AccessLog:      true,
			LogFile:        "/var/log/doorstep.log",
		}
		if fmt.Sprint(cfg.Edge) != fmt.Sprint(want) {
			t.Errorf("got  %+v\nwant %+v", cfg.Edge, want)
		}
	})
	t.Run("FlagBeatsEnvironment", func(t *testing.T) {
		cfg, err := parseServeConfig([]string{"-trusted-proxies", "none", "-access-log", "off", "-signin-rate", "off", "-signin-lockout-after", "7"},
			env(map[string]string{"DOORSTEP_DATA_DIR": "/d", "DOORSTEP_TRUSTED_PROXIES": "10.0.0.0/8", "DOORSTEP_ACCESS_LOG": "on",
				"DOORSTEP_SIGNIN_RATE": "1/s", "DOORSTEP_SIGNIN_LOCKOUT_AFTER": "2"}), io.Discard)
		if err != nil || len(cfg.Edge.TrustedProxies) != 0 || cfg.Edge.AccessLog || !cfg.Edge.Limits.SignInRate.Off() || cfg.Edge.Limits.SignInAccountFailures != 7 {
			t.Errorf("cfg = %+v, %v", cfg.Edge, err)
		}
	})
	for name, args := range map[string][]string{
		"ErrTrustedProxies":   {"-trusted-proxies", "localhost"},
		"ErrAccessLog":        {"-access-log", "yes"},
		"ErrLockoutAfter":     {"-signin-lockout-after", "-1"},
		"ErrLockout":          {"-signin-lockout", "soon"},
		"ErrLockoutTooShort":  {"-signin-lockout", "10ms"},
		"ErrMaxUnderFirst":    {"-signin-lockout", "10m", "-signin-lockout-max", "5m"},
		"ErrSignInRate":       {"-signin-rate", "30"},
		"ErrRedeemRate":       {"-redeem-rate", "many/m"},
		"ErrCreateRate":       {"-create-rate", "1/fortnight"},
		"ErrEventsRate":       {"-events-rate", "/m"},
		"ErrLinkRequestRate":  {"-link-request-rate", "3"},
		"ErrAddressLockAfter": {"-signin-address-lockout-after", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseServeConfig(args, env(map[string]string{"DOORSTEP_DATA_DIR": "/d"}), io.Discard); err == nil {
				t.Errorf("parseServeConfig(%q) succeeded", args)
			}
		})
	}
	t.Run("HelpNamesEveryVariable", func(t *testing.T) {
		var out strings.Builder
		parseServeConfig([]string{"-h"}, env(nil), &out)
		for _, v := range []string{"DOORSTEP_TRUSTED_PROXIES", "DOORSTEP_ACCESS_LOG", "DOORSTEP_LOG_FILE", "DOORSTEP_SIGNIN_LOCKOUT_AFTER",
			"DOORSTEP_SIGNIN_ADDRESS_LOCKOUT_AFTER", "DOORSTEP_SIGNIN_LOCKOUT", "DOORSTEP_SIGNIN_LOCKOUT_MAX", "DOORSTEP_SIGNIN_RATE",
			"DOORSTEP_REDEEM_RATE", "DOORSTEP_CREATE_RATE", "DOORSTEP_EVENTS_RATE"} {
			if !strings.Contains(out.String(), v) {
				t.Errorf("-h does not mention %s", v)
			}
		}
	})
}

// TestServeLogs: by default no line per request, while warnings (here a
// sign-in lock-out set by flag) are written; -log-file takes the log off
// standard error.
func TestServeLogs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		accessLog string
	}{{"AccessLogOffByDefault", ""}, {"AccessLogOn", "on"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			urlFile, logFile := filepath.Join(dir, "url"), filepath.Join(dir, "logs", "server.log")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr syncBuffer
			errc := make(chan error, 1)
			go func() {
				errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-url-file", urlFile, "-demo",
					"-log-file", logFile, "-signin-lockout-after", "2"},
					env(map[string]string{"DOORSTEP_ACCESS_LOG": tc.accessLog}), io.Discard, &stderr, fastHashes())
			}()
			url := waitForFile(t, urlFile, errc)
			c, _ := client.New(url)
			for range 2 {
				c.SignIn(ctx, demo.LandlordEmail, "not the password")
			}
			_, err := c.SignIn(ctx, demo.LandlordEmail, demo.Password)
			if backend.ErrorCode(err) != backend.ERATELIMITED {
				t.Errorf("after 2 failures with -signin-lockout-after 2: %v", err)
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			logs := string(b)
			if !strings.Contains(logs, "level=WARN msg=\"sign-in locked for an account\" account="+demo.LandlordEmail+" client=127.0.0.1") {
				t.Errorf("the lock-out is not in the log file:\n%s", logs)
			}
			if got := strings.Count(logs, "msg=request"); (tc.accessLog == "on") != (got == 3) {
				t.Errorf("%d request lines with -access-log %q:\n%s", got, tc.accessLog, logs)
			}
			if strings.Contains(logs, "not the password") {
				t.Error("a password reached the log")
			}
			if stderr.String() != "" {
				t.Errorf("with -log-file, standard error got %q", stderr.String())
			}
		})
	}
}
