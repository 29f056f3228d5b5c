// Command doorstep-server runs the Doorstep chat server: the HTTP and
// websocket API for the desktop app and the tenant portal, over an embedded
// SQLite database kept in a data directory, or over PostgreSQL (-store).
//
// Usage:
//
//	doorstep-server [serve] [-addr host:port] [-data dir] [-store postgres://…] [-url-file file] [-demo] [-event-retention 720h]
//	                [-tls-cert FILE -tls-key FILE | -acme-domain NAMES [-acme-email ADDRESS]] [-metrics-addr host:port] [-pprof]
//	                [-sign-every 10m] [-audit-every 24h] [-new-signing-key]
//	doorstep-server add-landlord -org NAME -tz ZONE [-currency CODE] [-locale TAG] -email EMAIL -name NAME [-sub-user] [-data dir] [-store postgres://…]
//	doorstep-server org -main EMAIL -currency CODE -locale TAG [-data dir] [-store postgres://…]
//	doorstep-server import -landlord EMAIL [-data dir] [-store postgres://…] FILE.csv
//	doorstep-server demo [-data dir] [-store postgres://…]
//	doorstep-server mailbox [-data dir]
//	doorstep-server portal-link -tenant EMAIL [-data dir] [-store postgres://…] [-public-url URL]
//	doorstep-server sign-out -email EMAIL [-data dir] [-store postgres://…]
//	doorstep-server health [-url URL] [-wait duration]
//	doorstep-server backup [-data dir] DEST
//	doorstep-server verify DIR
//	doorstep-server verify-chain [-data dir] [-store postgres://…]
//	doorstep-server move-to-postgres [-data dir] -store postgres://…
//	doorstep-server verify-export [-fingerprint FP] PATH
//	doorstep-server key [-data dir] [-store postgres://…]
//	doorstep-server restore [-data dir] SRC
//	doorstep-server version
//
// Every flag has an environment variable (see the README); a flag wins.
// backup, restore and verify work on SQLite only: on PostgreSQL use its
// own tools, and verify-chain -store to check the histories
// (docs/deploy.md).
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/hub"
	"doorstep/backend/metrics"
	"doorstep/backend/natsbridge"
	"doorstep/backend/notify"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// Defaults. The server listens on loopback unless told otherwise: exposing it
// is a decision its host makes, behind TLS.
const (
	defaultAddr     = "127.0.0.1:8765"
	dataDirName     = "doorstep-server"
	databaseFile    = "doorstep.db"
	shutdownTimeout = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "doorstep-server:", err)
		}
		os.Exit(2)
	}
}

// run is main without the process: tests call it with their own arguments,
// environment and context, and with options for the store they open (fast
// password hashes).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, store ...sqlite.Option) error {
	cmd := "serve"
	if len(args) > 0 && !isFlag(args[0]) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseServeConfig(args, getenv, stderr)
		if err != nil {
			return err
		}
		cfg.store = store
		return serve(ctx, cfg, stdout, stderr)
	case "health":
		return health(ctx, args, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args, getenv, stdout, stderr, store...)
	case "demo":
		return demoCmd(ctx, args, getenv, stdout, stderr, store...)
	case "add-landlord":
		return addLandlordCmd(ctx, args, getenv, os.Stdin, stdout, stderr, store...)
	case "org":
		return orgCmd(ctx, args, getenv, stdout, stderr, store...)
	case "mailbox":
		return mailboxCmd(args, getenv, stdout, stderr)
	case "portal-link":
		return portalLinkCmd(ctx, args, getenv, stdout, stderr, store...)
	case "sign-out":
		return signOutCmd(ctx, args, getenv, stdout, stderr, store...)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout, stderr)
	case "verify":
		return verifyCmd(ctx, args, getenv, stdout, stderr)
	case "verify-chain":
		return verifyChainCmd(ctx, args, getenv, stdout, stderr)
	case "move-to-postgres":
		return moveToPostgresCmd(ctx, args, getenv, stdout, stderr)
	case "key":
		return keyCmd(ctx, args, getenv, stdout, stderr)
	case "verify-export":
		return verifyExportCmd(args, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "doorstep-server", backend.Version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (commands: serve, add-landlord, org, import, demo, mailbox, portal-link, sign-out, health, backup, verify, verify-chain, verify-export, restore, key, move-to-postgres, version)", cmd)
	}
}

