package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

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
	SignedIn bool             `json:"signedIn"`
	Server   string           `json:"server"`
	Email    string           `json:"email"`
	Name     string           `json:"name"`
	OrgName  string           `json:"orgName"`
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
type AccountService struct {
	cfg     Config
	life    *Lifecycle
	keys    KeyStore
	dataDir string
	emit    engine.Emitter
	logger  *slog.Logger

	mu            sync.Mutex
	sess          *session
	notifications bool
}

// NewAccountService wires the account service: keys is where tokens go,
// dataDir where caches and the account file live, emit sends UI events.
func NewAccountService(cfg Config, life *Lifecycle, keys KeyStore, dataDir string, emit engine.Emitter, logger *slog.Logger) *AccountService {
	if emit == nil {
		emit = func(string, any) {}
	}
	a := &AccountService{cfg: cfg, life: life, keys: keys, dataDir: dataDir, emit: emit, logger: logger, notifications: true}
	life.OnStop(a.shutdown)
	return a
}

func (a *AccountService) accountPath() string { return filepath.Join(a.dataDir, "account.json") }

// incomingDir, in the app's data directory, holds the app's own copies of
// files handed over as bytes (pasted, or dropped on the page) until they
// are sent or removed; the sync engine deletes them once sent.
func incomingDir(dataDir string) string { return filepath.Join(dataDir, "incoming") }

func (a *AccountService) readAccount() (accountFile, bool) {
	var f accountFile
	b, err := os.ReadFile(a.accountPath())
	if err != nil || json.Unmarshal(b, &f) != nil || f.Server == "" || f.Email == "" {
		return f, false
	}
	return f, true
}

func (a *AccountService) writeAccount(f accountFile) error {
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	tmp := a.accountPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, a.accountPath())
}

// State reports the current account.
func (a *AccountService) State() (AccountState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stateLocked(), nil
}

func (a *AccountService) stateLocked() AccountState {
	st := AccountState{Server: a.cfg.ServerURL, Notifications: a.notifications}
	if f, ok := a.readAccount(); ok {
		st.Server, st.Email = f.Server, f.Email
	}
	if a.sess != nil {
		st.SignedIn, st.Server, st.Email, st.Name, st.OrgName = true, a.sess.server, a.sess.me.Email, a.sess.me.Name, a.sess.me.OrgName
		st.Notice, st.Sync = a.sess.notice, a.sess.engine.State()
	}
	return st
}

// Restore resumes the last account with the token from the keychain, from
// the cache alone if the server cannot be reached. Not signed in is not an
// error.
func (a *AccountService) Restore() (AccountState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess != nil {
		return a.stateLocked(), nil
	}
	f, ok := a.readAccount()
	if f.Notifications != nil {
		a.notifications = *f.Notifications
	}
	if !ok || f.ServerID == "" {
		return a.stateLocked(), nil
	}
	token, err := a.keys.Load(f.Server, f.Email)
	if err != nil {
		st := a.stateLocked()
		var unavailable *keychain.UnavailableError
		if errors.As(err, &unavailable) {
			st.Notice = unavailable.Reason
		}
		return st, nil
	}
	c, err := client.New(f.Server, client.WithUserAgent(UserAgent), client.WithToken(token))
	if err != nil {
		return a.stateLocked(), nil
	}
	ctx := a.life.Context()
	cc, err := cache.Open(ctx, cache.PathFor(a.dataDir, f.ServerID, f.Email), backend.Version)
	if err != nil {
		return a.stateLocked(), cacheError(err)
	}
	me, err := cc.Me(ctx)
	if err != nil || me.ID == 0 {
		cc.Close()
		return a.stateLocked(), nil
	}
	a.startLocked(f.Server, me, c, cc, "")
	return a.stateLocked(), nil
}

