package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"doorstep/app/attach"
	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/app/keychain"
	"doorstep/backend"
	"doorstep/backend/client"
)

// KeyStore keeps session tokens (the OS keychain in the app).
type KeyStore interface {
	Save(server, email, token string) error
	Load(server, email string) (string, error)
	Delete(server, email string) error
}

// AccountState is what the UI knows about the signed-in account.
type AccountState struct {
	SignedIn bool   `json:"signedIn"`
	Server   string `json:"server"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	OrgName  string `json:"orgName"`
	// Currency is the organisation's (ISO 4217), for rents and deposits;
	// "" when the server does not say (older than Me.Currency).
	Currency string           `json:"currency"`
	Notice   string           `json:"notice,omitempty"` // e.g. the keychain cannot be used
	Sync     engine.SyncState `json:"sync"`
	// Notifications says whether desktop notifications are on.
	Notifications bool `json:"notifications"`
}

// accountFile remembers which account to restore on the next start. It holds
// no secret: the token is in the keychain.
type accountFile struct {
	Server        string `json:"server"`
	Email         string `json:"email"`
	ServerID      string `json:"serverId"`
	Notifications *bool  `json:"notifications,omitempty"`
}

// session is a signed-in account with its cache and sync engine running.
type session struct {
	me     backend.Me
	server string
	client *client.Client
	cache  *cache.Cache
	engine *engine.Engine
	cancel context.CancelFunc
	done   chan struct{}
	notice string
}

func (s *session) stop() {
	s.cancel()
	<-s.done
	s.cache.Close()
}

// AccountService signs the landlord in and out and restores the last
// session at start-up. Bound to the UI as window.go.app.AccountService.
//
// Locks: the sync engine's goroutines call back into the service (is a
// notification wanted?) while a sign-out may be waiting for them to end, so
// nothing they need is ever held across such a wait or across network I/O.
// lifecycle puts SignIn, SignOut, Restore and shutdown in one line, each
// finished before the next begins; it may be held while a session stops
// (waiting for its engine) and over local work (keychain, cache), never over
// a network call, and the engine never takes it. mu guards the current
// session for a few instructions at a time.
type AccountService struct {
	cfg     Config
	life    *Lifecycle
	keys    KeyStore
	dataDir string
	emit    engine.Emitter
	logger  *slog.Logger

	lifecycle sync.Mutex

	mu   sync.Mutex
	sess *session
	// ended counts sign-outs and quits: a sign-in whose answer comes back
	// after one of them was begun before it and is dropped.
	ended uint64

	// fileMu makes each change of the account file whole.
	fileMu sync.Mutex
	// notifications is read by the engine's notifier, on its goroutine.
	notifications atomic.Bool
}

// NewAccountService wires the account service: keys is where tokens go,
// dataDir where caches and the account file live, emit sends UI events.
func NewAccountService(cfg Config, life *Lifecycle, keys KeyStore, dataDir string, emit engine.Emitter, logger *slog.Logger) *AccountService {
	if emit == nil {
		emit = func(string, any) {}
	}
	a := &AccountService{cfg: cfg, life: life, keys: keys, dataDir: dataDir, emit: emit, logger: logger}
	a.notifications.Store(true)
	life.OnStop(a.shutdown)
	return a
}

func (a *AccountService) accountPath() string { return filepath.Join(a.dataDir, "account.json") }

func (a *AccountService) readAccount() (accountFile, bool) {
	var f accountFile
	b, err := os.ReadFile(a.accountPath())
	if err != nil || json.Unmarshal(b, &f) != nil || f.Server == "" || f.Email == "" {
		return f, false
	}
	return f, true
}

// writeAccount replaces the account file; callers hold fileMu.
func (a *AccountService) writeAccount(f accountFile) error {
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	tmp := a.accountPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, a.accountPath())
}

// current is the signed-in session, or nil.
func (a *AccountService) current() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

// State reports the current account.
func (a *AccountService) State() (AccountState, error) {
	return a.state(), nil
}

func (a *AccountService) state() AccountState {
	st := AccountState{Server: a.cfg.ServerURL, Notifications: a.notifications.Load()}
	if f, ok := a.readAccount(); ok {
		st.Server, st.Email = f.Server, f.Email
	}
	if s := a.current(); s != nil {
		st.SignedIn, st.Server, st.Email, st.Name, st.OrgName, st.Currency = true, s.server, s.me.Email, s.me.Name, s.me.OrgName, s.me.Currency
		st.Notice, st.Sync = s.notice, s.engine.State()
	}
	return st
}

// Restore resumes the last account with the token from the keychain, from
// the cache alone if the server cannot be reached. Not signed in is not an
// error. It makes no network call itself (the sync engine connects).
func (a *AccountService) Restore() (AccountState, error) {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	if a.current() != nil {
		return a.state(), nil
	}
	f, ok := a.readAccount()
	if f.Notifications != nil {
		a.notifications.Store(*f.Notifications)
	}
	if !ok || f.ServerID == "" {
		return a.state(), nil
	}
	token, err := a.keys.Load(f.Server, f.Email)
	if err != nil {
		st := a.state()
		var unavailable *keychain.UnavailableError
		if errors.As(err, &unavailable) {
			a.logger.Warn("keychain", "err", err)
			st.Notice = unavailable.Reason
		}
		return st, nil
	}
	c, err := client.New(f.Server, client.WithUserAgent(UserAgent), client.WithToken(token))
	if err != nil {
		return a.state(), nil
	}
	ctx := a.life.Context()
	cc, err := cache.Open(ctx, cache.PathFor(a.dataDir, f.ServerID, f.Email), backend.Version)
	if err == nil {
		if err = cc.AdoptServer(ctx, f.ServerID); err != nil {
			cc.Close()
		}
	}
	if err != nil {
		return a.state(), cacheError(err)
	}
	me, err := cc.Me(ctx)
	if err != nil || me.ID == 0 {
		cc.Close()
		return a.state(), nil
	}
	a.start(f.Server, me, c, cc, "")
	return a.state(), nil
}

// SignIn signs in a landlord. Only the main account may chat: a sub-user
// gets main_user_only and stays signed out. The token goes to the keychain;
// if that cannot be used, the session lasts until the app quits and the
// state's Notice says why. A session already running is replaced.
func (a *AccountService) SignIn(server, email, password string) (AccountState, error) {
	a.mu.Lock()
	ended := a.ended
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(a.life.Context(), 15*time.Second)
	defer cancel()
	// The server first, with no lock held: it may take seconds to answer.
	c, err := client.New(server, client.WithUserAgent(UserAgent))
	if err != nil {
		return a.state(), err
	}
	h, err := c.Health(ctx)
	if err != nil {
		return a.state(), err
	}
	sess, err := c.SignIn(ctx, email, password)
	if err != nil {
		return a.state(), err
	}
	c = c.WithSession(sess.Token)
	if err := sess.Me.CanChatAsLandlord(); err != nil {
		c.SignOut(ctx)
		return a.state(), err
	}
	started, replaced, err := a.install(ended, c, h, sess)
	if !started {
		c.SignOut(ctx) // the new session is not used: end it on the server too
	}
	if replaced != nil {
		// Signing in over a live session ends the one it replaces on the
		// server too, as a sign-out would: no token stays valid unseen.
		if err := replaced.client.SignOut(ctx); err != nil {
			a.logger.Info("sign out the replaced session on the server", "err", err)
		}
	}
	return a.state(), err
}

// install makes a session the server has just opened the current one,
// unless the landlord signed out or quit while it was being opened (ended
// has moved on). It reports whether the session started, and the session
// it replaced (stopped, its keychain entry gone unless the new one took
// its place), which the caller ends on the server with no lock held.
func (a *AccountService) install(ended uint64, c *client.Client, h backend.Health, sess backend.Session) (started bool, replaced *session, err error) {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	a.mu.Lock()
	if a.ended != ended {
		a.mu.Unlock()
		return false, nil, nil
	}
	old := a.sess
	a.sess = nil
	a.mu.Unlock()
	if old != nil {
		old.stop() // waits for its engine, which never needs lifecycle
		if old.server != c.BaseURL() || !strings.EqualFold(old.me.Email, sess.Me.Email) {
			if err := a.keys.Delete(old.server, old.me.Email); err != nil {
				a.logger.Warn("keychain delete", "err", err)
			}
		}
	}
	notice := a.remember(c.BaseURL(), h.ServerID, sess)
	cc, err := a.openCache(h, sess.Me)
	if err != nil {
		a.keys.Delete(c.BaseURL(), sess.Me.Email) // the caller ends this session
		return false, old, cacheError(err)
	}
	a.start(c.BaseURL(), sess.Me, c, cc, notice)
	return true, old, nil
}

// remember keeps a new session's token in the keychain and the account in
// the account file, for the next start. It returns what to tell the
// landlord when the keychain cannot keep the token. Callers hold lifecycle.
func (a *AccountService) remember(server, serverID string, sess backend.Session) (notice string) {
	if err := a.keys.Save(server, sess.Me.Email, sess.Token); err != nil {
		var unavailable *keychain.UnavailableError
		if errors.As(err, &unavailable) {
			notice = unavailable.Reason
		} else {
			notice = "Doorstep could not save your session in the system keyring; you will be asked to sign in next time."
		}
		a.logger.Warn("keychain", "err", err)
	}
	a.fileMu.Lock()
	defer a.fileMu.Unlock()
	notif := a.notifications.Load()
	if err := a.writeAccount(accountFile{Server: server, Email: sess.Me.Email, ServerID: serverID, Notifications: &notif}); err != nil {
		a.logger.Warn("account file", "err", err)
	}
	return notice
}

// openCache opens the cache of an account on the server that answered h,
// recording who is signed in and the server's limits. Callers hold
// lifecycle.
func (a *AccountService) openCache(h backend.Health, me backend.Me) (*cache.Cache, error) {
	ctx := a.life.Context()
	cc, err := cache.Open(ctx, cache.PathFor(a.dataDir, h.ServerID, me.Email), backend.Version)
	if err != nil {
		return nil, err
	}
	if err = cc.SetMe(ctx, me); err == nil {
		err = cc.SetLimits(ctx, h.Limits)
	}
	if err == nil {
		err = cc.AdoptServer(ctx, h.ServerID)
	}
	if err != nil {
		cc.Close()
		return nil, err
	}
	return cc, nil
}

// start runs a session's sync engine and makes it the current session;
// callers hold lifecycle.
func (a *AccountService) start(server string, me backend.Me, c *client.Client, cc *cache.Cache, notice string) {
	ctx, cancel := context.WithCancel(a.life.Context())
	notifier := DesktopNotifier{Logger: a.logger, Enabled: a.notifications.Load}
	eng := engine.New(cc, c, me.Principal, a.emit, notifier.Notify, a.logger)
	eng.OwnedDir = string(attach.IncomingDir(a.dataDir)) // see AttachmentService.attachBytes
	eng.NotifyUrgent, eng.NotifySummary = notifier.NotifyUrgent, notifier.NotifySummary
	s := &session{me: me, server: server, client: c, cache: cc, engine: eng, cancel: cancel, done: make(chan struct{}), notice: notice}
	go func() { defer close(s.done); eng.Run(ctx) }()
	a.mu.Lock()
	a.sess = s
	a.mu.Unlock()
}

// end takes the current session out (nil if none) and counts the end, so
// that a sign-in still waiting for the server is dropped.
func (a *AccountService) end() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sess
	a.sess = nil
	a.ended++
	return s
}

// SignOut ends the session on the server (if it can be reached), forgets the
// token and stops syncing. The cache stays for the next sign-in.
func (a *AccountService) SignOut() (AccountState, error) {
	a.lifecycle.Lock()
	s := a.end()
	if s != nil {
		if err := a.keys.Delete(s.server, s.me.Email); err != nil {
			a.logger.Warn("keychain delete", "err", err)
		}
		s.stop()
	}
	a.lifecycle.Unlock()
	if s != nil {
		// The server last, with no lock held: it may take seconds to answer.
		ctx, cancel := context.WithTimeout(a.life.Context(), 5*time.Second)
		defer cancel()
		if err := s.client.SignOut(ctx); err != nil {
			a.logger.Info("sign out on the server", "err", err)
		}
	}
	return a.state(), nil
}

// SetNotifications turns desktop notifications on or off (remembered).
func (a *AccountService) SetNotifications(on bool) (AccountState, error) {
	a.notifications.Store(on)
	a.fileMu.Lock()
	defer a.fileMu.Unlock()
	if f, ok := a.readAccount(); ok {
		f.Notifications = &on
		if err := a.writeAccount(f); err != nil {
			return a.state(), fileProblem(err, keeping("this setting"))
		}
	}
	return a.state(), nil
}

// shutdown stops syncing when the app quits (not bound: the UI cannot call it).
func (a *AccountService) shutdown() {
	a.lifecycle.Lock()
	defer a.lifecycle.Unlock()
	if s := a.end(); s != nil {
		s.stop()
	}
}

// cacheError explains a cache that cannot be opened; a cache written by a
// newer Doorstep is kept as it is, never downgraded.
func cacheError(err error) error {
	if errors.Is(err, cache.ErrNewerSchema) {
		return backend.Errorf(backend.ECONFLICT, "Your saved conversations were written by a newer version of Doorstep. Install the newer version to open them.")
	}
	return &withDetail{public: backend.Errorf(backend.EUNAVAILABLE, "Doorstep could not open your saved conversations on this computer. Restart Doorstep; if it keeps happening, check that its data folder can be written."), detail: err}
}

// active returns the signed-in session, or an unauthorized error.
func (a *AccountService) active() (*session, error) {
	if s := a.current(); s != nil {
		return s, nil
	}
	return nil, backend.Errorf(backend.EUNAUTHORIZED, "Please sign in.")
}
