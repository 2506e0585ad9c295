package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
	"github.com/kspplatform/ksp/internal/totp"
)

// lastSeenEvery is how often a session's last_seen is written at most.
const lastSeenEvery = time.Minute

const sessionCols = `s.id, s.user_id, s.state, s.created_at, s.last_seen, s.expires_at, s.ip, s.user_agent`

func scanSession(sc interface{ Scan(...any) error }, extra ...any) (*ksp.Session, error) {
	var s ksp.Session
	var created, seen, exp int64
	dest := append([]any{&s.ID, &s.UserID, &s.State, &created, &seen, &exp, &s.IP, &s.UserAgent}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	s.Created, s.LastSeen, s.Expires = fromMicros(created), fromMicros(seen), fromMicros(exp)
	return &s, nil
}

// as returns tx acting for user u: the audit trail of what a person does
// before a session exists (signing in, resetting a password) names them.
func (tx *Tx) as(userID, orgID string) *Tx {
	ctx := ksp.NewContext(tx.ctx, &ksp.Actor{UserID: userID, OrgID: orgID})
	return &Tx{Tx: tx.Tx, db: tx.db, ctx: ctx, now: tx.now}
}

func (tx *Tx) userOrg(userID string) (string, error) {
	var org string
	err := tx.queryRow(`SELECT org_id FROM users WHERE id = ?`, userID).Scan(&org)
	if isNoRows(err) {
		return "", ksp.NotFound("user")
	}
	if err != nil {
		return "", fmt.Errorf("find user: %w", err)
	}
	return org, nil
}

// CreateSession starts a session for a user whose credentials the caller
// checked. Expired sessions of everyone are swept on the way.
func (db *DB) CreateSession(ctx context.Context, ns ksp.NewSession) (string, *ksp.Session, error) {
	switch ns.State {
	case "":
		ns.State = ksp.SessionActive
	case ksp.SessionActive, ksp.SessionSecondFactor, ksp.SessionEnrol:
	default:
		return "", nil, ksp.Errorf(ksp.EINVALID, "unknown session state %q", ns.State)
	}
	// The header is whatever bytes the client sent: keep valid UTF-8 (text
	// columns and JSON hold nothing else) and cut on a character boundary.
	ns.UserAgent = strings.ToValidUTF8(ns.UserAgent, "\uFFFD")
	if len(ns.UserAgent) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(ns.UserAgent[cut]) {
			cut--
		}
		ns.UserAgent = ns.UserAgent[:cut]
	}
	token := ksp.RandomToken(32)
	s := &ksp.Session{ID: ksp.NewID(), UserID: ns.UserID, State: ns.State, IP: ns.IP, UserAgent: ns.UserAgent}
	err := db.write(ctx, func(tx *Tx) error {
		org, err := tx.userOrg(ns.UserID)
		if err != nil {
			return err
		}
		s.Created, s.LastSeen = tx.now, tx.now
		s.Expires = ksp.T(tx.now.Add(sessionLifetime(s.State)))
		if _, err := tx.exec(`DELETE FROM sessions WHERE expires_at < ? OR last_seen < ?`, micros(tx.now), micros(tx.now.Add(-ksp.SessionIdleTimeout))); err != nil {
			return fmt.Errorf("create session: sweep: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO sessions (id, token_hash, user_id, state, created_at, last_seen, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, ksp.HashSecret(token), s.UserID, s.State, micros(s.Created), micros(s.LastSeen), micros(s.Expires), s.IP, s.UserAgent); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if s.State == ksp.SessionActive {
			if _, err := tx.exec(`UPDATE users SET last_login = ? WHERE id = ?`, micros(tx.now), s.UserID); err != nil {
				return fmt.Errorf("create session: %w", err)
			}
		}
		return tx.as(s.UserID, org).audit("session.create", "session:"+s.ID, org, map[string]any{"ip": s.IP, "user_agent": s.UserAgent, "state": s.State})
	})
	if err != nil {
		return "", nil, err
	}
	return token, s, nil
}

func sessionLifetime(state string) time.Duration {
	if state == ksp.SessionActive {
		return ksp.SessionLifetime
	}
	return ksp.SessionPendingLifetime
}

// SessionByToken resolves a session cookie. Nothing is cached: a revoked
// session, a removed user or a changed role take effect on the next request.
func (db *DB) SessionByToken(ctx context.Context, token string) (*ksp.Session, *ksp.Actor, error) {
	bad := ksp.Errorf(ksp.EUNAUTHORIZED, "session expired or signed out")
	if len(token) != 64 {
		return nil, nil, bad
	}
	var a ksp.Actor
	var orgStatus, userStatus string
	s, err := scanSession(db.queryRow(ctx, `SELECT `+sessionCols+`, u.org_id, u.role, u.status, o.kind, o.status
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id WHERE s.token_hash = ?`, ksp.HashSecret(token)),
		&a.OrgID, &a.Role, &userStatus, &a.OrgKind, &orgStatus)
	if isNoRows(err) {
		return nil, nil, bad
	}
	if err != nil {
		return nil, nil, fmt.Errorf("resolve session: %w", err)
	}
	now := ksp.Now()
	if !s.Expires.After(now) || now.Sub(s.LastSeen.Time) >= ksp.SessionIdleTimeout || userStatus != ksp.UserActive {
		return nil, nil, bad
	}
	a.UserID = s.UserID
	a.Staff = a.OrgID == ksp.StaffOrgID
	a.Suspended = orgStatus == ksp.OrgStatusSuspended
	a.Name = "user:" + s.UserID
	if now.Sub(s.LastSeen.Time) >= lastSeenEvery {
		if _, err := db.exec(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, micros(now), s.ID); err != nil {
			db.log.Warn("could not record session use", "session", s.ID, "err", err)
		}
		s.LastSeen = ksp.T(now)
	}
	return s, &a, nil
}

// PromoteSession turns a pending session active under a new token.
func (db *DB) PromoteSession(ctx context.Context, id string) (string, *ksp.Session, error) {
	token := ksp.RandomToken(32)
	var s *ksp.Session
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		s, err = scanSession(tx.queryRow(`SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id))
		if isNoRows(err) || (err == nil && !s.Expires.After(tx.now.Time)) {
			return ksp.Errorf(ksp.EUNAUTHORIZED, "session expired or signed out")
		}
		if err != nil {
			return fmt.Errorf("promote session: %w", err)
		}
		s.State, s.LastSeen, s.Expires = ksp.SessionActive, tx.now, ksp.T(tx.now.Add(ksp.SessionLifetime))
		if _, err := tx.exec(`UPDATE sessions SET token_hash = ?, state = ?, last_seen = ?, expires_at = ? WHERE id = ?`,
			ksp.HashSecret(token), s.State, micros(s.LastSeen), micros(s.Expires), id); err != nil {
			return fmt.Errorf("promote session: %w", err)
		}
		if _, err := tx.exec(`UPDATE users SET last_login = ? WHERE id = ?`, micros(tx.now), s.UserID); err != nil {
			return fmt.Errorf("promote session: %w", err)
		}
		org, err := tx.userOrg(s.UserID)
		if err != nil {
			return err
		}
		return tx.as(s.UserID, org).audit("session.promote", "session:"+id, org, nil)
	})
	if err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// mayManageUser checks that the actor is the user itself, an admin of its
// org, or staff, and returns the user.
func (db *DB) mayManageUser(ctx context.Context, userID string) (*ksp.User, *ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, nil, err
	}
	u, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if a.UserID != userID {
		if _, err := requireOrgAdmin(ctx, u.OrgID); err != nil {
			return nil, nil, err
		}
	}
	return u, a, nil
}

// FindSessions lists a user's unexpired sessions, newest first.
func (db *DB) FindSessions(ctx context.Context, userID string) ([]*ksp.Session, error) {
	if _, _, err := db.mayManageUser(ctx, userID); err != nil {
		return nil, err
	}
	now := ksp.Now()
	rows, err := db.query(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.user_id = ? AND s.expires_at > ? AND s.last_seen > ? ORDER BY s.id DESC`,
		userID, micros(now), micros(now.Add(-ksp.SessionIdleTimeout)))
	if err != nil {
		return nil, fmt.Errorf("find sessions: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("find sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find sessions: %w", err)
	}
	return out, nil
}

// RevokeSession ends a session of the actor's own, or (admins, staff) of a
// user they manage. Signing out is revoking one's own session.
func (db *DB) RevokeSession(ctx context.Context, id string) error {
	if _, err := requireActor(ctx); err != nil {
		return err
	}
	if !ksp.ValidID(id) {
		return ksp.NotFound("session")
	}
	var userID string
	err := db.queryRow(ctx, `SELECT user_id FROM sessions WHERE id = ?`, id).Scan(&userID)
	if isNoRows(err) {
		return ksp.NotFound("session")
	}
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	u, _, err := db.mayManageUser(ctx, userID)
	if ksp.ErrorCode(err) == ksp.EFORBIDDEN {
		return ksp.NotFound("session")
	}
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM sessions WHERE id = ?`, id); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		return tx.audit("session.revoke", "session:"+id, u.OrgID, nil)
	})
}

// RevokeSessions ends every session of a user but exceptID.
func (db *DB) RevokeSessions(ctx context.Context, userID, exceptID string) error {
	u, _, err := db.mayManageUser(ctx, userID)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, exceptID)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		n, _ := res.RowsAffected()
		return tx.audit("session.revoke_all", "user:"+userID, u.OrgID, map[string]any{"count": n})
	})
}

// recoveryAlphabet is base32's: no 0, 1, 8 or 9 to confuse with letters.
const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newRecoveryCode returns a code of 10 characters (50 bits) as "xxxxx-xxxxx".
func newRecoveryCode() string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sqlstore: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, recoveryAlphabet[x&31])
	}
	return string(out)
}

// normalizeRecoveryCode accepts a code as typed: any case, with or without
// the dash or spaces.
func normalizeRecoveryCode(c string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(c)))
}

func (tx *Tx) replaceRecoveryCodes(userID string) ([]string, error) {
	if _, err := tx.exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	codes := make([]string, ksp.RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		if _, err := tx.exec(`INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, ksp.HashSecret(normalizeRecoveryCode(codes[i])), micros(tx.now)); err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
	}
	return codes, nil
}

func requireSelf(ctx context.Context, userID string) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID != userID {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "only the user itself can do this")
	}
	return a, nil
}

