package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
)

// Session and invite lifetimes.
const (
	SessionTTL = 30 * 24 * time.Hour
	InviteTTL  = 7 * 24 * time.Hour
)

// MinPasswordLength is the shortest password accepted for a landlord user.
const MinPasswordLength = 10

// BcryptCost is the work factor for new password hashes. Only tests lower it
// (to bcrypt.MinCost), to keep fixtures fast under the race detector.
var BcryptCost = bcrypt.DefaultCost

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

// timeLayout is fixed-width so stored times sort and compare as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// CreateOrg creates a landlord organisation in the IANA time zone tz.
func (db *DB) CreateOrg(ctx context.Context, name, tz string) (int64, error) {
	var id int64
	err := db.Update(ctx, func(tx *Tx) (err error) {
		id, err = createOrg(ctx, tx, name, tz)
		return err
	})
	return id, err
}

// CreateLandlord creates an organisation and its main user together: either
// both exist afterwards or neither.
func (db *DB) CreateLandlord(ctx context.Context, orgName, tz, email, name, password string) (orgID int64, err error) {
	hash, err := hashPassword(email, name, password)
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
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, backend.Errorf(backend.EINVALID, "The organisation needs a name.")
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		return 0, backend.Errorf(backend.EINVALID, "%q is not a time zone name such as America/Chicago.", tz)
	}
	var id int64
	err := tx.QueryRowContext(ctx, "INSERT INTO orgs (name, time_zone, created_at) VALUES (?, ?, ?) RETURNING id",
		name, tz, formatTime(tx.Now())).Scan(&id)
	return id, err
}