func isFlag(s string) bool { return len(s) > 0 && s[0] == '-' }

// serveConfig is what `serve` needs, after flags and environment.
type serveConfig struct {
	Addr    string // host:port to listen on; port 0 picks a free one
	DataDir string // holds the database (and, later, uploaded files)
	URLFile string // if set, the server's base URL is written here once it listens
	// EventRetention is how long the event log keeps events for clients to
	// catch up with; one offline longer is told to resync.
	EventRetention time.Duration
	Demo           bool  // seed the demo landlord into an empty database
	MaxUploadMB    int64 // largest accepted file
	// PublicURL is the server's address as tenants reach it (the links in
	// notifications); empty: the address it listens on.
	PublicURL string
	// NewMessageEmail is the least time between two e-mails to a tenant
	// about new messages in one conversation; 0 sends none.
	NewMessageEmail time.Duration
	// StorageProbe is how often the database and the files directory are
	// checked for writing (what /healthz reports).
	StorageProbe time.Duration
	SMTP         notify.SMTPConfig // Host empty: e-mail goes to the dev mailbox
	SMS          notify.SMSConfig  // BaseURL empty: text messages go to the dev mailbox
	Edge         edgeConfig        // limits, trusted proxies, logs
	TLS          tlsConfig         // off: plain HTTP on Addr
	// MetricsAddr is where Prometheus metrics are served; empty: off.
	MetricsAddr string
	// Pprof serves Go's profiles beside the metrics (loopback only).
	Pprof bool
	// SignEvery is how often the heads of conversations that changed are
	// signed; 0: only on request.
	SignEvery time.Duration
	// AuditEvery is how often every conversation's whole chain is checked
	// as verify-chain does; 0: never.
	AuditEvery time.Duration
	// NewSigningKey allows a new signing key while the database holds
	// signatures made with a key that is missing, or records another
	// fingerprint than the node's key.
	NewSigningKey bool
	// Store is a postgres:// URL: the database is PostgreSQL there; empty:
	// SQLite in DataDir.
	Store string
	// NATS is a nats:// URL: live events reach the other server nodes
	// sharing the PostgreSQL database through NATS there; empty: one node.
	NATS  string
	store []sqlite.Option // how a SQLite database is opened
}

