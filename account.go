package ksp

import (
	"context"
	"time"
)

// Session is a browser sign-in. The cookie carries a random token; the store
// keeps its SHA-256 only, so a copy of the database opens no session.
type Session struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	State     string `json:"state"`
	Created   Time   `json:"created_at"`
	LastSeen  Time   `json:"last_seen"`
	Expires   Time   `json:"expires_at"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// Session states. A session starts pending when the password alone is not
// enough: the second factor is still to be given, or (staff and admins
// without one) to be set up. Only active sessions act for their user.
const (
	SessionActive       = "active"
	SessionSecondFactor = "second_factor"
	SessionEnrol        = "enrol"
)

// Lifetimes of account secrets.
const (
	// SessionIdleTimeout ends a session nobody used for this long.
	SessionIdleTimeout = 12 * time.Hour
	// SessionLifetime ends every session this long after sign-in.
	SessionLifetime = 7 * 24 * time.Hour
	// SessionPendingLifetime bounds the step between password and second
	// factor.
	SessionPendingLifetime = 10 * time.Minute
	// PasswordResetTTL is how long a password reset link works.
	PasswordResetTTL = time.Hour
	// RecoveryCodeCount is how many recovery codes a user gets at a time.
	RecoveryCodeCount = 10
)

// SecondFactorRequired reports whether a user must use a second factor:
// staff and organisation admins hold the keys to everyone else's data.
func SecondFactorRequired(staff bool, role Role) bool { return staff || role == RoleAdmin }

// NewSession is the input for creating a session after a password (or an
// invitation or reset link) was checked.
type NewSession struct {
	UserID    string
	State     string
	IP        string
	UserAgent string
}

// PasswordReset is a one-time link to choose a new password. Token is shown
// once (in the mail); the store keeps its SHA-256 only.
type PasswordReset struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Token   string `json:"token"`
	Expires Time   `json:"expires_at"`
}

// ThrottleRule says how many failures within Window lock a key for Lock.
type ThrottleRule struct {
	Max    int
	Window time.Duration
	Lock   time.Duration
}

// Second-factor methods reported by CheckSecondFactor.
const (
	FactorTOTP     = "totp"
	FactorRecovery = "recovery_code"
)

// AccountService is what signing in needs beyond UserService: sessions,
// the second factor, password reset, throttling, and the secrets the web
// replicas share. Methods that run before anyone is signed in (creating a
// session, checking a code, resetting a password) trust their caller to
// have checked what they say; the rest check the actor in ctx.
type AccountService interface {
	// CreateSession starts a session and returns its token (shown once).
	CreateSession(ctx context.Context, ns NewSession) (string, *Session, error)
	// SessionByToken resolves a cookie's token to its session and the
	// actor of its user, refreshing last_seen. Unknown, expired and idle
	// sessions are EUNAUTHORIZED. The actor has Scopes nil (every scope
	// the role allows); act for it only when the session is active.
	SessionByToken(ctx context.Context, token string) (*Session, *Actor, error)
	// PromoteSession makes a pending session active under a fresh token,
	// so that a token seen before the second factor is worth nothing.
	PromoteSession(ctx context.Context, id string) (string, *Session, error)
	// FindSessions lists a user's sessions, newest first (the user, its
	// org's admins, staff).
	FindSessions(ctx context.Context, userID string) ([]*Session, error)
	// RevokeSession ends one session at once.
	RevokeSession(ctx context.Context, id string) error
	// RevokeSessions ends all of a user's sessions except exceptID.
	RevokeSessions(ctx context.Context, userID, exceptID string) error

	// EnableTOTP turns on the second factor with secret once code proves
	// the user's app has it, and returns fresh recovery codes (shown once).
	EnableTOTP(ctx context.Context, userID, secret, code string) ([]string, error)
	// DisableTOTP turns the second factor off (the user where it is
	// optional; staff for anyone, which the demo seeding uses). Helping
	// someone who lost their device is ResetSecondFactor, with a reason.
	DisableTOTP(ctx context.Context, userID string) error
	// ResetSecondFactor is what an admin does for a user who lost their
	// device: it turns the second factor off, deletes the recovery codes and
	// ends every session of the user, keeping reason in the audit trail.
	// Staff may reset anyone but themselves; an org's admins, the other
	// users of their org. The user sets a second factor up again at the
	// next sign-in where their role requires one.
	ResetSecondFactor(ctx context.Context, userID, reason string) (*User, error)
	// CheckSecondFactor accepts a current TOTP code (never one already
	// used) or an unused recovery code, which is then spent. It returns
	// FactorTOTP or FactorRecovery, or EUNAUTHORIZED.
	CheckSecondFactor(ctx context.Context, userID, code string) (string, error)
	// NewRecoveryCodes replaces the user's recovery codes.
	NewRecoveryCodes(ctx context.Context, userID string) ([]string, error)
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)

	// CreatePasswordReset makes a reset link for an active user's email;
	// ENOTFOUND when there is none (callers must not reveal which).
	CreatePasswordReset(ctx context.Context, email string) (*PasswordReset, error)
	// FindPasswordReset checks a reset token without spending it.
	FindPasswordReset(ctx context.Context, token string) (*PasswordReset, error)
	// ResetPassword spends a reset token, sets the password and ends every
	// session of the user.
	ResetPassword(ctx context.Context, token, password string) (*User, error)
	// FindInvitation checks an invitation token without spending it.
	FindInvitation(ctx context.Context, token string) (*Invitation, error)

	// ThrottleCheck returns until when key is locked (zero if it is not).
	ThrottleCheck(ctx context.Context, key string) (time.Time, error)
	// ThrottleFailure records a failure for key and returns until when it
	// is now locked (zero if it is not).
	ThrottleFailure(ctx context.Context, key string, rule ThrottleRule) (time.Time, error)
	// ThrottleReset forgets key's failures (after a success).
	ThrottleReset(ctx context.Context, key string) error

	// Secret returns the named 32-byte secret, creating it on first use, so
	// that every replica signs cookies and forms with the same key.
	Secret(ctx context.Context, name string) ([]byte, error)
}