// EnableTOTP stores secret as the user's second factor once code proves the
// app computes it, and issues recovery codes.
func (db *DB) EnableTOTP(ctx context.Context, userID, sec, code string) ([]string, error) {
	if _, err := requireSelf(ctx, userID); err != nil {
		return nil, err
	}
	sec = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(sec), " ", ""))
	if _, err := totp.CodeAt(sec, 0); err != nil || len(sec) < 16 {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "not a valid secret", Fields: []ksp.FieldError{{Field: "secret", Reason: "not a base32 secret of at least 80 bits"}}}
	}
	step, ok := totp.Validate(sec, code, ksp.Now(), 0)
	if !ok {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "the code does not match", Fields: []ksp.FieldError{{Field: "code", Reason: "does not match: check the time on your device and enter the current code"}}}
	}
	var codes []string
	err := db.write(ctx, func(tx *Tx) error {
		org, err := tx.userOrg(userID)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET totp_secret = ?, totp_enabled = ?, totp_last_step = ? WHERE id = ?`, sec, true, step, userID); err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		if codes, err = tx.replaceRecoveryCodes(userID); err != nil {
			return err
		}
		return tx.audit("user.totp_enable", "user:"+userID, org, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns the second factor off and deletes the recovery codes.
// Users for whom it is mandatory cannot turn it off themselves. For
// someone else's, people use ResetSecondFactor (a reason, sessions ended,
// the user told); only the system itself (demo seeding) may call this for
// another user.
func (db *DB) DisableTOTP(ctx context.Context, userID string) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	u, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	switch {
	case a.Staff && a.UserID == "" && a.APIKeyID == "": // the system
	case a.UserID != userID:
		return ksp.Errorf(ksp.EFORBIDDEN, "only the user itself can turn off a second factor; to reset someone else's, give a reason (ResetSecondFactor)")
	case ksp.SecondFactorRequired(u.OrgID == ksp.StaffOrgID, u.Role):
		return ksp.Errorf(ksp.EFORBIDDEN, "staff and admins must keep a second factor")
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE users SET totp_secret = '', totp_enabled = ? WHERE id = ?`, false, userID); err != nil {
			return fmt.Errorf("disable totp: %w", err)
		}
		if _, err := tx.exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("disable totp: %w", err)
		}
		return tx.audit("user.totp_disable", "user:"+userID, u.OrgID, nil)
	})
}

