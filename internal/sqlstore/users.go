package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

const userCols = `u.id, u.org_id, u.email, u.name, u.role, u.status, u.totp_enabled, u.created_at, u.last_login, u.password_hash, u.totp_secret`

func scanUser(sc interface{ Scan(...any) error }) (*ksp.User, error) {
	var u ksp.User
	var created int64
	var last sql.NullInt64
	if err := sc.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.Status, &u.TOTP, &created, &last, &u.PasswordHash, &u.TOTPSecret); err != nil {
		return nil, err
	}
	u.Created = fromMicros(created)
	u.LastLogin = ptrTime(last)
	return &u, nil
}

func (db *DB) loadUser(ctx context.Context, q querier, where string, args ...any) (*ksp.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, db.rebind(`SELECT `+userCols+` FROM users u WHERE `+where), args...))
	if isNoRows(err) {
		return nil, ksp.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// FindUserByID returns a user of the actor's own org (or any, for staff);
// a user may always read itself.
func (db *DB) FindUserByID(ctx context.Context, id string) (*ksp.User, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("user")
	}
	u, err := db.loadUser(ctx, db.sql, `u.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if !a.Staff && u.OrgID != a.OrgID {
		return nil, ksp.NotFound("user")
	}
	return u, nil
}

// FindUsers lists an org's users (its admins and staff).
func (db *DB) FindUsers(ctx context.Context, orgID string, p ksp.Page) ([]*ksp.User, string, error) {
	if _, err := requireOrgAdmin(ctx, orgID); err != nil {
		return nil, "", err
	}
	pw, pargs, limit, err := pageQuery(p, "u.id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT `+userCols+` FROM users u WHERE u.org_id = ? AND `+pw+` ORDER BY u.id DESC LIMIT `+fmt.Sprint(limit), append([]any{orgID}, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find users: %w", err)
	}
	defer rows.Close()
	var out []*ksp.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find users: %w", err)
	}
	out, next := cut(out, p, func(u *ksp.User) string { return u.ID })
	return out, next, nil
}

// CreateUser adds a user to an org. Without a password the user is invited
// and the returned invitation carries the one-time token. A suspended org's
// admins add no users; staff still may.
func (db *DB) CreateUser(ctx context.Context, orgID string, nu ksp.NewUser) (*ksp.User, *ksp.Invitation, error) {
	a, err := requireOrgAdmin(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	var f ksp.Fields
	ksp.ValidateNewUser(&nu, &f)
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	var u *ksp.User
	var inv *ksp.Invitation
	err = db.write(ctx, func(tx *Tx) error {
		o, err := db.findOrg(ctx, tx, a, orgID)
		if err != nil {
			return err
		}
		if o.Status == ksp.OrgStatusSuspended && !a.Staff {
			return errSuspended("add users")
		}
		u, inv, err = tx.createUser(orgID, nu)
		return err
	})
	return u, inv, err
}

func (tx *Tx) createUser(orgID string, nu ksp.NewUser) (*ksp.User, *ksp.Invitation, error) {
	u := &ksp.User{ID: ksp.NewID(), OrgID: orgID, Email: nu.Email, Name: strings.TrimSpace(nu.Name), Role: nu.Role, Status: ksp.UserInvited, Created: tx.now}
	if nu.Password != "" {
		u.PasswordHash = secret.HashPassword(nu.Password)
		u.Status = ksp.UserActive
	}
	_, err := tx.exec(`INSERT INTO users (id, org_id, email, name, role, status, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, u.Name, string(u.Role), u.Status, u.PasswordHash, micros(u.Created))
	if err != nil {
		return nil, nil, tx.db.conflictOr(fmt.Errorf("create user: %w", err), "email", "a user with this email exists")
	}
	if err := tx.audit("user.create", "user:"+u.ID, orgID, map[string]any{"email": u.Email, "name": u.Name, "role": string(u.Role)}); err != nil {
		return nil, nil, err
	}
	if u.Status != ksp.UserInvited {
		return u, nil, nil
	}
	inv := &ksp.Invitation{UserID: u.ID, Email: u.Email, Token: ksp.RandomToken(24), Expires: ksp.T(tx.now.Add(InvitationTTL))}
	if _, err := tx.exec(`INSERT INTO invitations (token_hash, user_id, expires_at) VALUES (?, ?, ?)`, ksp.HashSecret(inv.Token), u.ID, micros(inv.Expires)); err != nil {
		return nil, nil, fmt.Errorf("create invitation: %w", err)
	}
	return u, inv, nil
}

// CreateStaffUser bootstraps a staff account (CLI).
func (db *DB) CreateStaffUser(ctx context.Context, email, name, password string) (*ksp.User, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	nu := ksp.NewUser{Email: email, Name: name, Role: ksp.RoleAdmin, Password: password}
	var f ksp.Fields
	ksp.ValidateNewUser(&nu, &f)
	if password == "" {
		f.Add("password", "required")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var u *ksp.User
	err := db.write(ctx, func(tx *Tx) (err error) {
		u, _, err = tx.createUser(ksp.StaffOrgID, nu)
		return err
	})
	return u, err
}

// UpdateUser changes a user's name or role (its org's admins, staff).
func (db *DB) UpdateUser(ctx context.Context, id string, upd ksp.UserUpdate) (*ksp.User, error) {
	u, err := db.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := requireOrgAdmin(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	if upd.Name != nil {
		if len(*upd.Name) > 200 {
			f.Add("name", "longer than 200 characters")
		}
		u.Name = strings.TrimSpace(*upd.Name)
	}
	if upd.Role != nil {
		if upd.Role.Rank() == 0 {
			f.Add("role", "must be admin, analyst or viewer")
		}
		if u.ID == a.UserID && *upd.Role != u.Role {
			f.Add("role", "you cannot change your own role")
		}
		u.Role = *upd.Role
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE users SET name = ?, role = ? WHERE id = ?`, u.Name, string(u.Role), id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if upd.Role != nil {
			tx.authChanged()
		}
		// Keys cannot outgrow their user's role: narrow them.
		if err := tx.narrowKeys(u); err != nil {
			return err
		}
		return tx.audit("user.update", "user:"+id, u.OrgID, map[string]any{"name": u.Name, "role": string(u.Role)})
	})
	return u, err
}

