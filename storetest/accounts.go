package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
)

func testSessions(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := context.Background()
	token, s, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID, IP: "192.0.2.1", UserAgent: "test"})
	must(t, err)
	if len(token) != 64 || s.State != ksp.SessionActive || !s.Expires.After(s.Created.Time) {
		t.Fatalf("token %q session %+v", token, s)
	}
	var stored int
	must(t, db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`), token).Scan(&stored))
	if stored != 0 {
		t.Fatal("session token stored in clear")
	}
	got, a, err := db.SessionByToken(ctx, token)
	must(t, err)
	if got.ID != s.ID || a.UserID != f.PlatView.ID || a.OrgID != f.Platform.ID || a.Role != ksp.RoleViewer || a.Scopes != nil || a.Staff {
		t.Fatalf("session %+v actor %+v", got, a)
	}
	if !a.HasScope(ksp.ScopeRead) || a.HasScope(ksp.ScopeAdmin) {
		t.Fatal("session scopes do not follow the role")
	}
	_, _, err = db.SessionByToken(ctx, "0000000000000000000000000000000000000000000000000000000000000000")
	wantCode(t, err, ksp.EUNAUTHORIZED)

	// A role change is seen at the next lookup: nothing is cached.
	role := ksp.RoleAnalyst
	_, err = db.UpdateUser(As(f.Platform, f.PlatAdmin), f.PlatView.ID, ksp.UserUpdate{Role: &role})
	must(t, err)
	_, a, err = db.SessionByToken(ctx, token)
	must(t, err)
	if a.Role != ksp.RoleAnalyst {
		t.Fatalf("role %s after change", a.Role)
	}

	// Listing: the user and its admins; outsiders see nothing.
	t2, s2, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	must(t, err)
	self := As(f.Platform, &ksp.User{ID: f.PlatView.ID, Role: ksp.RoleAnalyst})
	list, err := db.FindSessions(self, f.PlatView.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != s2.ID {
		t.Fatalf("sessions %+v", list)
	}
	_, err = db.FindSessions(As(f.Startup, f.StartAdm), f.PlatView.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	err = db.RevokeSession(As(f.Startup, f.StartAdm), s.ID)
	wantCode(t, err, ksp.ENOTFOUND)

	// Revocation is effective at once.
	must(t, db.RevokeSession(self, s2.ID))
	_, _, err = db.SessionByToken(ctx, t2)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	t3, s3, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	must(t, err)
	must(t, db.RevokeSessions(self, f.PlatView.ID, s3.ID))
	_, _, err = db.SessionByToken(ctx, token)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, _, err = db.SessionByToken(ctx, t3)
	must(t, err)

	// Expired and idle sessions are refused.
	setCol := func(col string, v int64, id string) {
		t.Helper()
		_, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE sessions SET `+col+` = ? WHERE id = ?`), v, id)
		must(t, err)
	}
	past := time.Now().Add(-time.Minute).UnixMicro()
	setCol("expires_at", past, s3.ID)
	_, _, err = db.SessionByToken(ctx, t3)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	t4, s4, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	must(t, err)
	setCol("last_seen", time.Now().Add(-ksp.SessionIdleTimeout-time.Minute).UnixMicro(), s4.ID)
	_, _, err = db.SessionByToken(ctx, t4)
	wantCode(t, err, ksp.EUNAUTHORIZED)

	// A pending session is promoted under a new token; the old one dies.
	t5, s5, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatAdmin.ID, State: ksp.SessionSecondFactor})
	must(t, err)
	if s5.State != ksp.SessionSecondFactor || s5.Expires.Sub(s5.Created.Time) > ksp.SessionPendingLifetime {
		t.Fatalf("pending session %+v", s5)
	}
	t6, s6, err := db.PromoteSession(ctx, s5.ID)
	must(t, err)
	if t6 == t5 || s6.State != ksp.SessionActive {
		t.Fatalf("promote: %+v", s6)
	}
	_, _, err = db.SessionByToken(ctx, t5)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	got, _, err = db.SessionByToken(ctx, t6)
	must(t, err)
	if got.ID != s5.ID || got.State != ksp.SessionActive {
		t.Fatalf("promoted session %+v", got)
	}

	// Removing a user ends its sessions.
	must(t, db.DeleteUser(As(f.Platform, f.PlatAdmin), f.PlatView.ID))
	tok, _, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	wantCode(t, err, ksp.ENOTFOUND)
	_ = tok
	var left int
	must(t, db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`), f.PlatView.ID).Scan(&left))
	if left != 0 {
		t.Fatalf("%d sessions left after the user was removed", left)
	}
	verifyChain(t, db)
}

func verifyChain(t *testing.T, db ksp.AuditService) {
	t.Helper()
	if _, _, err := ksp.VerifyChain(Staff(), db, ""); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
}

// awayFromStepEdge waits until the current TOTP step has at least 3 s left,
// so codes computed by the test stay in the step they were made for.
func awayFromStepEdge() {
	if r := totp.Period - time.Now().Unix()%totp.Period; r < 3 {
		time.Sleep(time.Duration(r+1) * time.Second)
	}
}

func testSecondFactor(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	secret := totp.NewSecret()
	code := func(offset int64) string {
		c, err := totp.CodeAt(secret, totp.Step(time.Now())+offset)
		must(t, err)
		return c
	}
	_, err := db.EnableTOTP(admin, f.PlatView.ID, secret, code(0))
	wantCode(t, err, ksp.EFORBIDDEN)
	_, err = db.EnableTOTP(admin, f.PlatAdmin.ID, "not base32!", code(0))
	wantCode(t, err, ksp.EINVALID)
	awayFromStepEdge()
	_, err = db.EnableTOTP(admin, f.PlatAdmin.ID, secret, code(-2))
	wantCode(t, err, ksp.EINVALID)
	// A device one step behind is accepted (clock skew −1).
	codes, err := db.EnableTOTP(admin, f.PlatAdmin.ID, secret, code(-1))
	must(t, err)
	if len(codes) != ksp.RecoveryCodeCount {
		t.Fatalf("%d recovery codes", len(codes))
	}
	u, err := db.FindUserByID(admin, f.PlatAdmin.ID)
	must(t, err)
	if !u.TOTP {
		t.Fatal("totp not enabled")
	}
	ctx := context.Background()
	// The step used to enrol cannot be used again, nor any before it.
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, code(-1))
	wantCode(t, err, ksp.EUNAUTHORIZED)
	// A device one step ahead is accepted (clock skew +1) …
	m, err := db.CheckSecondFactor(ctx, f.PlatAdmin.ID, code(1))
	must(t, err)
	if m != ksp.FactorTOTP {
		t.Fatalf("method %s", m)
	}
	// … and then the current step is in the past: no replay.
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, code(0))
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, code(2))
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.CheckSecondFactor(ctx, f.PlatView.ID, code(0))
	wantCode(t, err, ksp.EUNAUTHORIZED)

	// Recovery codes: each works once, typed any way.
	typed := " " + codes[0][:5] + codes[0][6:] + " "
	m, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, typed)
	must(t, err)
	if m != ksp.FactorRecovery {
		t.Fatalf("method %s", m)
	}
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, codes[0])
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, "aaaaa-aaaaa")
	wantCode(t, err, ksp.EUNAUTHORIZED)
	n, err := db.RecoveryCodesLeft(admin, f.PlatAdmin.ID)
	must(t, err)
	if n != ksp.RecoveryCodeCount-1 {
		t.Fatalf("%d codes left", n)
	}
	fresh, err := db.NewRecoveryCodes(admin, f.PlatAdmin.ID)
	must(t, err)
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, codes[1])
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, fresh[1])
	must(t, err)

	// Admins cannot turn it off themselves; nor can others, staff included
	// (they reset it with a reason: ResetSecondFactor); the system can.
	wantCode(t, db.DisableTOTP(admin, f.PlatAdmin.ID), ksp.EFORBIDDEN)
	wantCode(t, db.DisableTOTP(As(f.Platform, f.PlatView), f.PlatAdmin.ID), ksp.EFORBIDDEN)
	wantCode(t, db.DisableTOTP(As(f.StaffOrg(t), f.StaffUser), f.PlatAdmin.ID), ksp.EFORBIDDEN)
	must(t, db.DisableTOTP(Staff(), f.PlatAdmin.ID))
	_, err = db.CheckSecondFactor(ctx, f.PlatAdmin.ID, fresh[2])
	wantCode(t, err, ksp.EUNAUTHORIZED)
	// Viewers may turn their optional second factor off.
	viewer := As(f.Platform, f.PlatView)
	awayFromStepEdge()
	_, err = db.EnableTOTP(viewer, f.PlatView.ID, secret, code(0))
	must(t, err)
	must(t, db.DisableTOTP(viewer, f.PlatView.ID))
	verifyChain(t, db)
}

func testPasswordReset(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := context.Background()
	_, err := db.CreatePasswordReset(ctx, "nobody@big.example")
	wantCode(t, err, ksp.ENOTFOUND)
	// Invited users have no password to reset: their invitation is the way.
	_, inv, err := db.CreateUser(As(f.Platform, f.PlatAdmin), f.Platform.ID, ksp.NewUser{Email: "invited@big.example", Role: ksp.RoleViewer})
	must(t, err)
	_, err = db.CreatePasswordReset(ctx, "invited@big.example")
	wantCode(t, err, ksp.ENOTFOUND)

	pr, err := db.CreatePasswordReset(ctx, "Viewer@Big.example")
	must(t, err)
	if pr.UserID != f.PlatView.ID || pr.Expires.Sub(ksp.Now()) > ksp.PasswordResetTTL {
		t.Fatalf("reset %+v", pr)
	}
	got, err := db.FindPasswordReset(ctx, pr.Token)
	must(t, err)
	if got.Email != "viewer@big.example" {
		t.Fatalf("found %+v", got)
	}
	sessTok, _, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	must(t, err)
	_, err = db.ResetPassword(ctx, pr.Token, "short")
	wantCode(t, err, ksp.EINVALID)
	u, err := db.ResetPassword(ctx, pr.Token, "a brand new passphrase")
	must(t, err)
	if u.ID != f.PlatView.ID {
		t.Fatalf("reset user %s", u.ID)
	}
	_, err = db.Authenticate(ctx, "viewer@big.example", "a brand new passphrase")
	must(t, err)
	// Single use, and the reset signed every session out.
	_, err = db.ResetPassword(ctx, pr.Token, "another new passphrase")
	wantCode(t, err, ksp.EINVALID)
	_, err = db.FindPasswordReset(ctx, pr.Token)
	wantCode(t, err, ksp.EINVALID)
	_, _, err = db.SessionByToken(ctx, sessTok)
	wantCode(t, err, ksp.EUNAUTHORIZED)

	// Expired links do not work.
	pr2, err := db.CreatePasswordReset(ctx, "viewer@big.example")
	must(t, err)
	_, err = db.SQL().ExecContext(ctx, db.Rebind(`UPDATE password_resets SET expires_at = ? WHERE token_hash = ?`), time.Now().Add(-time.Second).UnixMicro(), ksp.HashSecret(pr2.Token))
	must(t, err)
	_, err = db.ResetPassword(ctx, pr2.Token, "yet another passphrase")
	wantCode(t, err, ksp.EINVALID)
	_, err = db.ResetPassword(ctx, "", "yet another passphrase")
	wantCode(t, err, ksp.EINVALID)

	// Invitations can be checked without being spent.
	found, err := db.FindInvitation(ctx, inv.Token)
	must(t, err)
	if found.Email != "invited@big.example" {
		t.Fatalf("invitation %+v", found)
	}
	_, err = db.AcceptInvitation(ctx, inv.Token, "a long enough password")
	must(t, err)
	_, err = db.FindInvitation(ctx, inv.Token)
	wantCode(t, err, ksp.EINVALID)
	verifyChain(t, db)
}

func testThrottle(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	rule := ksp.ThrottleRule{Max: 5, Window: 15 * time.Minute, Lock: 10 * time.Minute}
	key := "email:someone@big.example"
	for i := 1; i < rule.Max; i++ {
		until, err := db.ThrottleFailure(ctx, key, rule)
		must(t, err)
		if !until.IsZero() {
			t.Fatalf("locked after %d failures", i)
		}
	}
	until, err := db.ThrottleCheck(ctx, key)
	must(t, err)
	if !until.IsZero() {
		t.Fatal("locked before the limit")
	}
	until, err = db.ThrottleFailure(ctx, key, rule)
	must(t, err)
	if d := time.Until(until); d < 9*time.Minute || d > rule.Lock {
		t.Fatalf("locked for %v", d)
	}
	until2, err := db.ThrottleCheck(ctx, key)
	must(t, err)
	if !until2.Equal(until) {
		t.Fatalf("check %v, want %v", until2, until)
	}
	// A success does not lift a lock; other keys are not affected.
	must(t, db.ThrottleReset(ctx, key))
	if until2, _ = db.ThrottleCheck(ctx, key); until2.IsZero() {
		t.Fatal("reset lifted a lock")
	}
	if u, _ := db.ThrottleCheck(ctx, "ip:192.0.2.1"); !u.IsZero() {
		t.Fatal("unrelated key locked")
	}
	// After the lock, counting starts again.
	_, err = db.SQL().ExecContext(ctx, db.Rebind(`UPDATE signin_throttle SET locked_until = ? WHERE key_hash = ?`), time.Now().Add(-time.Second).UnixMicro(), ksp.HashSecret(key))
	must(t, err)
	if u, _ := db.ThrottleCheck(ctx, key); !u.IsZero() {
		t.Fatal("still locked after the lock ended")
	}
	for i := 1; i < rule.Max; i++ {
		until, err := db.ThrottleFailure(ctx, key, rule)
		must(t, err)
		if !until.IsZero() {
			t.Fatalf("locked after %d failures following a lock", i)
		}
	}
	// Failures older than the window are forgotten.
	_, err = db.SQL().ExecContext(ctx, db.Rebind(`UPDATE signin_throttle SET window_start = ? WHERE key_hash = ?`), time.Now().Add(-rule.Window-time.Minute).UnixMicro(), ksp.HashSecret(key))
	must(t, err)
	until, err = db.ThrottleFailure(ctx, key, rule)
	must(t, err)
	if !until.IsZero() {
		t.Fatal("failures outside the window counted")
	}
	// A success clears the count.
	must(t, db.ThrottleReset(ctx, key))
	var n int
	must(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_throttle`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d throttle rows after reset", n)
	}
	verifyChain(t, db)
}

