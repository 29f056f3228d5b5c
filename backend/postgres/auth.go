package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
)

// dummyHash is compared against when an e-mail is unknown, so a sign-in for
// a missing account takes as long as one with a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("doorstep-no-such-user"), bcrypt.DefaultCost)

// newToken returns a random 256-bit token and the hash stored for it.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics on an unusable source)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// sessionID is how a session is named outside the store (backend.SessionRef):
// its token's hash, the sessions table's key, which does not sign anyone in.
func sessionID(tokenHash []byte) string { return hex.EncodeToString(tokenHash) }

// CreateOrg creates a landlord organisation in the IANA time zone tz.
func (db *DB) CreateOrg(ctx context.Context, name, tz string) (int64, error) {
	var id int64
	err := db.Update(ctx, func(tx *Tx) (err error) {
		id, err = createOrg(ctx, tx, name, tz)
		return err
	})
	return id, err
}

// SetOrgFormats sets the currency and locale of organisation orgID.
func (db *DB) SetOrgFormats(ctx context.Context, orgID int64, f backend.OrgFormats) error {
	f, err := f.Validate()
	if err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE orgs SET currency = $1, locale = $2 WHERE id = $3", f.Currency, f.Locale, orgID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return backend.Errorf(backend.ENOTFOUND, "There is no organisation %d.", orgID)
		}
		return nil
	})
}

// CreateLandlord creates an organisation and its main user together: either
// both exist afterwards or neither.
func (db *DB) CreateLandlord(ctx context.Context, orgName, tz, email, name, password string) (orgID int64, err error) {
	hash, err := db.hashPassword(email, name, password)
	if err != nil {
		return 0, err
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if orgID, err = createOrg(ctx, tx, orgName, tz); err != nil {
			return err
		}
		_, err = createUser(ctx, tx, orgID, email, name, hash, true)
		return err
	})
	return orgID, err
}

func createOrg(ctx context.Context, tx *Tx, name, tz string) (int64, error) {
	name, err := backend.ValidateOrg(name, tz)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, "INSERT INTO orgs (name, time_zone, created_at) VALUES ($1, $2, $3) RETURNING id",
		name, tz, tx.Now()).Scan(&id)
	return id, err
}

// hashPassword checks a new user's fields and hashes the password.
func (db *DB) hashPassword(email, name, password string) (string, error) {
	if err := backend.ValidateNewUser(email, name, password); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), db.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CreateUser adds a landlord-side user to an organisation: its main user
// (one per organisation) or a sub-user.
func (db *DB) CreateUser(ctx context.Context, orgID int64, email, name, password string, isMain bool) (int64, error) {
	hash, err := db.hashPassword(email, name, password)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.Update(ctx, func(tx *Tx) (err error) {
		id, err = createUser(ctx, tx, orgID, email, name, hash, isMain)
		return err
	})
	return id, err
}

// createUser inserts a user. The constraint a refused insert broke says
// which rule it was: PostgreSQL ends the transaction at the error, so
// nothing can be looked up afterwards.
func createUser(ctx context.Context, tx *Tx, orgID int64, email, name, hash string, isMain bool) (int64, error) {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO users (org_id, email, name, password_hash, is_main, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, orgID, email, name, hash, isMain, tx.Now()).Scan(&id)
	switch {
	case sqlState(err) == uniqueViolation && constraint(err) == "users_one_main_per_org":
		return 0, backend.ErrMainUserExists
	case sqlState(err) == uniqueViolation:
		return 0, backend.ErrEmailTaken(email)
	case sqlState(err) == foreignKeyViolation:
		return 0, backend.ErrNoOrg(orgID)
	}
	return id, err
}

// OrgOfMainUser returns the organisation whose main user has this e-mail
// (ignoring case).
func (db *DB) OrgOfMainUser(ctx context.Context, email string) (int64, error) {
	var org int64
	err := db.r.QueryRow(ctx, "SELECT org_id FROM users WHERE lower(email) = lower($1) AND is_main", strings.TrimSpace(email)).Scan(&org)
	if isNoRows(err) {
		return 0, backend.ErrNoMainAccount(email)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: main account: %w", err)
	}
	return org, nil
}

// SignIn checks a landlord user's e-mail and password and opens a session.
func (db *DB) SignIn(ctx context.Context, email, password string) (backend.Session, error) {
	var userID int64
	var hash string
	err := db.r.QueryRow(ctx, "SELECT id, password_hash FROM users WHERE lower(email) = lower($1)", strings.TrimSpace(email)).Scan(&userID, &hash)
	if isNoRows(err) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return backend.Session{}, backend.ErrBadCredentials
	}
	if err != nil {
		return backend.Session{}, fmt.Errorf("sign in: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return backend.Session{}, backend.ErrBadCredentials
	}
	return db.openSession(ctx, "user_id", userID)
}