// DeleteUser removes a user; its keys are revoked and its sessions end in
// the same transaction, so the next request with them is refused.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	u, err := db.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	a, err := requireOrgAdmin(ctx, u.OrgID)
	if err != nil {
		return err
	}
	if a.UserID == id {
		return &ksp.Error{Code: ksp.EINVALID, Message: "you cannot remove yourself", Fields: []ksp.FieldError{{Field: "id", Reason: "is your own account"}}}
	}
	return db.write(ctx, func(tx *Tx) error {
		tx.authChanged()
		if _, err := tx.exec(`UPDATE api_keys SET revoked_at = ?, user_id = NULL WHERE user_id = ? AND revoked_at IS NULL`, micros(tx.now), id); err != nil {
			return fmt.Errorf("delete user: revoke keys: %w", err)
		}
		if _, err := tx.exec(`UPDATE api_keys SET user_id = NULL WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		for _, q := range []string{`DELETE FROM sessions WHERE user_id = ?`, `DELETE FROM invitations WHERE user_id = ?`, `DELETE FROM users WHERE id = ?`} {
			if _, err := tx.exec(q, id); err != nil {
				return fmt.Errorf("delete user: %w", err)
			}
		}
		return tx.audit("user.delete", "user:"+id, u.OrgID, map[string]any{"email": u.Email})
	})
}

// ResendInvitation replaces an invited user's invitation: the old tokens
// are deleted, so a link mailed before (perhaps to a mistyped forwarding
// address, perhaps expired) stops working, and the new one runs for
// InvitationTTL from now (its org's admins, staff).
func (db *DB) ResendInvitation(ctx context.Context, userID string) (*ksp.Invitation, error) {
	u, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := requireOrgAdmin(ctx, u.OrgID); err != nil {
		return nil, err
	}
	var inv *ksp.Invitation
	err = db.write(ctx, func(tx *Tx) error {
		var status string
		if err := tx.queryRow(`SELECT status FROM users WHERE id = ?`, userID).Scan(&status); err != nil {
			if isNoRows(err) {
				return ksp.NotFound("user")
			}
			return fmt.Errorf("resend invitation: %w", err)
		}
		if status != ksp.UserInvited {
			return ksp.Errorf(ksp.ECONFLICT, "%s has already accepted the invitation", u.Email)
		}
		if _, err := tx.exec(`DELETE FROM invitations WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("resend invitation: %w", err)
		}
		inv = &ksp.Invitation{UserID: u.ID, Email: u.Email, Token: ksp.RandomToken(24), Expires: ksp.T(tx.now.Add(InvitationTTL))}
		if _, err := tx.exec(`INSERT INTO invitations (token_hash, user_id, expires_at) VALUES (?, ?, ?)`, ksp.HashSecret(inv.Token), u.ID, micros(inv.Expires)); err != nil {
			return fmt.Errorf("resend invitation: %w", err)
		}
		return tx.audit("user.invitation_resend", "user:"+u.ID, u.OrgID, map[string]any{"email": u.Email, "expires_at": ksp.FormatTime(inv.Expires.Time)})
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// AcceptInvitation sets an invited user's password with a valid, unused,
// unexpired token.
func (db *DB) AcceptInvitation(ctx context.Context, token, password string) (*ksp.User, error) {
	if reason := ksp.PasswordProblem(password); reason != "" {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "password " + reason, Fields: []ksp.FieldError{{Field: "password", Reason: reason}}}
	}
	var u *ksp.User
	err := db.write(ctx, func(tx *Tx) error {
		var userID string
		var expires int64
		var used sql.NullInt64
		err := tx.queryRow(`SELECT user_id, expires_at, used_at FROM invitations WHERE token_hash = ?`, ksp.HashSecret(token)).Scan(&userID, &expires, &used)
		if isNoRows(err) || (err == nil && (used.Valid || fromMicros(expires).Before(tx.now.Time))) {
			return &ksp.Error{Code: ksp.EINVALID, Message: "this invitation link is invalid, used or expired", Fields: []ksp.FieldError{{Field: "token", Reason: "invalid, used or expired"}}}
		}
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if _, err := tx.exec(`UPDATE invitations SET used_at = ? WHERE token_hash = ?`, micros(tx.now), ksp.HashSecret(token)); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if _, err := tx.exec(`UPDATE users SET password_hash = ?, status = ? WHERE id = ?`, secret.HashPassword(password), ksp.UserActive, userID); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		u, err = db.loadUser(ctx, tx, `u.id = ?`, userID)
		if err != nil {
			return err
		}
		ctx := ksp.NewContext(tx.ctx, &ksp.Actor{UserID: u.ID, OrgID: u.OrgID})
		sub := &Tx{Tx: tx.Tx, db: tx.db, ctx: ctx, now: tx.now}
		return sub.audit("user.accept_invitation", "user:"+u.ID, u.OrgID, nil)
	})
	return u, err
}

// Authenticate checks an email and password. Unknown emails cost as much
// time as wrong passwords. Callers throttle attempts.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*ksp.User, error) {
	bad := ksp.Errorf(ksp.EUNAUTHORIZED, "wrong email or password")
	e, ok := ksp.NormalizeEmail(email)
	if !ok {
		secret.CheckDummy(password)
		return nil, bad
	}
	u, err := db.loadUser(ctx, db.sql, `u.email = ?`, e)
	if ksp.ErrorCode(err) == ksp.ENOTFOUND || (err == nil && u.PasswordHash == "") {
		secret.CheckDummy(password)
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	ok, err = secret.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !ok {
		return nil, bad
	}
	return u, nil
}

// SetPassword replaces a user's password.
func (db *DB) SetPassword(ctx context.Context, userID, password string) error {
	u, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	if a := ksp.ActorFrom(ctx); a.UserID != userID {
		if _, err := requireOrgAdmin(ctx, u.OrgID); err != nil {
			return err
		}
	}
	if reason := ksp.PasswordProblem(password); reason != "" {
		return &ksp.Error{Code: ksp.EINVALID, Message: "password " + reason, Fields: []ksp.FieldError{{Field: "password", Reason: reason}}}
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE users SET password_hash = ?, status = ? WHERE id = ?`, secret.HashPassword(password), ksp.UserActive, userID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return tx.audit("user.set_password", "user:"+userID, u.OrgID, nil)
	})
}