func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	envOr := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var cfg serveConfig
	fs := flag.NewFlagSet("doorstep-server serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", envOr("DOORSTEP_ADDR", defaultAddr), "`host:port` to listen on (env DOORSTEP_ADDR)")
	dataFlag(fs, &cfg.DataDir, getenv)
	fs.StringVar(&cfg.Store, "store", getenv("DOORSTEP_STORE"), "a postgres:// `URL`: keep the data in PostgreSQL there rather than SQLite in the data directory (env DOORSTEP_STORE)")
	fs.StringVar(&cfg.NATS, "nats", getenv("DOORSTEP_NATS_URL"), "a nats:// `URL`: pass live events to the other server nodes sharing the -store database through NATS there (env DOORSTEP_NATS_URL)")
	fs.BoolVar(&cfg.Demo, "demo", getenv("DOORSTEP_DEMO") == "1", "seed a demo landlord when the database is empty (env DOORSTEP_DEMO=1)")
	fs.StringVar(&cfg.URLFile, "url-file", getenv("DOORSTEP_URL_FILE"), "write the server's URL to this `file` once it listens (env DOORSTEP_URL_FILE)")
	maxUpload, err := strconv.ParseInt(envOr("DOORSTEP_MAX_UPLOAD_MB", "25"), 10, 64)
	if err != nil {
		return cfg, fmt.Errorf("DOORSTEP_MAX_UPLOAD_MB: want a whole number of megabytes")
	}
	fs.Int64Var(&cfg.MaxUploadMB, "max-upload", maxUpload, "largest accepted file in `MB` (env DOORSTEP_MAX_UPLOAD_MB)")
	retention := envOr("DOORSTEP_EVENT_RETENTION", "720h")
	fs.Func("event-retention", "how long to keep events for reconnecting clients, e.g. 720h (env DOORSTEP_EVENT_RETENTION; default 720h = 30 days)", func(v string) error {
		retention = v
		return nil
	})
	fs.StringVar(&cfg.PublicURL, "public-url", getenv("DOORSTEP_PUBLIC_URL"), "the server's `URL` as tenants reach it, for the links in notifications (env DOORSTEP_PUBLIC_URL; default: where it listens)")
	fs.StringVar(&cfg.SMTP.Host, "smtp-host", getenv("DOORSTEP_SMTP_HOST"), "SMTP server for e-mail to tenants (env DOORSTEP_SMTP_HOST; none: the dev mailbox)")
	smtpPort := envOr("DOORSTEP_SMTP_PORT", "0")
	fs.Func("smtp-port", "SMTP `port` (env DOORSTEP_SMTP_PORT; default 587 for starttls, 465 for tls, 25 for none)", func(v string) error { smtpPort = v; return nil })
	fs.StringVar(&cfg.SMTP.TLS, "smtp-tls", envOr("DOORSTEP_SMTP_TLS", "starttls"), "SMTP security: starttls, tls or none (env DOORSTEP_SMTP_TLS)")
	fs.StringVar(&cfg.SMTP.User, "smtp-user", getenv("DOORSTEP_SMTP_USER"), "SMTP user name (env DOORSTEP_SMTP_USER; the password only from DOORSTEP_SMTP_PASSWORD)")
	fs.StringVar(&cfg.SMTP.From, "smtp-from", getenv("DOORSTEP_SMTP_FROM"), "sender of e-mail, e.g. \"Maple Street Rentals <chat@example.org>\" (env DOORSTEP_SMTP_FROM)")
	cfg.SMTP.Password = getenv("DOORSTEP_SMTP_PASSWORD")
	fs.StringVar(&cfg.SMS.BaseURL, "sms-url", getenv("DOORSTEP_SMS_URL"), "base `URL` of a Twilio-compatible SMS API, e.g. https://api.twilio.com (env DOORSTEP_SMS_URL; none: the dev mailbox)")
	fs.StringVar(&cfg.SMS.Account, "sms-account", getenv("DOORSTEP_SMS_ACCOUNT"), "SMS account id (env DOORSTEP_SMS_ACCOUNT; the token only from DOORSTEP_SMS_TOKEN)")
	fs.StringVar(&cfg.SMS.From, "sms-from", getenv("DOORSTEP_SMS_FROM"), "sender number for text messages, e.g. +15005550006 (env DOORSTEP_SMS_FROM)")
	cfg.SMS.Token = getenv("DOORSTEP_SMS_TOKEN")
	newMessageEmail := envOr("DOORSTEP_NEW_MESSAGE_EMAIL", "1h")
	fs.Func("new-message-email", "least time between two e-mails to a tenant who is not online about new messages in one conversation, e.g. 1h; 0 sends none (env DOORSTEP_NEW_MESSAGE_EMAIL; default 1h)", func(v string) error {
		newMessageEmail = v
		return nil
	})
	storageProbe := envOr("DOORSTEP_STORAGE_PROBE", defaultStorageProbe.String())
	fs.Func("storage-probe", "how often to check that the database and files can still be written, reported by /healthz, e.g. 15s (env DOORSTEP_STORAGE_PROBE; default 15s)", func(v string) error {
		storageProbe = v
		return nil
	})
	fs.BoolVar(&cfg.NewSigningKey, "new-signing-key", false, "sign with a new key: make one when signing.key is missing though the database holds signatures made with it, or sign with this data directory's key though the database records another (earlier signatures will show as made with another key)")
	signEvery := envOr("DOORSTEP_SIGN_EVERY", defaultSignEvery.String())
	fs.Func("sign-every", "how often to sign the heads of conversations that changed, e.g. 10m; 0 signs only on request (env DOORSTEP_SIGN_EVERY; default 10m)", func(v string) error {
		signEvery = v
		return nil
	})
	auditEvery := envOr("DOORSTEP_AUDIT_EVERY", defaultAuditEvery.String())
	fs.Func("audit-every", "how often to check every conversation's whole history against its chain and signatures, as verify-chain does, e.g. 24h; 0 never (env DOORSTEP_AUDIT_EVERY; default 24h)", func(v string) error {
		auditEvery = v
		return nil
	})
	finishEdge := edgeFlags(fs, getenv)
	finishTLS := tlsFlags(fs, getenv)
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", getenv("DOORSTEP_METRICS_ADDR"), "serve Prometheus metrics at /metrics on this `host:port`, apart from the public listener, e.g. 127.0.0.1:9090 (env DOORSTEP_METRICS_ADDR; default off)")
	fs.BoolVar(&cfg.Pprof, "pprof", getenv("DOORSTEP_PPROF") == "1", "serve Go's profiles at /debug/pprof/ beside the metrics; -metrics-addr must then be a loopback address (env DOORSTEP_PPROF=1; default off)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := checkPprof(cfg.Pprof, cfg.MetricsAddr); err != nil {
		return cfg, err
	}
	if err := finishEdge(&cfg.Edge); err != nil {
		return cfg, err
	}
	addrSet := getenv("DOORSTEP_ADDR") != ""
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if err := finishTLS(&cfg.TLS, addrSet); err != nil {
		return cfg, err
	}
	if len(cfg.TLS.ACMEDomains) > 0 && cfg.PublicURL == "" {
		cfg.PublicURL = acmePublicURL(cfg.TLS)
	}
	if cfg.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.MetricsAddr); err != nil {
			return cfg, fmt.Errorf("-metrics-addr %q: want host:port, such as 127.0.0.1:9090", cfg.MetricsAddr)
		}
	}
	if cfg.NewMessageEmail, err = time.ParseDuration(newMessageEmail); err != nil || cfg.NewMessageEmail < 0 {
		return cfg, fmt.Errorf("-new-message-email %q: want a duration such as 1h, or 0 for none", newMessageEmail)
	}
	if cfg.StorageProbe, err = time.ParseDuration(storageProbe); err != nil || cfg.StorageProbe < 10*time.Millisecond {
		return cfg, fmt.Errorf("-storage-probe %q: want a duration such as 15s", storageProbe)
	}
	if cfg.SignEvery, err = time.ParseDuration(signEvery); err != nil || (cfg.SignEvery != 0 && cfg.SignEvery < time.Second) {
		return cfg, fmt.Errorf("-sign-every %q: want a duration such as 10m, or 0 to sign only on request", signEvery)
	}
	if cfg.AuditEvery, err = time.ParseDuration(auditEvery); err != nil || (cfg.AuditEvery != 0 && cfg.AuditEvery < time.Second) {
		return cfg, fmt.Errorf("-audit-every %q: want a duration such as 24h, or 0 for no audit", auditEvery)
	}
	if cfg.SMTP.Port, err = strconv.Atoi(smtpPort); err != nil || cfg.SMTP.Port < 0 || cfg.SMTP.Port > 65535 {
		return cfg, fmt.Errorf("-smtp-port %q: want a port number", smtpPort)
	}
	d, err := time.ParseDuration(retention)
	if err != nil || d < time.Hour {
		return cfg, fmt.Errorf("-event-retention %q: want a duration of at least 1h, such as 720h", retention)
	}
	cfg.EventRetention = d
	if cfg.MaxUploadMB < 1 || cfg.MaxUploadMB > 4096 {
		return cfg, fmt.Errorf("-max-upload %d: want 1 to 4096 MB", cfg.MaxUploadMB)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := checkStoreURL(cfg.Store); err != nil {
		return cfg, err
	}
	if err := checkNATS(cfg.NATS, cfg.Store); err != nil {
		return cfg, err
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, fmt.Errorf("-addr %q: want host:port", cfg.Addr)
	}
	if cfg.PublicURL != "" {
		if _, err := portalBaseURL(cfg.PublicURL); err != nil {
			return cfg, err
		}
	}
	cfg.DataDir, err = resolveDataDir(cfg.DataDir)
	return cfg, err
}