func (db *DB) openSession(ctx context.Context, column string, id int64) (backend.Session, error) {
	token, hash := newToken()
	var expires time.Time
	err := db.Update(ctx, func(tx *Tx) error {
		expires = tx.Now().Add(backend.SessionTTL)
		_, err := tx.Exec(ctx, "INSERT INTO sessions (token_hash, "+column+", created_at, expires_at) VALUES ($1, $2, $3, $4)",
			hash, id, tx.Now(), expires)
		return err
	})
	if err != nil {
		return backend.Session{}, fmt.Errorf("open session: %w", err)
	}
	me, err := db.Me(ctx, token)
	if err != nil {
		return backend.Session{}, err
	}
	return backend.Session{Token: token, ExpiresAt: expires, Me: me}, nil
}

// Authenticate returns who holds a session token. Unknown, expired and
// revoked tokens all give the same EUNAUTHORIZED answer.
func (db *DB) Authenticate(ctx context.Context, token string) (backend.Principal, error) {
	me, err := db.Me(ctx, token)
	return me.Principal, err
}

// Me describes the holder of a session token and their organisation.
func (db *DB) Me(ctx context.Context, token string) (backend.Me, error) {
	if token == "" || len(token) > 100 {
		return backend.Me{}, backend.ErrNotSignedIn
	}
	var me backend.Me
	var userID, tenantID *int64
	var expires time.Time
	var revoked bool
	hash := hashToken(token)
	err := db.r.QueryRow(ctx, `
		SELECT s.user_id, s.tenant_id, coalesce(u.org_id, t.org_id), coalesce(u.name, t.name), coalesce(u.email, t.email), coalesce(t.language, ''),
		       coalesce(u.is_main, false), o.name, o.time_zone, o.currency, o.locale, s.expires_at, s.revoked_at IS NOT NULL
		FROM sessions s
		LEFT JOIN users u ON u.id = s.user_id
		LEFT JOIN tenants t ON t.id = s.tenant_id
		JOIN orgs o ON o.id = coalesce(u.org_id, t.org_id)
		WHERE s.token_hash = $1`,
		hash).Scan(&userID, &tenantID, &me.OrgID, &me.Name, &me.Email, &me.Language, &me.IsMain, &me.OrgName, &me.TimeZone, &me.Currency, &me.Locale, &expires, &revoked)
	if isNoRows(err) {
		return backend.Me{}, backend.ErrNotSignedIn
	}
	if err != nil {
		return backend.Me{}, fmt.Errorf("authenticate: %w", err)
	}
	if backend.SessionEnded(revoked, expires, db.now()) {
		return backend.Me{}, backend.ErrNotSignedIn
	}
	if userID != nil {
		me.Kind, me.ID = backend.KindUser, *userID
	} else {
		me.Kind, me.ID = backend.KindTenant, *tenantID
	}
	me.Session = backend.SessionRef{ID: sessionID(hash), ExpiresAt: expires}
	return me, nil
}

// SetSessionEndSink registers f to hear of sessions ended through this
// store (sign-out, revocation) once that is committed: the websocket hub,
// which closes their connections. It must not block. Sessions ended by
// another server node, or by expiry, are found by EndedSessions instead.
func (db *DB) SetSessionEndSink(f func(ids ...string)) {
	db.sinkMu.Lock()
	defer db.sinkMu.Unlock()
	db.sessionSink = f
}

// sessionsEnded tells the sink, once tx is committed, that these sessions ended.
func (db *DB) sessionsEnded(tx *Tx, ids []string) {
	if len(ids) == 0 {
		return
	}
	tx.AfterCommit(func() {
		db.sinkMu.RLock()
		f := db.sessionSink
		db.sinkMu.RUnlock()
		if f != nil {
			f(ids...)
		}
	})
}

// SignOut revokes a session. Revoking an unknown or revoked token is not an
// error: the outcome the caller wants holds either way.
func (db *DB) SignOut(ctx context.Context, token string) error {
	return db.Update(ctx, func(tx *Tx) error {
		hash := hashToken(token)
		tag, err := tx.Exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL", tx.Now(), hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			db.sessionsEnded(tx, []string{sessionID(hash)})
		}
		return nil
	})
}

// SignOutEverywhere revokes every live session of the landlord-side users and
// tenants with this e-mail address (ignoring case), in whichever
// organisations have them: the host's lever against a lost or stolen device.
// It lists who was found, with how many sessions each had.
func (db *DB) SignOutEverywhere(ctx context.Context, email string) ([]backend.SignedOut, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, backend.ErrNoSignOutEmail
	}
	var out []backend.SignedOut
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if out, err = peopleByEmail(ctx, tx, email); err != nil {
			return err
		}
		if len(out) == 0 {
			return backend.ErrNobodyWithEmail(email)
		}
		var ended []string
		for i, p := range out {
			ids, err := revokeLiveSessions(ctx, tx, p.Kind, p.ID)
			if err != nil {
				return err
			}
			out[i].Sessions = len(ids)
			ended = append(ended, ids...)
		}
		db.sessionsEnded(tx, ended)
		return nil
	})
	return out, err
}