// SignIn signs in a landlord. Only the main account may chat: a sub-user
// gets main_user_only and stays signed out. The token goes to the keychain;
// if that cannot be used, the session lasts until the app quits and the
// state's Notice says why.
func (a *AccountService) SignIn(server, email, password string) (AccountState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ctx, cancel := context.WithTimeout(a.life.Context(), 15*time.Second)
	defer cancel()
	c, err := client.New(server, client.WithUserAgent(UserAgent))
	if err != nil {
		return a.stateLocked(), err
	}
	h, err := c.Health(ctx)
	if err != nil {
		return a.stateLocked(), err
	}
	sess, err := c.SignIn(ctx, email, password)
	if err != nil {
		return a.stateLocked(), err
	}
	c = c.WithSession(sess.Token)
	if err := sess.Me.CanChatAsLandlord(); err != nil {
		c.SignOut(ctx)
		return a.stateLocked(), err
	}
	if a.sess != nil {
		a.sess.stop()
		a.sess = nil
	}
	notice := ""
	if err := a.keys.Save(c.BaseURL(), sess.Me.Email, sess.Token); err != nil {
		var unavailable *keychain.UnavailableError
		if errors.As(err, &unavailable) {
			notice = unavailable.Reason
		} else {
			notice = "Doorstep could not save your session in the system keyring; you will be asked to sign in next time."
		}
		a.logger.Warn("keychain", "err", err)
	}
	notif := a.notifications
	if err := a.writeAccount(accountFile{Server: c.BaseURL(), Email: sess.Me.Email, ServerID: h.ServerID, Notifications: &notif}); err != nil {
		a.logger.Warn("account file", "err", err)
	}
	cc, err := cache.Open(a.life.Context(), cache.PathFor(a.dataDir, h.ServerID, sess.Me.Email), backend.Version)
	if err != nil {
		c.SignOut(ctx)
		return a.stateLocked(), cacheError(err)
	}
	if err := cc.SetMe(ctx, sess.Me); err != nil {
		cc.Close()
		return a.stateLocked(), err
	}
	a.startLocked(c.BaseURL(), sess.Me, c, cc, notice)
	return a.stateLocked(), nil
}

func (a *AccountService) startLocked(server string, me backend.Me, c *client.Client, cc *cache.Cache, notice string) {
	ctx, cancel := context.WithCancel(a.life.Context())
	notifier := DesktopNotifier{Logger: a.logger, Enabled: func() bool { a.mu.Lock(); defer a.mu.Unlock(); return a.notifications }}
	eng := engine.New(cc, c, me.Principal, a.emit, notifier.Notify, a.logger)
	eng.OwnedDir = incomingDir(a.dataDir) // see ChatService.attachBytes
	s := &session{me: me, server: server, client: c, cache: cc, engine: eng, cancel: cancel, done: make(chan struct{}), notice: notice}
	go func() { defer close(s.done); eng.Run(ctx) }()
	a.sess = s
}

// SignOut ends the session on the server (if it can be reached), forgets the
// token and stops syncing. The cache stays for the next sign-in.
func (a *AccountService) SignOut() (AccountState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess == nil {
		return a.stateLocked(), nil
	}
	s := a.sess
	a.sess = nil
	ctx, cancel := context.WithTimeout(a.life.Context(), 5*time.Second)
	defer cancel()
	if err := s.client.SignOut(ctx); err != nil {
		a.logger.Info("sign out on the server", "err", err)
	}
	if err := a.keys.Delete(s.server, s.me.Email); err != nil {
		a.logger.Warn("keychain delete", "err", err)
	}
	s.stop()
	return a.stateLocked(), nil
}

// SetNotifications turns desktop notifications on or off (remembered).
func (a *AccountService) SetNotifications(on bool) (AccountState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notifications = on
	if f, ok := a.readAccount(); ok {
		f.Notifications = &on
		if err := a.writeAccount(f); err != nil {
			return a.stateLocked(), err
		}
	}
	return a.stateLocked(), nil
}

// shutdown stops syncing when the app quits (not bound: the UI cannot call it).
func (a *AccountService) shutdown() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess != nil {
		a.sess.stop()
		a.sess = nil
	}
}

// cacheError explains a cache that cannot be opened; a cache written by a
// newer Doorstep is kept as it is, never downgraded.
func cacheError(err error) error {
	if errors.Is(err, cache.ErrNewerSchema) {
		return backend.Errorf(backend.ECONFLICT, "Your saved conversations were written by a newer version of Doorstep. Install the newer version to open them.")
	}
	return fmt.Errorf("open the local cache: %w", err)
}

// active returns the signed-in session, or an unauthorized error.
func (a *AccountService) active() (*session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess == nil {
		return nil, backend.Errorf(backend.EUNAUTHORIZED, "Please sign in.")
	}
	return a.sess, nil
}