func testSecrets(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a, err := db.Secret(ctx, "csrf")
	must(t, err)
	b, err := db.Secret(ctx, "csrf")
	must(t, err)
	c, err := db.Secret(ctx, "cookie")
	must(t, err)
	if len(a) != 32 || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatalf("secrets %x %x %x", a, b, c)
	}
	verifyChain(t, db)
}

// countRows counts the rows of table where col = v.
func countRows(t *testing.T, db Store, table, col, v string) int {
	t.Helper()
	var n int
	must(t, db.SQL().QueryRowContext(context.Background(), db.Rebind(`SELECT COUNT(*) FROM `+table+` WHERE `+col+` = ?`), v).Scan(&n))
	return n
}

// auditEvents returns the audit events of action, newest first.
func auditEvents(t *testing.T, db Store, action string) []*ksp.AuditEvent {
	t.Helper()
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: &action, Page: ksp.Page{Limit: 100}})
	must(t, err)
	return evs
}

func testSecondFactorReset(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := context.Background()
	staffOrg := f.StaffOrg(t)
	enrol := func(o *ksp.Org, u *ksp.User) {
		t.Helper()
		sec := totp.NewSecret()
		awayFromStepEdge()
		c, err := totp.Code(sec, time.Now())
		must(t, err)
		_, err = db.EnableTOTP(As(o, u), u.ID, sec, c)
		must(t, err)
	}
	analyst, _, err := db.CreateUser(As(f.Platform, f.PlatAdmin), f.Platform.ID, ksp.NewUser{Email: "analyst@big.example", Role: ksp.RoleAnalyst, Password: "a long enough password"})
	must(t, err)
	second, _, err := db.CreateUser(As(f.Platform, f.PlatAdmin), f.Platform.ID, ksp.NewUser{Email: "admin2@big.example", Role: ksp.RoleAdmin, Password: "a long enough password"})
	must(t, err)
	staff2, err := db.CreateStaffUser(Staff(), "staff2@ksp.example", "Staff Two", "a long enough password")
	must(t, err)
	enrol(f.Platform, f.PlatView)
	enrol(f.Platform, f.PlatAdmin)
	enrol(f.Platform, second)
	enrol(staffOrg, f.StaffUser)
	enrol(staffOrg, staff2)
	tok, _, err := db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID})
	must(t, err)
	_, _, err = db.CreateSession(ctx, ksp.NewSession{UserID: f.PlatView.ID, State: ksp.SessionSecondFactor})
	must(t, err)
	before := len(auditEvents(t, db, "user.second_factor_reset"))

	refused := []struct {
		name   string
		ctx    context.Context
		target string
		reason string
		code   string
	}{
		{"viewer", As(f.Platform, f.PlatView), f.PlatAdmin.ID, "lost phone", ksp.EFORBIDDEN},
		{"analyst", As(f.Platform, analyst), f.PlatView.ID, "lost phone", ksp.EFORBIDDEN},
		{"admin of another org", As(f.Startup, f.StartAdm), f.PlatView.ID, "lost phone", ksp.ENOTFOUND},
		{"admin on itself", As(f.Platform, f.PlatAdmin), f.PlatAdmin.ID, "lost phone", ksp.EFORBIDDEN},
		{"admin on staff", As(f.Platform, f.PlatAdmin), f.StaffUser.ID, "lost phone", ksp.ENOTFOUND},
		{"staff on itself", As(staffOrg, f.StaffUser), f.StaffUser.ID, "lost phone", ksp.EFORBIDDEN},
		{"no reason", As(f.Platform, f.PlatAdmin), f.PlatView.ID, "  \n ", ksp.EINVALID},
		{"reason too long", As(staffOrg, f.StaffUser), f.PlatView.ID, strings.Repeat("x", 1001), ksp.EINVALID},
		{"no second factor", As(f.Platform, f.PlatAdmin), analyst.ID, "lost phone", ksp.ECONFLICT},
		{"unknown user", As(staffOrg, f.StaffUser), ksp.NewID(), "lost phone", ksp.ENOTFOUND},
		{"no actor", ctx, f.PlatView.ID, "lost phone", ksp.EUNAUTHORIZED},
	}
	for _, tt := range refused {
		_, err := db.ResetSecondFactor(tt.ctx, tt.target, tt.reason)
		if ksp.ErrorCode(err) != tt.code {
			t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
		}
	}
	_, err = db.ResetSecondFactor(As(f.Platform, f.PlatAdmin), f.PlatView.ID, "")
	var ke *ksp.Error
	if !errors.As(err, &ke) || len(ke.Fields) != 1 || ke.Fields[0].Field != "reason" {
		t.Fatalf("missing reason: %v, want an error naming the field", err)
	}
	// Nothing was written by the refusals.
	if n := len(auditEvents(t, db, "user.second_factor_reset")); n != before {
		t.Fatalf("%d reset events after refusals", n-before)
	}
	u, err := db.FindUserByID(Staff(), f.PlatView.ID)
	must(t, err)
	if !u.TOTP || countRows(t, db, "recovery_codes", "user_id", f.PlatView.ID) != ksp.RecoveryCodeCount || countRows(t, db, "sessions", "user_id", f.PlatView.ID) != 2 {
		t.Fatal("a refused reset changed the user")
	}

	// The org's admin resets a user of the org: second factor, recovery
	// codes and every session (pending ones too) are gone.
	got, err := db.ResetSecondFactor(As(f.Platform, f.PlatAdmin), f.PlatView.ID, "  Lost their phone; identity checked by video call.  ")
	must(t, err)
	if got.TOTP || got.ID != f.PlatView.ID {
		t.Fatalf("reset returned %+v", got)
	}
	u, err = db.FindUserByID(Staff(), f.PlatView.ID)
	must(t, err)
	if u.TOTP || u.TOTPSecret != "" {
		t.Fatal("second factor still on")
	}
	if n := countRows(t, db, "recovery_codes", "user_id", f.PlatView.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	if n := countRows(t, db, "sessions", "user_id", f.PlatView.ID); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	_, _, err = db.SessionByToken(ctx, tok)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.CheckSecondFactor(ctx, f.PlatView.ID, "123456")
	wantCode(t, err, ksp.EUNAUTHORIZED)
	evs := auditEvents(t, db, "user.second_factor_reset")
	if len(evs) != before+1 {
		t.Fatalf("%d reset events", len(evs)-before)
	}
	e := evs[0]
	if e.Object != "user:"+f.PlatView.ID || e.OrgID != f.Platform.ID || e.Actor != "user:"+f.PlatAdmin.ID ||
		e.Details["reason"] != "Lost their phone; identity checked by video call." || fmt.Sprint(e.Details["sessions_ended"]) != "2" {
		t.Fatalf("audit event %+v", e)
	}
	// A second reset finds nothing to reset.
	_, err = db.ResetSecondFactor(As(f.Platform, f.PlatAdmin), f.PlatView.ID, "again")
	wantCode(t, err, ksp.ECONFLICT)
	// The admin may reset another admin of the org; staff may reset
	// anyone else, staff included.
	_, err = db.ResetSecondFactor(As(f.Platform, f.PlatAdmin), second.ID, "new phone")
	must(t, err)
	_, err = db.ResetSecondFactor(As(staffOrg, f.StaffUser), f.PlatAdmin.ID, "lost phone, called the org")
	must(t, err)
	_, err = db.ResetSecondFactor(As(staffOrg, f.StaffUser), staff2.ID, "lost phone")
	must(t, err)
	// The user can enrol again.
	enrol(f.Platform, f.PlatView)
	verifyChain(t, db)
}