// SetSessionDevice records the User-Agent a session signed in with.
func (db *DB) SetSessionDevice(ctx context.Context, sessionID, userAgent string) error {
	hash, err := hex.DecodeString(sessionID)
	if err != nil {
		return nil // no such session
	}
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, "UPDATE sessions SET user_agent = $1 WHERE token_hash = $2", backend.TrimUserAgent(userAgent), hash)
		return err
	})
}

// LiveSessions lists p's sessions that have not ended, newest first.
func (db *DB) LiveSessions(ctx context.Context, p backend.Principal) ([]backend.SessionInfo, error) {
	rows, err := db.r.Query(ctx, "SELECT token_hash, created_at, expires_at, user_agent FROM sessions WHERE "+sessionColumn(p.Kind)+
		" = $1 AND revoked_at IS NULL ORDER BY created_at DESC, token_hash", p.ID)
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	defer rows.Close()
	now := db.now()
	var out []backend.SessionInfo
	for rows.Next() {
		var hash []byte
		var created, expires time.Time
		var ua string
		if err := rows.Scan(&hash, &created, &expires, &ua); err != nil {
			return nil, fmt.Errorf("live sessions: %w", err)
		}
		if !backend.SessionEnded(false, expires, now) {
			out = append(out, backend.SessionInfo{ID: sessionID(hash), StartedAt: created, Device: backend.DeviceDescription(ua)})
		}
	}
	return out, rows.Err()
}

// EndAllSessions ends every live session of p (the portal's "Sign out
// everywhere"); the session end sink closes their connections.
func (db *DB) EndAllSessions(ctx context.Context, p backend.Principal) (int, error) {
	n := 0
	err := db.Update(ctx, func(tx *Tx) error {
		ids, err := revokeLiveSessions(ctx, tx, p.Kind, p.ID)
		if err != nil {
			return err
		}
		n = len(ids)
		db.sessionsEnded(tx, ids)
		return nil
	})
	return n, err
}

// SetTenantLanguage sets the language tenant tenantID reads Doorstep in.
func (db *DB) SetTenantLanguage(ctx context.Context, tenantID int64, language string) error {
	return db.Update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE tenants SET language = $1 WHERE id = $2", language, tenantID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return backend.Errorf(backend.ENOTFOUND, "There is no such tenant.")
		}
		return nil
	})
}

// peopleByEmail lists the landlord-side users and tenants with this e-mail
// address, ignoring case: users first.
func peopleByEmail(ctx context.Context, q queryer, email string) ([]backend.SignedOut, error) {
	rows, err := q.Query(ctx, `
		SELECT 'user', u.id, u.name, o.name FROM users u JOIN orgs o ON o.id = u.org_id WHERE lower(u.email) = lower($1)
		UNION ALL
		SELECT 'tenant', t.id, t.name, o.name FROM tenants t JOIN orgs o ON o.id = t.org_id WHERE lower(t.email) = lower($1)
		ORDER BY 1 DESC, 2`, email)
	if err != nil {
		return nil, fmt.Errorf("people by e-mail: %w", err)
	}
	defer rows.Close()
	var out []backend.SignedOut
	for rows.Next() {
		var p backend.SignedOut
		var kind string
		if err := rows.Scan(&kind, &p.ID, &p.Name, &p.OrgName); err != nil {
			return nil, fmt.Errorf("people by e-mail: %w", err)
		}
		p.Kind = backend.PrincipalKind(kind)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("people by e-mail: %w", err)
	}
	return out, nil
}

// sessionColumn is the sessions column naming a person of kind.
func sessionColumn(kind backend.PrincipalKind) string {
	if kind == backend.KindTenant {
		return "tenant_id"
	}
	return "user_id"
}