// hashPassword checks a new user's fields and hashes the password.
func hashPassword(email, name, password string) (string, error) {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	if !strings.Contains(email, "@") || len(email) > 254 {
		return "", backend.Errorf(backend.EINVALID, "%q is not an e-mail address.", email)
	}
	if name == "" {
		return "", backend.Errorf(backend.EINVALID, "The user needs a name.")
	}
	if len(password) < MinPasswordLength || len(password) > 72 {
		return "", backend.Errorf(backend.EINVALID, "A password must be %d to 72 characters.", MinPasswordLength)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CreateUser adds a landlord-side user to an organisation: its main user
// (one per organisation) or a sub-user.
func (db *DB) CreateUser(ctx context.Context, orgID int64, email, name, password string, isMain bool) (int64, error) {
	hash, err := hashPassword(email, name, password)
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

func createUser(ctx context.Context, tx *Tx, orgID int64, email, name, hash string, isMain bool) (int64, error) {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (org_id, email, name, password_hash, is_main, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, orgID, email, name, hash, isMain, formatTime(tx.Now())).Scan(&id)
	if isUniqueViolation(err) {
		if isMain {
			var n int
			tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE org_id = ? AND is_main = 1", orgID).Scan(&n)
			if n > 0 {
				return 0, backend.Errorf(backend.ECONFLICT, "This organisation already has a main user.")
			}
		}
		return 0, backend.Errorf(backend.ECONFLICT, "There is already a user with the e-mail %s.", email)
	}
	if isForeignKeyViolation(err) {
		return 0, backend.Errorf(backend.ENOTFOUND, "There is no organisation %d.", orgID)
	}
	return id, err
}

// SignIn checks a landlord user's e-mail and password and opens a session.
func (db *DB) SignIn(ctx context.Context, email, password string) (backend.Session, error) {
	var userID int64
	var hash string
	err := db.db.QueryRowContext(ctx, "SELECT id, password_hash FROM users WHERE email = ?", strings.TrimSpace(email)).Scan(&userID, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return backend.Session{}, errBadCredentials
	}
	if err != nil {
		return backend.Session{}, fmt.Errorf("sign in: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return backend.Session{}, errBadCredentials
	}
	return db.openSession(ctx, "user_id", userID)
}

var errBadCredentials = backend.Errorf(backend.EUNAUTHORIZED, "The e-mail or password is not right.")

func (db *DB) openSession(ctx context.Context, column string, id int64) (backend.Session, error) {
	token, hash := newToken()
	var expires time.Time
	err := db.Update(ctx, func(tx *Tx) error {
		expires = tx.Now().Add(SessionTTL)
		_, err := tx.ExecContext(ctx, "INSERT INTO sessions (token_hash, "+column+", created_at, expires_at) VALUES (?, ?, ?, ?)",
			hash, id, formatTime(tx.Now()), formatTime(expires))
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

var errNoSession = backend.Errorf(backend.EUNAUTHORIZED, "Please sign in again.")

// Me describes the holder of a session token and their organisation.
func (db *DB) Me(ctx context.Context, token string) (backend.Me, error) {
	if token == "" || len(token) > 100 {
		return backend.Me{}, errNoSession
	}
	var me backend.Me
	var userID, tenantID sql.NullInt64
	var expires string
	hash := hashToken(token)
	err := db.db.QueryRowContext(ctx, `
		SELECT s.user_id, s.tenant_id, coalesce(u.org_id, t.org_id), coalesce(u.name, t.name), coalesce(u.email, t.email),
		       coalesce(u.is_main, 0), o.name, o.time_zone, o.currency, s.expires_at
		FROM sessions s
		LEFT JOIN users u ON u.id = s.user_id
		LEFT JOIN tenants t ON t.id = s.tenant_id
		JOIN orgs o ON o.id = coalesce(u.org_id, t.org_id)
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
		hash, formatTime(db.now())).Scan(&userID, &tenantID, &me.OrgID, &me.Name, &me.Email, &me.IsMain, &me.OrgName, &me.TimeZone, &me.Currency, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return backend.Me{}, errNoSession
	}
	if err != nil {
		return backend.Me{}, fmt.Errorf("authenticate: %w", err)
	}
	if userID.Valid {
		me.Kind, me.ID = backend.KindUser, userID.Int64
	} else {
		me.Kind, me.ID = backend.KindTenant, tenantID.Int64
	}
	me.Session = backend.SessionRef{ID: sessionID(hash), ExpiresAt: parseTime(expires)}
	return me, nil
}

// Now is the store's clock, by which sessions expire (see SetClock).
func (db *DB) Now() time.Time { return db.now() }

// SetSessionEndSink registers f to hear of sessions ended through this
// store (sign-out, revocation) once that is durable: the websocket hub, which
// closes their connections. f runs on the writer goroutine: it must not
// block. Sessions ended by another process, or by expiry, are found by
// EndedSessions instead.
func (db *DB) SetSessionEndSink(f func(ids ...string)) {
	db.sinkMu.Lock()
	defer db.sinkMu.Unlock()
	db.sessionSink = f
}

// sessionsEnded tells the sink, once tx is durable, that these sessions ended.
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
		res, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
			formatTime(tx.Now()), hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
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
		return nil, backend.Errorf(backend.EINVALID, "Give the e-mail address of the person to sign out.")
	}
	var out []backend.SignedOut
	err := db.Update(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `
			SELECT 'user', u.id, u.name, o.name FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email = ? COLLATE NOCASE
			UNION ALL
			SELECT 'tenant', t.id, t.name, o.name FROM tenants t JOIN orgs o ON o.id = t.org_id WHERE t.email = ? COLLATE NOCASE
			ORDER BY 1 DESC, 2`, email, email)
		if err != nil {
			return fmt.Errorf("people by e-mail: %w", err)
		}
		for rows.Next() {
			var p backend.SignedOut
			if err := rows.Scan(&p.Kind, &p.ID, &p.Name, &p.OrgName); err != nil {
				rows.Close()
				return fmt.Errorf("people by e-mail: %w", err)
			}
			out = append(out, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("people by e-mail: %w", err)
		}
		if len(out) == 0 {
			return backend.Errorf(backend.ENOTFOUND, "No landlord user or tenant has the e-mail address %s.", email)
		}
		var ended []string
		for i, p := range out {
			column := "user_id"
			if p.Kind == backend.KindTenant {
				column = "tenant_id"
			}
			rows, err := tx.QueryContext(ctx, "UPDATE sessions SET revoked_at = ? WHERE "+column+" = ? AND revoked_at IS NULL AND expires_at > ? RETURNING token_hash",
				formatTime(tx.Now()), p.ID, formatTime(tx.Now()))
			if err != nil {
				return fmt.Errorf("revoke sessions: %w", err)
			}
			for rows.Next() {
				var hash []byte
				if err := rows.Scan(&hash); err != nil {
					rows.Close()
					return fmt.Errorf("revoke sessions: %w", err)
				}
				ended = append(ended, sessionID(hash))
				out[i].Sessions++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("revoke sessions: %w", err)
			}
		}
		db.sessionsEnded(tx, ended)
		return nil
	})
	return out, err
}

// EndedSessions returns those of the given sessions that have ended by now:
// signed out or revoked (by this process or another one on the same
// database), expired by the store's clock, or unknown.
func (db *DB) EndedSessions(ctx context.Context, ids []string) ([]string, error) {
	var ended []string
	const chunk = 500 // well under SQLite's limit on bound parameters
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		part := ids[:n]
		ids = ids[n:]
		args := []any{formatTime(db.now())}
		for _, id := range part {
			if hash, err := hex.DecodeString(id); err == nil { // anything else is no session: ended
				args = append(args, hash)
			}
		}
		live := make(map[string]bool, n)
		if len(args) > 1 {
			rows, err := db.db.QueryContext(ctx, "SELECT token_hash FROM sessions WHERE revoked_at IS NULL AND expires_at > ? AND token_hash IN (?"+
				strings.Repeat(", ?", len(args)-2)+")", args...)
			if err != nil {
				return nil, fmt.Errorf("live sessions: %w", err)
			}
			for rows.Next() {
				var hash []byte
				if err := rows.Scan(&hash); err != nil {
					rows.Close()
					return nil, fmt.Errorf("live sessions: %w", err)
				}
				live[sessionID(hash)] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("live sessions: %w", err)
			}
		}
		for _, id := range part {
			if !live[id] {
				ended = append(ended, id)
			}
		}
	}
	return ended, nil
}

// CreateTenantInvite makes a single-use token with which a tenant of orgID
// opens a session (the link sent by e-mail and SMS).
func (db *DB) CreateTenantInvite(ctx context.Context, orgID, tenantID int64) (string, error) {
	token, hash := newToken()
	err := db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tenant_invites (token_hash, tenant_id, created_at, expires_at)
			SELECT ?, id, ?, ? FROM tenants WHERE id = ? AND org_id = ?`,
			hash, formatTime(tx.Now()), formatTime(tx.Now().Add(InviteTTL)), tenantID, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backend.Errorf(backend.ENOTFOUND, "There is no such tenant.")
		}
		return nil
	})
	return token, err
}

// TenantByEmail finds the tenant with this e-mail address, ignoring case,
// in whichever organisation has them: for commands run by the server's host,
// such as making a tenant a portal link. An address shared by several
// tenants is refused rather than guessed.
func (db *DB) TenantByEmail(ctx context.Context, email string) (orgID, tenantID int64, name string, err error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return 0, 0, "", backend.Errorf(backend.EINVALID, "Give the tenant's e-mail address.")
	}
	rows, err := db.db.QueryContext(ctx, "SELECT org_id, id, name FROM tenants WHERE email = ? COLLATE NOCASE ORDER BY org_id, id LIMIT 2", email)
	if err != nil {
		return 0, 0, "", fmt.Errorf("tenant by e-mail: %w", err)
	}
	defer rows.Close()
	type match struct {
		org, id int64
		name    string
	}
	var found []match
	for rows.Next() {
		var m match
		if err := rows.Scan(&m.org, &m.id, &m.name); err != nil {
			return 0, 0, "", fmt.Errorf("tenant by e-mail: %w", err)
		}
		found = append(found, m)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, "", fmt.Errorf("tenant by e-mail: %w", err)
	}
	switch {
	case len(found) == 0:
		return 0, 0, "", backend.Errorf(backend.ENOTFOUND, "No tenant has the e-mail address %s.", email)
	case len(found) > 1 && found[0].org != found[1].org:
		return 0, 0, "", backend.Errorf(backend.ECONFLICT, "Several organisations have a tenant with the e-mail address %s.", email)
	case len(found) > 1:
		return 0, 0, "", backend.Errorf(backend.ECONFLICT, "Several tenants (%s, %s) have the e-mail address %s.", found[0].name, found[1].name, email)
	}
	return found[0].org, found[0].id, found[0].name, nil
}

// RedeemInvite turns an unused, unexpired invite token into a tenant session.
func (db *DB) RedeemInvite(ctx context.Context, token string) (backend.Session, error) {
	var tenantID int64
	err := db.Update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE tenant_invites SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING tenant_id`,
			formatTime(tx.Now()), hashToken(token), formatTime(tx.Now())).Scan(&tenantID)
		if errors.Is(err, sql.ErrNoRows) {
			return backend.Errorf(backend.EUNAUTHORIZED, "This link has expired or was already used. Ask your landlord for a new one.")
		}
		return err
	})
	if err != nil {
		return backend.Session{}, err
	}
	return db.openSession(ctx, "tenant_id", tenantID)
}

func isUniqueViolation(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

func isForeignKeyViolation(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
