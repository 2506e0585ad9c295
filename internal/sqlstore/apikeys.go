package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// lastUsedEvery is how often last_used is written at most.
const lastUsedEvery = time.Minute

const keyCols = `k.id, k.org_id, COALESCE(k.user_id, ''), k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.last_used, k.revoked_at`

func scanKey(sc interface{ Scan(...any) error }) (*ksp.APIKey, error) {
	var k ksp.APIKey
	var scopes string
	var created int64
	var exp, last, rev sql.NullInt64
	if err := sc.Scan(&k.ID, &k.OrgID, &k.UserID, &k.Name, &k.Prefix, &scopes, &created, &exp, &last, &rev); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return nil, fmt.Errorf("key %s: scopes: %w", k.ID, err)
	}
	k.Created = fromMicros(created)
	k.Expires, k.LastUsed, k.Revoked = ptrTime(exp), ptrTime(last), ptrTime(rev)
	return &k, nil
}

// CreateAPIKey creates a key for the actor (or, for admins, another user of
// the org) with scopes within that user's role and within the scopes of the
// actor's own credential. Whether a key may create keys at all (the admin
// scope) is the API's route table's call. A suspended org's people create
// no keys; staff still may. The secret is in the answer only.
func (db *DB) CreateAPIKey(ctx context.Context, nk ksp.NewAPIKey) (*ksp.APIKey, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == "" && nk.UserID == "" {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "keys belong to a user; sign in or name user_id")
	}
	var f ksp.Fields
	nk.Name = strings.TrimSpace(nk.Name)
	if len(nk.Name) > 200 {
		f.Add("name", "longer than 200 characters")
	}
	if len(nk.Scopes) == 0 {
		f.Add("scopes", "name at least one of read, submit, match, admin")
	}
	for _, s := range nk.Scopes {
		if !slices.Contains(ksp.Scopes, s) {
			f.Add("scopes", "unknown scope "+string(s))
		}
	}
	if nk.Expires != nil && !nk.Expires.After(ksp.Now()) {
		f.Add("expires_at", "must be in the future")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	userID := a.UserID
	if nk.UserID != "" && nk.UserID != a.UserID {
		if !a.HasRole(ksp.RoleAdmin) {
			return nil, ksp.Errorf(ksp.EFORBIDDEN, "only admins create keys for others")
		}
		userID = nk.UserID
	}
	owner, err := db.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if owner.OrgID != a.OrgID && !a.Staff {
		return nil, ksp.NotFound("user")
	}
	var org ksp.Org
	if err := db.queryRow(ctx, `SELECT kind, status FROM orgs WHERE id = ?`, owner.OrgID).Scan(&org.Kind, &org.Status); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	if org.Status == ksp.OrgStatusSuspended && !a.Staff {
		return nil, errSuspended("create API keys")
	}
	allowed := ksp.AllowedScopes(owner.OrgID == ksp.StaffOrgID, org.Kind, owner.Role)
	for _, s := range nk.Scopes {
		switch {
		case !slices.Contains(allowed, s):
			f.Add("scopes", fmt.Sprintf("scope %s is beyond what the key's user may do", s))
		case !a.HasScope(s):
			// A key mints no key stronger than itself (a session carries
			// every scope its role allows).
			f.Add("scopes", fmt.Sprintf("scope %s is beyond the scopes of the credential creating the key", s))
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	secretKey := ksp.GenerateAPIKey()
	k := &ksp.APIKey{ID: ksp.NewID(), OrgID: owner.OrgID, UserID: owner.ID, Name: nk.Name, Prefix: secretKey[:8], Scopes: nk.Scopes, Expires: nk.Expires, Secret: secretKey}
	err = db.write(ctx, func(tx *Tx) error {
		k.Created = tx.now
		if _, err := tx.exec(`INSERT INTO api_keys (id, org_id, user_id, name, prefix, secret_hash, scopes, demo, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.OrgID, k.UserID, k.Name, k.Prefix, ksp.HashSecret(secretKey), jsonList(k.Scopes), nk.Demo, micros(k.Created), nullMicros(k.Expires)); err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		return tx.audit("apikey.create", "apikey:"+k.ID, k.OrgID, map[string]any{"name": k.Name, "scopes": jsonScopes(k.Scopes), "user_id": k.UserID})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func jsonScopes(s []ksp.Scope) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

// FindAPIKeys lists the actor's own keys, or with OrgWide (admins) all of
// its org's keys.
func (db *DB) FindAPIKeys(ctx context.Context, f ksp.APIKeyFilter) ([]*ksp.APIKey, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	where, args := "k.user_id = ?", []any{a.UserID}
	if f.OrgWide {
		if !a.HasRole(ksp.RoleAdmin) {
			return nil, "", ksp.Errorf(ksp.EFORBIDDEN, "organisation admins only")
		}
		where, args = "k.org_id = ?", []any{a.OrgID}
	}
	pw, pargs, limit, err := pageQuery(f.Page, "k.id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT `+keyCols+` FROM api_keys k WHERE `+where+` AND `+pw+` ORDER BY k.id DESC LIMIT `+fmt.Sprint(limit), append(args, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find keys: %w", err)
	}
	defer rows.Close()
	var out []*ksp.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find keys: %w", err)
	}
	out, next := cut(out, f.Page, func(k *ksp.APIKey) string { return k.ID })
	return out, next, nil
}

// RevokeAPIKey revokes a key of the actor's own, or (admins, staff) of its
// org. Revocation is effective for the next request.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	a, err := requireActor(ctx)
	if err != nil {
		return err
	}
	if !ksp.ValidID(id) {
		return ksp.NotFound("API key")
	}
	k, err := scanKey(db.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys k WHERE k.id = ?`, id))
	if isNoRows(err) {
		return ksp.NotFound("API key")
	}
	if err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	switch {
	case a.Staff, k.UserID == a.UserID && a.UserID != "":
	case k.OrgID == a.OrgID && a.HasRole(ksp.RoleAdmin):
	case k.OrgID == a.OrgID:
		return ksp.Errorf(ksp.EFORBIDDEN, "only admins revoke others' keys")
	default:
		return ksp.NotFound("API key")
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(tx.now), id); err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		tx.authChanged()
		return tx.audit("apikey.revoke", "apikey:"+id, k.OrgID, nil)
	})
}

// RevokeDemoAPIKeys revokes the keys of earlier demo starts.
func (db *DB) RevokeDemoAPIKeys(ctx context.Context) error {
	if _, err := requireStaff(ctx); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE api_keys SET revoked_at = ? WHERE demo = ? AND revoked_at IS NULL`, micros(tx.now), true)
		if err != nil {
			return fmt.Errorf("revoke demo keys: %w", err)
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			return nil
		}
		tx.authChanged()
		return tx.audit("apikey.revoke_demo", "apikeys:demo", ksp.StaffOrgID, map[string]any{"count": n})
	})
}

// narrowKeys removes scopes a user's keys no longer may carry after a role
// change.
func (tx *Tx) narrowKeys(u *ksp.User) error {
	var kind ksp.OrgKind
	if err := tx.queryRow(`SELECT kind FROM orgs WHERE id = ?`, u.OrgID).Scan(&kind); err != nil {
		return fmt.Errorf("narrow keys: %w", err)
	}
	allowed := ksp.AllowedScopes(u.OrgID == ksp.StaffOrgID, kind, u.Role)
	rows, err := tx.query(`SELECT id, scopes FROM api_keys WHERE user_id = ? AND revoked_at IS NULL`, u.ID)
	if err != nil {
		return fmt.Errorf("narrow keys: %w", err)
	}
	type upd struct{ id, scopes string }
	var todo []upd
	for rows.Next() {
		var id, js string
		var scopes []ksp.Scope
		if err := rows.Scan(&id, &js); err != nil {
			rows.Close()
			return fmt.Errorf("narrow keys: %w", err)
		}
		if err := json.Unmarshal([]byte(js), &scopes); err != nil {
			rows.Close()
			return fmt.Errorf("narrow keys: %w", err)
		}
		kept := slices.DeleteFunc(slices.Clone(scopes), func(s ksp.Scope) bool { return !slices.Contains(allowed, s) })
		if len(kept) != len(scopes) {
			todo = append(todo, upd{id, jsonList(kept)})
		}
	}
	rows.Close()
	if len(todo) > 0 {
		tx.authChanged()
	}
	for _, t := range todo {
		if _, err := tx.exec(`UPDATE api_keys SET scopes = ? WHERE id = ?`, t.scopes, t.id); err != nil {
			return fmt.Errorf("narrow keys: %w", err)
		}
	}
	return nil
}

// ActorForKey resolves a presented key. Unknown, revoked and expired keys and
// keys whose user was removed are all EUNAUTHORIZED.
func (db *DB) ActorForKey(ctx context.Context, key string) (*ksp.Actor, error) {
	a, _, err := db.ResolveAPIKey(ctx, key)
	return a, err
}

// ResolveAPIKey is ActorForKey that also returns when the key expires (nil:
// never), for adapters that cache resolved keys and must check the expiry
// again on every use. Every call reads the database.
func (db *DB) ResolveAPIKey(ctx context.Context, key string) (*ksp.Actor, *ksp.Time, error) {
	bad := ksp.Errorf(ksp.EUNAUTHORIZED, "invalid, revoked or expired API key")
	if !ksp.WellFormedAPIKey(key) {
		return nil, nil, bad
	}
	var (
		a         ksp.Actor
		scopes    string
		exp, last sql.NullInt64
		rev       sql.NullInt64
		userID    sql.NullString
		orgStatus string
		role      sql.NullString
	)
	stmt, err := db.prepared(ctx, `SELECT k.id, k.org_id, k.user_id, k.scopes, k.expires_at, k.last_used, k.revoked_at, o.kind, o.status, u.role
		FROM api_keys k JOIN orgs o ON o.id = k.org_id LEFT JOIN users u ON u.id = k.user_id
		WHERE k.secret_hash = ?`)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve key: %w", err)
	}
	err = stmt.QueryRowContext(ctx, ksp.HashSecret(key)).Scan(&a.APIKeyID, &a.OrgID, &userID, &scopes, &exp, &last, &rev, &a.OrgKind, &orgStatus, &role)
	if isNoRows(err) {
		return nil, nil, bad
	}
	if err != nil {
		return nil, nil, fmt.Errorf("resolve key: %w", err)
	}
	now := ksp.Now()
	if rev.Valid || !userID.Valid || !role.Valid || (exp.Valid && !fromMicros(exp.Int64).After(now)) {
		return nil, nil, bad
	}
	a.UserID = userID.String
	a.Role = ksp.Role(role.String)
	a.Staff = a.OrgID == ksp.StaffOrgID
	a.Suspended = orgStatus == ksp.OrgStatusSuspended
	if err := json.Unmarshal([]byte(scopes), &a.Scopes); err != nil {
		return nil, nil, fmt.Errorf("resolve key: %w", err)
	}
	if a.Scopes == nil {
		a.Scopes = []ksp.Scope{}
	}
	if !last.Valid || now.Sub(fromMicros(last.Int64).Time) >= lastUsedEvery {
		if _, err := db.exec(ctx, `UPDATE api_keys SET last_used = ? WHERE id = ?`, micros(now), a.APIKeyID); err != nil {
			db.log.Warn("could not record key use", "key", a.APIKeyID, "err", err)
		}
	}
	return &a, ptrTime(exp), nil
}