func serve(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) error {
	logger, logFile, err := openLog(cfg.Edge, stderr)
	if err != nil {
		return err
	}
	defer logFile.Close()
	metered, err := openMetrics(cfg.MetricsAddr, logger)
	if err != nil {
		return err
	}
	if cfg.Pprof {
		metered.addPprof()
	}
	closeMetrics := func() {
		if metered != nil {
			metered.ln.Close()
		}
	}
	key, err := openSigningKey(ctx, cfg.DataDir, cfg.Store, cfg.NewSigningKey, logger)
	if err != nil {
		closeMetrics()
		return err
	}
	db, err := openStore(ctx, cfg, key, metered)
	if err != nil {
		closeMetrics()
		return err
	}
	defer db.Close()
	if err := recordSigningKey(ctx, db, key, cfg.NewSigningKey, logger); err != nil {
		closeMetrics()
		return err
	}
	if cfg.Demo {
		if err := seedDemo(ctx, db, stdout); err != nil {
			closeMetrics()
			return err
		}
	}
	door, err := openFrontDoor(cfg, logger)
	if err != nil {
		closeMetrics()
		return err
	}
	p, err := assemble(ctx, cfg, db, door.url, logger, metered)
	if err != nil {
		door.api.Close()
		if door.plain != nil {
			door.plain.Close()
		}
		closeMetrics()
		return err
	}
	defer p.closeBridge()
	p.chains, p.signingKey = auditedStore(cfg, db), signingkey.Public(key)
	p.startJobs(ctx, cfg)
	return p.serveUntilDone(ctx, cfg, door, metered, stdout)
}

