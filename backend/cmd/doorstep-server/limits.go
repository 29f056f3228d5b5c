package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"doorstep/backend/httpapi"
)

// defaultTrustedProxies: the server listens on loopback unless told
// otherwise, so what reaches it from the internet comes through a reverse
// proxy on the same machine, whose X-Forwarded-For must be believed or
// every tenant would share the proxy's address (and its limits).
const defaultTrustedProxies = "127.0.0.0/8, ::1"

// Log file rotation with -log-file: a file grows to logFileMB, then up to
// logFileBackups older ones are kept, compressed.
const (
	logFileMB      = 50
	logFileBackups = 5
)

// edgeConfig is what faces the internet: limits, proxies and logs.
type edgeConfig struct {
	Limits         httpapi.Limits
	TrustedProxies []netip.Prefix
	// AccessLog writes one line per request. Off by default: under load it
	// was most of the log (23 MB in five minutes), it repeats what the
	// reverse proxy in front logs anyway, and what an operator must see
	// (errors, lock-outs, start and stop) is logged either way.
	AccessLog bool
	LogFile   string // empty: standard error
}

// edgeFlags adds the flags of edgeConfig to fs; finish, called after
// fs.Parse, checks them and fills cfg.
func edgeFlags(fs *flag.FlagSet, getenv func(string) string) (finish func(cfg *edgeConfig) error) {
	envOr := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	def := httpapi.DefaultLimits()
	add := func(name, env, def, usage string) *string {
		v := new(string)
		fs.StringVar(v, name, envOr(env, def), fmt.Sprintf("%s (env %s)", usage, env))
		return v
	}
	trusted := add("trusted-proxies", "DOORSTEP_TRUSTED_PROXIES", defaultTrustedProxies,
		"reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses and CIDR prefixes, or none")
	accessLog := add("access-log", "DOORSTEP_ACCESS_LOG", "off", "one log line per request: on or off")
	logFile := add("log-file", "DOORSTEP_LOG_FILE", "", fmt.Sprintf("write the log to this `file`, rotated at %d MB with %d old files kept, instead of standard error", logFileMB, logFileBackups))
	lockAfter := add("signin-lockout-after", "DOORSTEP_SIGNIN_LOCKOUT_AFTER", strconv.Itoa(def.SignInAccountFailures),
		"failed sign-ins of one account within 15 minutes that lock it; 0 never locks")
	addrLockAfter := add("signin-address-lockout-after", "DOORSTEP_SIGNIN_ADDRESS_LOCKOUT_AFTER", strconv.Itoa(def.SignInAddressFailures),
		"failed sign-ins from one client address within 15 minutes that lock it; 0 never locks")
	lockout := add("signin-lockout", "DOORSTEP_SIGNIN_LOCKOUT", def.SignInLockout.String(), "first sign-in lock-out; each further one in a row doubles")
	lockoutMax := add("signin-lockout-max", "DOORSTEP_SIGNIN_LOCKOUT_MAX", def.SignInLockoutMax.String(), "longest sign-in lock-out")
	signInRate := add("signin-rate", "DOORSTEP_SIGNIN_RATE", def.SignInRate.String(), "sign-in attempts per client address, e.g. 30/m; off for none")
	redeemRate := add("redeem-rate", "DOORSTEP_REDEEM_RATE", def.RedeemRate.String(), "invite and portal-link redemptions per client address (a failed one counts 5)")
	createRate := add("create-rate", "DOORSTEP_CREATE_RATE", def.CreateRate.String(), "new uploads, and new portal links, per person (4 times as many per client address)")
	linkRequestRate := add("link-request-rate", "DOORSTEP_LINK_REQUEST_RATE", def.LinkRequestRate.String(),
		"new portal links tenants ask for, per e-mail address or phone number (4 times as many per client address)")
	eventsRate := add("events-rate", "DOORSTEP_EVENTS_RATE", def.EventsRate.String(), "live-event connections per session")

	return func(cfg *edgeConfig) error {
		var err error
		if cfg.TrustedProxies, err = httpapi.ParseTrustedProxies(*trusted); err != nil {
			return fmt.Errorf("-trusted-proxies: %w", err)
		}
		switch *accessLog {
		case "on":
			cfg.AccessLog = true
		case "off":
			cfg.AccessLog = false
		default:
			return fmt.Errorf("-access-log %q: want on or off", *accessLog)
		}
		cfg.LogFile = *logFile
		count := func(name, v string) (int, error) {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("-%s %q: want a whole number, 0 or more", name, v)
			}
			return n, nil
		}
		duration := func(name, v string) (time.Duration, error) {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return 0, fmt.Errorf("-%s %q: want a duration of at least 1s, such as 1m", name, v)
			}
			return d, nil
		}
		rateOf := func(name, v string) (httpapi.Rate, error) {
			r, err := httpapi.ParseRate(v)
			if err != nil {
				return r, fmt.Errorf("-%s %w", name, err)
			}
			return r, nil
		}
		l := &cfg.Limits
		for _, step := range []func() error{
			func() (err error) { l.SignInAccountFailures, err = count("signin-lockout-after", *lockAfter); return },
			func() (err error) {
				l.SignInAddressFailures, err = count("signin-address-lockout-after", *addrLockAfter)
				return
			},
			func() (err error) { l.SignInLockout, err = duration("signin-lockout", *lockout); return },
			func() (err error) { l.SignInLockoutMax, err = duration("signin-lockout-max", *lockoutMax); return },
			func() (err error) { l.SignInRate, err = rateOf("signin-rate", *signInRate); return },
			func() (err error) { l.RedeemRate, err = rateOf("redeem-rate", *redeemRate); return },
			func() (err error) { l.CreateRate, err = rateOf("create-rate", *createRate); return },
			func() (err error) { l.EventsRate, err = rateOf("events-rate", *eventsRate); return },
			func() (err error) { l.LinkRequestRate, err = rateOf("link-request-rate", *linkRequestRate); return },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		if l.SignInLockoutMax < l.SignInLockout {
			return fmt.Errorf("-signin-lockout-max %s is shorter than -signin-lockout %s", l.SignInLockoutMax, l.SignInLockout)
		}
		return nil
	}
}

// openLog makes the server's logger: to standard error (which journald
// keeps, and bounds, under systemd), or to a file rotated by size.
func openLog(cfg edgeConfig, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	if cfg.LogFile == "" {
		return slog.New(slog.NewTextHandler(stderr, nil)), io.NopCloser(nil), nil
	}
	f := &lumberjack.Logger{Filename: cfg.LogFile, MaxSize: logFileMB, MaxBackups: logFileBackups, Compress: true}
	// Open it now, so a file that cannot be written stops the start with
	// a reason instead of losing every line.
	if _, err := f.Write(nil); err != nil {
		return nil, nil, fmt.Errorf("-log-file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), f, nil
}

// edgeOptions are the server options edgeConfig stands for.
func edgeOptions(cfg edgeConfig) []httpapi.Option {
	return []httpapi.Option{
		httpapi.WithLimits(cfg.Limits),
		httpapi.WithTrustedProxies(cfg.TrustedProxies...),
		httpapi.WithAccessLog(cfg.AccessLog),
	}
}