func testResendInvitation(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := context.Background()
	admin := As(f.Platform, f.PlatAdmin)
	u, inv, err := db.CreateUser(admin, f.Platform.ID, ksp.NewUser{Email: "invited@big.example", Role: ksp.RoleAnalyst})
	must(t, err)
	// Let the first invitation age, so that a reset expiry shows.
	_, err = db.SQL().ExecContext(ctx, db.Rebind(`UPDATE invitations SET expires_at = ? WHERE user_id = ?`), time.Now().Add(-time.Hour).UnixMicro(), u.ID)
	must(t, err)
	_, err = db.FindInvitation(ctx, inv.Token)
	wantCode(t, err, ksp.EINVALID)
	before := len(auditEvents(t, db, "user.invitation_resend"))

	for _, tt := range []struct {
		name   string
		ctx    context.Context
		target string
		code   string
	}{
		{"viewer", As(f.Platform, f.PlatView), u.ID, ksp.EFORBIDDEN},
		{"admin of another org", As(f.Startup, f.StartAdm), u.ID, ksp.ENOTFOUND},
		{"active user", admin, f.PlatView.ID, ksp.ECONFLICT},
		{"unknown user", admin, ksp.NewID(), ksp.ENOTFOUND},
		{"no actor", ctx, u.ID, ksp.EUNAUTHORIZED},
	} {
		_, err := db.ResendInvitation(tt.ctx, tt.target)
		if ksp.ErrorCode(err) != tt.code {
			t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
		}
	}
	if n := len(auditEvents(t, db, "user.invitation_resend")); n != before {
		t.Fatalf("%d resend events after refusals", n-before)
	}

	inv2, err := db.ResendInvitation(admin, u.ID)
	must(t, err)
	if inv2.Token == inv.Token || inv2.UserID != u.ID || inv2.Email != "invited@big.example" {
		t.Fatalf("new invitation %+v", inv2)
	}
	if d := inv2.Expires.Sub(ksp.Now()); d < sqlstoreInvitationTTL-time.Minute || d > sqlstoreInvitationTTL {
		t.Fatalf("new invitation expires in %v", d)
	}
	found, err := db.FindInvitation(ctx, inv2.Token)
	must(t, err)
	if found.UserID != u.ID {
		t.Fatalf("found %+v", found)
	}
	// Staff may re-send too; each re-send kills the link before it.
	inv3, err := db.ResendInvitation(As(f.StaffOrg(t), f.StaffUser), u.ID)
	must(t, err)
	_, err = db.FindInvitation(ctx, inv2.Token)
	wantCode(t, err, ksp.EINVALID)
	_, err = db.AcceptInvitation(ctx, inv2.Token, "a long enough password")
	wantCode(t, err, ksp.EINVALID)
	if n := countRows(t, db, "invitations", "user_id", u.ID); n != 1 {
		t.Fatalf("%d invitations stored", n)
	}
	evs := auditEvents(t, db, "user.invitation_resend")
	if len(evs) != before+2 || evs[0].Object != "user:"+u.ID || evs[0].OrgID != f.Platform.ID || evs[0].Actor != "user:"+f.StaffUser.ID {
		t.Fatalf("audit events %+v", evs)
	}
	_, err = db.AcceptInvitation(ctx, inv3.Token, "a long enough password")
	must(t, err)
	// Accepted: nothing to re-send.
	_, err = db.ResendInvitation(admin, u.ID)
	wantCode(t, err, ksp.ECONFLICT)
	verifyChain(t, db)
}

// sqlstoreInvitationTTL mirrors sqlstore.InvitationTTL (the suite does not
// import the implementation it tests).
const sqlstoreInvitationTTL = 7 * 24 * time.Hour