// parts are the running server's pieces around its database.
type parts struct {
	db     serverStore
	srv    *httpapi.Server
	events *hub.Hub
	files  filestore.Files
	logger *slog.Logger
	// bridge links the node to the others (-nats); nil: one node.
	bridge *natsbridge.Bridge
	// observeSigning is told what each round of the periodic signer did;
	// nil without metrics.
	observeSigning func(signed, problems int)
	// chains is the store as the periodic audit checks it, against
	// signingKey.
	chains     chainAuditor
	signingKey ed25519.PublicKey
}

// assemble wires the live fan-out, the file store, the HTTP server and the
// notification sender to the database, and runs the first storage probe,
// so a server started on a full disk says so from its first answer.
func assemble(ctx context.Context, cfg serveConfig, db serverStore, url string, logger *slog.Logger, metered *metricsDoor) (*parts, error) {
	events := hub.New()
	publish, bridge, err := fanOut(cfg, db, events, logger)
	if err != nil {
		return nil, err
	}
	files, err := openFiles(cfg, db)
	if err != nil {
		closeBridge(bridge)
		return nil, err
	}
	opts := append(edgeOptions(cfg.Edge), httpapi.WithHub(events), httpapi.WithFiles(files), httpapi.WithPublicHosts(publicHosts(cfg)...))
	if metered != nil {
		opts = append(opts, httpapi.WithRequestObserver(metered.m.ObserveRequest))
	}
	srv := httpapi.NewServer(db, logger, opts...)
	worker, err := notificationWorker(cfg, db, url, logger)
	if err != nil {
		closeBridge(bridge)
		return nil, err
	}
	if metered != nil {
		metered.m.Watch(metrics.Sources{Websockets: events.Subscribers, QueuedNotifications: db.QueuedNotifications})
		db.SetEventSink(func(ds []backend.Delivery) { publish(ds); metered.m.ObserveEvents(ds) })
		worker.Observe = func(channel string, outcome notify.Outcome) { metered.m.ObserveNotification(channel, string(outcome)) }
	}
	db.SetNotificationsQueued(worker.Wake)
	go worker.Run(ctx)
	srv.ProbeStorage(ctx)
	p := &parts{db: db, srv: srv, events: events, files: files, logger: logger, bridge: bridge}
	if metered != nil {
		p.observeSigning = metered.m.ObserveChainSigning
	}
	return p, nil
}