// revokeLiveSessions ends the sessions of one person that have not ended
// yet (backend.SessionEnded) and returns their ids. Each is revoked only if
// nobody revoked it meanwhile, so a session is counted once.
func revokeLiveSessions(ctx context.Context, tx *Tx, kind backend.PrincipalKind, id int64) ([]string, error) {
	rows, err := tx.Query(ctx, "SELECT token_hash, expires_at FROM sessions WHERE "+sessionColumn(kind)+" = $1 AND revoked_at IS NULL", id)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	var live [][]byte
	for rows.Next() {
		var hash []byte
		var expires time.Time
		if err := rows.Scan(&hash, &expires); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sessions: %w", err)
		}
		if !backend.SessionEnded(false, expires, tx.Now()) {
			live = append(live, hash)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	ids := make([]string, 0, len(live))
	for _, hash := range live {
		tag, err := tx.Exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL", tx.Now(), hash)
		if err != nil {
			return nil, fmt.Errorf("revoke session: %w", err)
		}
		if tag.RowsAffected() > 0 {
			ids = append(ids, sessionID(hash))
		}
	}
	return ids, nil
}

// EndedSessions returns those of the given sessions that have ended by now:
// signed out or revoked (through any server node), expired by the store's
// clock, or unknown.
func (db *DB) EndedSessions(ctx context.Context, ids []string) ([]string, error) {
	var hashes [][]byte
	for _, id := range ids {
		if hash, err := hex.DecodeString(id); err == nil { // anything else is no session: ended
			hashes = append(hashes, hash)
		}
	}
	live := map[string]bool{}
	if len(hashes) > 0 {
		rows, err := db.r.Query(ctx, "SELECT token_hash, expires_at, revoked_at IS NOT NULL FROM sessions WHERE token_hash = ANY($1)", hashes)
		if err != nil {
			return nil, fmt.Errorf("live sessions: %w", err)
		}
		defer rows.Close()
		now := db.now()
		for rows.Next() {
			var hash []byte
			var expires time.Time
			var revoked bool
			if err := rows.Scan(&hash, &expires, &revoked); err != nil {
				return nil, fmt.Errorf("live sessions: %w", err)
			}
			if !backend.SessionEnded(revoked, expires, now) {
				live[sessionID(hash)] = true
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("live sessions: %w", err)
		}
	}
	var ended []string
	for _, id := range ids {
		if !live[id] {
			ended = append(ended, id)
		}
	}
	return ended, nil
}

// CreateTenantInvite makes a single-use token with which a tenant of orgID
// opens a session (the link sent by e-mail and SMS).
func (db *DB) CreateTenantInvite(ctx context.Context, orgID, tenantID int64) (string, error) {
	token, hash := newToken()
	err := db.Update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tenant_invites (token_hash, tenant_id, created_at, expires_at)
			SELECT $1, id, $2, $3 FROM tenants WHERE id = $4 AND org_id = $5`,
			hash, tx.Now(), tx.Now().Add(backend.InviteTTL), tenantID, orgID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return backend.ErrNoTenant
		}
		return nil
	})
	return token, err
}

// TenantByEmail finds the tenant with this e-mail address, ignoring case,
// in whichever organisation has them: for commands run by the server's host,
// such as making a tenant a portal link. An address shared by several
// tenants is refused rather than guessed (backend.PickTenantByEmail).
func (db *DB) TenantByEmail(ctx context.Context, email string) (backend.TenantMatch, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return backend.TenantMatch{}, backend.ErrNoTenantEmail
	}
	rows, err := db.r.Query(ctx, "SELECT org_id, id, name, language FROM tenants WHERE lower(email) = lower($1) ORDER BY org_id, id LIMIT 2", email)
	if err != nil {
		return backend.TenantMatch{}, fmt.Errorf("tenant by e-mail: %w", err)
	}
	defer rows.Close()
	var found []backend.TenantMatch
	for rows.Next() {
		var m backend.TenantMatch
		if err := rows.Scan(&m.OrgID, &m.ID, &m.Name, &m.Language); err != nil {
			return backend.TenantMatch{}, fmt.Errorf("tenant by e-mail: %w", err)
		}
		found = append(found, m)
	}
	if err := rows.Err(); err != nil {
		return backend.TenantMatch{}, fmt.Errorf("tenant by e-mail: %w", err)
	}
	return backend.PickTenantByEmail(email, found)
}

// RedeemInvite turns an unused, unexpired invite token into a tenant session
// (backend.InviteUsable). The invite's row is locked while it is judged, so
// two redemptions of one link cannot both succeed.
func (db *DB) RedeemInvite(ctx context.Context, token string) (backend.Session, error) {
	var tenantID int64
	err := db.Update(ctx, func(tx *Tx) error {
		hash := hashToken(token)
		var used bool
		var expires time.Time
		err := tx.QueryRow(ctx, "SELECT tenant_id, used_at IS NOT NULL, expires_at FROM tenant_invites WHERE token_hash = $1 FOR UPDATE",
			hash).Scan(&tenantID, &used, &expires)
		if isNoRows(err) || err == nil && !backend.InviteUsable(used, expires, tx.Now()) {
			return backend.ErrInviteUsed
		}
		if err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		_, err = tx.Exec(ctx, "UPDATE tenant_invites SET used_at = $1 WHERE token_hash = $2", tx.Now(), hash)
		return err
	})
	if err != nil {
		return backend.Session{}, err
	}
	return db.openSession(ctx, "tenant_id", tenantID)
}