// maxResetReason bounds the reason kept with a second-factor reset.
const maxResetReason = 1000

// ResetSecondFactor turns off the second factor of a user who lost their
// device, deletes their recovery codes and ends all their sessions, in one
// transaction: whoever holds the device or a session cannot use it after.
// Staff may do it for anyone but themselves; an org's admins for the other
// users of their org, never for staff (whom they cannot see). Nobody resets
// their own: that would let a stolen password undo the second factor.
func (db *DB) ResetSecondFactor(ctx context.Context, userID, reason string) (*ksp.User, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	u, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.OrgID == ksp.StaffOrgID && !a.Staff {
		return nil, ksp.NotFound("user")
	}
	if _, err := requireOrgAdmin(ctx, u.OrgID); err != nil {
		return nil, err
	}
	if a.UserID == userID {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "you cannot reset your own second factor: ask another admin or the programme's staff")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "say why the second factor is reset", Fields: []ksp.FieldError{{Field: "reason", Reason: "required"}}}
	case len(reason) > maxResetReason:
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "the reason is too long", Fields: []ksp.FieldError{{Field: "reason", Reason: fmt.Sprintf("at most %d characters", maxResetReason)}}}
	}
	err = db.write(ctx, func(tx *Tx) error {
		// Conditional, so that two admins resetting at once do not both
		// succeed (and both mail the user).
		res, err := tx.exec(`UPDATE users SET totp_secret = '', totp_enabled = ? WHERE id = ? AND totp_enabled = ?`, false, userID, true)
		if err != nil {
			return fmt.Errorf("reset second factor: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ksp.Errorf(ksp.ECONFLICT, "%s has no second factor to reset", u.Email)
		}
		if _, err := tx.exec(`DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("reset second factor: recovery codes: %w", err)
		}
		res, err = tx.exec(`DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return fmt.Errorf("reset second factor: sessions: %w", err)
		}
		ended, _ := res.RowsAffected()
		return tx.audit("user.second_factor_reset", "user:"+userID, u.OrgID, map[string]any{"reason": reason, "sessions_ended": ended})
	})
	if err != nil {
		return nil, err
	}
	u.TOTP, u.TOTPSecret = false, ""
	return u, nil
}