// startJobs runs the server's periodic jobs until ctx ends: the storage
// probe /healthz reports (it logs the changes), pruning old events and
// unfinished uploads, signing changed chain heads, auditing every chain,
// and the e-mail to
// tenants who are not online. All but the probe, which is this node's own,
// run on one node at a time (see once). With nodes sharing a database,
// each also tells the others who is reading on it.
func (p *parts) startJobs(ctx context.Context, cfg serveConfig) {
	go repeatAfter(ctx, cfg.StorageProbe, func() { p.srv.ProbeStorage(ctx) })
	go repeat(ctx, time.Hour, p.once(ctx, "prune-events", time.Hour, func() error {
		n, err := p.db.PruneEvents(ctx, time.Now().Add(-cfg.EventRetention))
		if err != nil {
			p.logger.Error("pruning events", "err", err)
		} else if n > 0 {
			p.logger.Info("pruned events", "count", n, "older_than", cfg.EventRetention)
		}
		return err
	}))
	go repeat(ctx, time.Hour, p.once(ctx, "prune-uploads", time.Hour, func() error {
		n, err := p.files.PrunePartials(time.Now().Add(-uploadRetention))
		if err != nil {
			p.logger.Error("pruning uploads", "err", err)
		} else if n > 0 {
			p.logger.Info("pruned unfinished uploads", "count", n, "older_than", uploadRetention)
		}
		return err
	}))
	if cfg.SignEvery > 0 {
		go repeatAfter(ctx, cfg.SignEvery, p.once(ctx, "sign-heads", cfg.SignEvery, func() error {
			return signChangedHeads(ctx, p.db, p.logger, p.observeSigning)
		}))
	}
	if cfg.AuditEvery > 0 && p.chains != nil {
		go repeatAfter(ctx, cfg.AuditEvery, p.once(ctx, "audit-chains", cfg.AuditEvery, func() error {
			return auditChains(ctx, p.chains, p.signingKey, p.logger, p.observeSigning)
		}))
	}
	if shared, ok := p.db.(sharedPresence); ok {
		go repeat(ctx, presenceEvery, func() {
			if err := shared.ReportOnline(ctx, p.events.OnlineOf(backend.KindTenant)); err != nil && ctx.Err() == nil {
				p.logger.Error("telling the other nodes who is online here", "err", err)
			}
		})
	}
	if cfg.NewMessageEmail > 0 {
		go repeat(ctx, time.Minute, p.once(ctx, "new-message-emails", time.Minute, func() error {
			online, err := onlineAnywhere(ctx, p.db, p.events)
			if err != nil {
				p.logger.Error("queueing new-message e-mails: who is online", "err", err)
				return err
			}
			n, err := p.db.QueueNewMessageEmails(ctx, time.Now(), cfg.NewMessageEmail, newMessageGrace, online)
			if err != nil {
				p.logger.Error("queueing new-message e-mails", "err", err)
			} else if n > 0 {
				p.logger.Info("queued new-message e-mails", "count", n)
			}
			return err
		}))
	}
}

// serveUntilDone answers at the front door (and the metrics' listener),
// says where (and in the -url-file), and shuts down gracefully when ctx
// ends or a listener fails.
func (p *parts) serveUntilDone(ctx context.Context, cfg serveConfig, door *frontDoor, metered *metricsDoor, stdout io.Writer) error {
	errc := make(chan error, 1)
	go func() {
		if door.tls != nil {
			errc <- p.srv.ServeTLS(door.api, door.tls)
		} else {
			errc <- p.srv.Serve(door.api)
		}
	}()
	others := make(chan error, 2) // the redirect's and the metrics' listeners
	door.serveRedirect(others)
	metered.serve(others)
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		door.shutdownRedirect(sctx)
		if metered != nil {
			metered.srv.Shutdown(sctx)
		}
		return p.srv.Shutdown(sctx)
	}
	door.describe(stdout)
	metered.describe(stdout)
	if cfg.Store != "" {
		fmt.Fprintln(stdout, "database: PostgreSQL (-store)") // never the URL: it may hold a password
	}
	if cfg.NATS != "" {
		fmt.Fprintln(stdout, "live events to and from other nodes: NATS (-nats)")
	}
	fmt.Fprintf(stdout, "doorstep-server %s listening on %s (data in %s)\n", backend.Version, door.url, cfg.DataDir)
	// The -url-file comes last: whoever waits for it may read all of the
	// above once it is there.
	if cfg.URLFile != "" {
		if err := writeFileAtomic(cfg.URLFile, door.url+"\n"); err != nil {
			shutdown()
			return fmt.Errorf("-url-file: %w", err)
		}
	}
	select {
	case err := <-errc:
		shutdown()
		return err
	case err := <-others:
		shutdown()
		<-errc
		return err
	case <-ctx.Done():
	}
	p.logger.Info("shutting down")
	if err := shutdown(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return <-errc
}

// publicHosts are the names browsers reach the server by, for its check
// against DNS rebinding: the public URL's host and the listen address's
// when it is a name. The address a connection arrives at (an -addr of
// 127.0.0.1:8765 as much as any address of 0.0.0.0) and localhost on
// loopback are always accepted; a server behind NAT or a port mapping
// needs -public-url.
func publicHosts(cfg serveConfig) []string {
	var hosts []string
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	if h, _, err := net.SplitHostPort(cfg.Addr); err == nil && h != "" && net.ParseIP(h) == nil {
		hosts = append(hosts, h)
	}
	return append(hosts, cfg.TLS.ACMEDomains...)
}

// mailboxDir is where notifications go when no SMTP server or SMS provider
// is configured (see `doorstep-server mailbox`).
func mailboxDir(dataDir string) string { return filepath.Join(dataDir, "mailbox") }

// notificationWorker sets up the senders of tenant notifications: SMTP and
// the SMS provider when configured, else the dev mailbox, said clearly in
// the log so nothing is thought sent that was not.
func notificationWorker(cfg serveConfig, db notify.Store, url string, logger *slog.Logger) (*notify.Worker, error) {
	var box *notify.Mailbox
	// devMailbox opens the mailbox (once) and says loudly what goes there.
	devMailbox := func(warning string) (*notify.Mailbox, error) {
		if box == nil {
			var err error
			if box, err = notify.OpenMailbox(mailboxDir(cfg.DataDir)); err != nil {
				return nil, err
			}
		}
		logger.Warn(warning, "mailbox", box.Path())
		return box, nil
	}
	var email notify.EmailSender
	if cfg.SMTP.Host != "" {
		s, err := notify.NewSMTP(cfg.SMTP)
		if err != nil {
			return nil, fmt.Errorf("e-mail: %w", err)
		}
		email = s
	} else {
		b, err := devMailbox("notifications: no SMTP server is configured, so e-mail to tenants goes to the DEV MAILBOX, not to them; list it with `doorstep-server mailbox`")
		if err != nil {
			return nil, err
		}
		email = b
	}
	var sms notify.SMSSender
	if cfg.SMS.BaseURL != "" {
		s, err := notify.NewTwilioSMS(cfg.SMS, nil)
		if err != nil {
			return nil, fmt.Errorf("text messages: %w", err)
		}
		sms = s
	} else {
		b, err := devMailbox("notifications: no SMS provider is configured, so text messages to tenants go to the DEV MAILBOX, not to them; list it with `doorstep-server mailbox`")
		if err != nil {
			return nil, err
		}
		sms = b
	}
	public := cfg.PublicURL
	if public == "" {
		public = url
	}
	return notify.NewWorker(db, email, sms, public, logger), nil
}