// CheckSecondFactor accepts a fresh TOTP code or an unused recovery code.
// Both are spent by a conditional update, so two replicas racing with the
// same code cannot both accept it.
func (db *DB) CheckSecondFactor(ctx context.Context, userID, code string) (string, error) {
	bad := ksp.Errorf(ksp.EUNAUTHORIZED, "wrong or already used code")
	var (
		sec     string
		enabled bool
		last    int64
		org     string
	)
	err := db.queryRow(ctx, `SELECT totp_secret, totp_enabled, totp_last_step, org_id FROM users WHERE id = ?`, userID).Scan(&sec, &enabled, &last, &org)
	if isNoRows(err) {
		return "", bad
	}
	if err != nil {
		return "", fmt.Errorf("check second factor: %w", err)
	}
	if !enabled {
		return "", bad
	}
	code = strings.TrimSpace(code)
	method := ksp.FactorTOTP
	err = db.write(ctx, func(tx *Tx) error {
		if digits := strings.ReplaceAll(code, " ", ""); len(digits) == totp.Digits {
			step, ok := totp.Validate(sec, digits, tx.now.Time, last)
			if !ok {
				return bad
			}
			res, err := tx.exec(`UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
			if err != nil {
				return fmt.Errorf("check second factor: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return bad
			}
		} else {
			method = ksp.FactorRecovery
			res, err := tx.exec(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
				micros(tx.now), userID, ksp.HashSecret(normalizeRecoveryCode(code)))
			if err != nil {
				return fmt.Errorf("check second factor: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return bad
			}
		}
		return tx.as(userID, org).audit("user.second_factor", "user:"+userID, org, map[string]any{"method": method})
	})
	if err != nil {
		return "", err
	}
	return method, nil
}

// NewRecoveryCodes replaces the user's recovery codes (the user itself,
// with the second factor on).
func (db *DB) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	if _, err := requireSelf(ctx, userID); err != nil {
		return nil, err
	}
	var codes []string
	err := db.write(ctx, func(tx *Tx) error {
		var enabled bool
		var org string
		if err := tx.queryRow(`SELECT totp_enabled, org_id FROM users WHERE id = ?`, userID).Scan(&enabled, &org); err != nil {
			return fmt.Errorf("recovery codes: %w", err)
		}
		if !enabled {
			return ksp.Errorf(ksp.ECONFLICT, "turn on the second factor first")
		}
		var err error
		if codes, err = tx.replaceRecoveryCodes(userID); err != nil {
			return err
		}
		return tx.audit("user.recovery_codes", "user:"+userID, org, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts unused recovery codes (the user, its admins,
// staff).
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	if _, _, err := db.mayManageUser(ctx, userID); err != nil {
		return 0, err
	}
	var n int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("recovery codes: %w", err)
	}
	return n, nil
}

// CreatePasswordReset makes a one-hour, one-time link for an active user.
func (db *DB) CreatePasswordReset(ctx context.Context, email string) (*ksp.PasswordReset, error) {
	e, ok := ksp.NormalizeEmail(email)
	if !ok {
		return nil, ksp.NotFound("user")
	}
	u, err := db.loadUser(ctx, db.sql, `u.email = ?`, e)
	if err != nil {
		return nil, err
	}
	if u.Status != ksp.UserActive {
		return nil, ksp.NotFound("user")
	}
	pr := &ksp.PasswordReset{UserID: u.ID, Email: u.Email, Token: ksp.RandomToken(32)}
	err = db.write(ctx, func(tx *Tx) error {
		pr.Expires = ksp.T(tx.now.Add(ksp.PasswordResetTTL))
		if _, err := tx.exec(`DELETE FROM password_resets WHERE expires_at < ?`, micros(tx.now)); err != nil {
			return fmt.Errorf("password reset: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			ksp.HashSecret(pr.Token), u.ID, micros(tx.now), micros(pr.Expires)); err != nil {
			return fmt.Errorf("password reset: %w", err)
		}
		return tx.as(u.ID, u.OrgID).audit("user.password_reset_request", "user:"+u.ID, u.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	return pr, nil
}

var errBadReset = &ksp.Error{Code: ksp.EINVALID, Message: "this password reset link is invalid, used or expired",
	Fields: []ksp.FieldError{{Field: "token", Reason: "invalid, used or expired"}}}

func (db *DB) findReset(ctx context.Context, q querier, token string) (*ksp.PasswordReset, error) {
	var pr ksp.PasswordReset
	var exp int64
	var used sql.NullInt64
	err := q.QueryRowContext(ctx, db.rebind(`SELECT r.user_id, u.email, r.expires_at, r.used_at FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?`),
		ksp.HashSecret(token)).Scan(&pr.UserID, &pr.Email, &exp, &used)
	if isNoRows(err) || (err == nil && (used.Valid || !fromMicros(exp).After(ksp.Now()))) {
		return nil, errBadReset
	}
	if err != nil {
		return nil, fmt.Errorf("password reset: %w", err)
	}
	pr.Expires = fromMicros(exp)
	return &pr, nil
}

// FindPasswordReset checks a reset token without spending it.
func (db *DB) FindPasswordReset(ctx context.Context, token string) (*ksp.PasswordReset, error) {
	return db.findReset(ctx, db.sql, token)
}

// ResetPassword spends a reset token and sets the password; every session
// of the user ends and its other reset links stop working.
func (db *DB) ResetPassword(ctx context.Context, token, password string) (*ksp.User, error) {
	if reason := ksp.PasswordProblem(password); reason != "" {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "password " + reason, Fields: []ksp.FieldError{{Field: "password", Reason: reason}}}
	}
	hash := secret.HashPassword(password)
	var u *ksp.User
	err := db.write(ctx, func(tx *Tx) error {
		pr, err := db.findReset(ctx, tx, token)
		if err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, micros(tx.now), ksp.HashSecret(token))
		if err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errBadReset
		}
		for _, q := range []string{
			`UPDATE users SET password_hash = ? WHERE id = ?`,
		} {
			if _, err := tx.exec(q, hash, pr.UserID); err != nil {
				return fmt.Errorf("reset password: %w", err)
			}
		}
		for _, q := range []string{`DELETE FROM sessions WHERE user_id = ?`, `DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL`} {
			if _, err := tx.exec(q, pr.UserID); err != nil {
				return fmt.Errorf("reset password: %w", err)
			}
		}
		if u, err = db.loadUser(ctx, tx, `u.id = ?`, pr.UserID); err != nil {
			return err
		}
		return tx.as(u.ID, u.OrgID).audit("user.password_reset", "user:"+u.ID, u.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FindInvitation checks an invitation token without spending it.
func (db *DB) FindInvitation(ctx context.Context, token string) (*ksp.Invitation, error) {
	inv := ksp.Invitation{}
	var exp int64
	var used sql.NullInt64
	err := db.queryRow(ctx, `SELECT i.user_id, u.email, i.expires_at, i.used_at FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = ?`,
		ksp.HashSecret(token)).Scan(&inv.UserID, &inv.Email, &exp, &used)
	if isNoRows(err) || (err == nil && (used.Valid || !fromMicros(exp).After(ksp.Now()))) {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "this invitation link is invalid, used or expired", Fields: []ksp.FieldError{{Field: "token", Reason: "invalid, used or expired"}}}
	}
	if err != nil {
		return nil, fmt.Errorf("find invitation: %w", err)
	}
	inv.Expires = fromMicros(exp)
	return &inv, nil
}

// ThrottleCheck returns until when key is locked.
func (db *DB) ThrottleCheck(ctx context.Context, key string) (time.Time, error) {
	var until int64
	err := db.queryRow(ctx, `SELECT locked_until FROM signin_throttle WHERE key_hash = ?`, ksp.HashSecret(key)).Scan(&until)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("throttle: %w", err)
	}
	if t := fromMicros(until).Time; t.After(ksp.Now()) {
		return t, nil
	}
	return time.Time{}, nil
}

// ThrottleFailure counts a failure in key's window; the rule's Max-th locks
// the key. Counting is bookkeeping; a lock is audited (at most one per key
// per lock period).
func (db *DB) ThrottleFailure(ctx context.Context, key string, rule ksp.ThrottleRule) (time.Time, error) {
	h := ksp.HashSecret(key)
	var locked time.Time
	err := db.write(ctx, func(tx *Tx) error {
		var failures int
		var start, until int64
		err := tx.queryRow(`SELECT failures, window_start, locked_until FROM signin_throttle WHERE key_hash = ?`, h).Scan(&failures, &start, &until)
		switch {
		case isNoRows(err):
			failures, start, until = 0, micros(tx.now), 0
			if _, err := tx.exec(`INSERT INTO signin_throttle (key_hash, failures, window_start, locked_until) VALUES (?, 0, ?, 0)`, h, start); err != nil {
				return fmt.Errorf("throttle: %w", err)
			}
		case err != nil:
			return fmt.Errorf("throttle: %w", err)
		}
		if t := fromMicros(until).Time; t.After(tx.now.Time) {
			locked = t
			return nil
		}
		if tx.now.Sub(fromMicros(start).Time) > rule.Window {
			failures, start = 0, micros(tx.now)
		}
		failures++
		until = 0
		if failures >= rule.Max {
			locked = tx.now.Add(rule.Lock)
			until, failures, start = micros(locked), 0, micros(tx.now)
		}
		if _, err := tx.exec(`UPDATE signin_throttle SET failures = ?, window_start = ?, locked_until = ? WHERE key_hash = ?`, failures, start, until, h); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		if until == 0 {
			return nil
		}
		kind, _, _ := strings.Cut(key, ":")
		return tx.audit("signin.lock", "throttle:"+h[:16], ksp.StaffOrgID, map[string]any{"kind": kind, "until": ksp.FormatTime(locked)})
	})
	return locked, err
}

// ThrottleReset forgets key's failures; its row goes (bookkeeping).
func (db *DB) ThrottleReset(ctx context.Context, key string) error {
	if _, err := db.exec(ctx, `DELETE FROM signin_throttle WHERE key_hash = ? AND locked_until < ?`, ksp.HashSecret(key), micros(ksp.Now())); err != nil {
		return fmt.Errorf("throttle reset: %w", err)
	}
	return nil
}

// Secret returns the named secret, creating it on first use. Replicas
// racing to create it agree on the one that was inserted first.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	key := "secret:" + name
	get := func() ([]byte, error) {
		var v string
		err := db.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, key).Scan(&v)
		if err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("secret %s: stored value is not 32 bytes of hex", name)
		}
		return b, nil
	}
	b, err := get()
	if err == nil {
		return b, nil
	}
	if !isNoRows(err) {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, key, ksp.RandomToken(32))
		if err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		sub := tx
		if ksp.ActorFrom(tx.ctx) == nil {
			sub = &Tx{Tx: tx.Tx, db: tx.db, ctx: ksp.NewContext(tx.ctx, ksp.SystemActor("system")), now: tx.now}
		}
		return sub.audit("settings.create_secret", "setting:"+key, ksp.StaffOrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	b, err = get()
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return b, nil
}