// mailboxCmd lists the dev mailbox: the notifications that would have been
// e-mailed or texted to tenants.
func mailboxCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dataDir string
	fs := flag.NewFlagSet("doorstep-server mailbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &dataDir, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dataDir, err := resolveDataDir(dataDir)
	if err != nil {
		return err
	}
	box, err := notify.OpenMailbox(mailboxDir(dataDir))
	if err != nil {
		return err
	}
	list, err := box.List()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "DEV MAILBOX (%s): notifications kept here because no SMTP server or SMS provider is configured; none of them reached a tenant.\n", box.Path())
	if len(list) == 0 {
		fmt.Fprintln(stdout, "(empty)")
	}
	for _, m := range list {
		fmt.Fprintf(stdout, "\n--- %s %s to %s\n", m.Time.Local().Format("2006-01-02 15:04:05"), strings.ToUpper(m.Channel), recipient(m))
		if m.Subject != "" {
			fmt.Fprintf(stdout, "Subject: %s\n", m.Subject)
		}
		fmt.Fprintln(stdout, strings.TrimRight(m.Text, "\n"))
	}
	return nil
}

func recipient(m notify.MailboxEntry) string {
	if m.ToName != "" {
		return fmt.Sprintf("%s <%s>", m.ToName, m.To)
	}
	return m.To
}

// newMessageGrace is how long a message stays unread before its e-mail is
// queued: a tenant reading along in the portal gets none.
const newMessageGrace = 2 * time.Minute

// repeat runs job now and then every period, until ctx ends.
// repeatAfter is repeat with the first run one period from now.
func repeatAfter(ctx context.Context, period time.Duration, job func()) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(period):
	}
	repeat(ctx, period, job)
}

func repeat(ctx context.Context, period time.Duration, job func()) {
	for {
		job()
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

// defaultStorageProbe is how often the server checks that its database and
// files directory can still write, so /healthz reports a full disk within
// that time. A probe is one tiny commit and one small file.
const defaultStorageProbe = 15 * time.Second

// uploadRetention is how long an unfinished resumable upload is kept.
const uploadRetention = 48 * time.Hour

// health checks a running server, waiting up to -wait for it to become
// healthy: scripts use it to start the desktop app only once the server is up.
func health(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-server health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "http://" + defaultAddr
	if a := getenv("DOORSTEP_ADDR"); a != "" {
		def = "http://" + a
	}
	url := fs.String("url", def, "server `URL` to check")
	wait := fs.Duration("wait", 0, "keep trying for this long before giving up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := client.New(*url)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(*wait)
	for {
		h, err := c.Health(ctx)
		if err == nil {
			fmt.Fprintf(stdout, "%s: ok (doorstep-server %s, server id %s)\n", c.BaseURL(), h.Version, h.ServerID)
			return nil
		}
		if time.Now().After(deadline) || backend.ErrorCode(err) == backend.EINVALID {
			return fmt.Errorf("%s: %s", c.BaseURL(), backend.ErrorMessage(err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeFileAtomic writes through a temporary file and a rename, so a reader
// polling for the file never sees it half-written.
func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
