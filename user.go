package ksp

import (
	"context"
)

// User is a person with an account. Staff users belong to the staff org.
type User struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	Status    string `json:"status"` // invited, active
	TOTP      bool   `json:"totp_enabled"`
	Created   Time   `json:"created_at"`
	LastLogin *Time  `json:"last_login,omitempty"`

	// PasswordHash is the argon2id PHC string; never serialised.
	PasswordHash string `json:"-"`
	// TOTPSecret is the base32 TOTP secret; never serialised.
	TOTPSecret string `json:"-"`
}

// User statuses.
const (
	UserInvited = "invited"
	UserActive  = "active"
)

// NewUser is the input for creating a user. Password may be empty: the user
// is then invited and sets one through the invitation link.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password,omitempty"`
}

// UserUpdate changes a user; nil fields stay.
type UserUpdate struct {
	Name *string `json:"name,omitempty"`
	Role *Role   `json:"role,omitempty"`
}

// Invitation is a one-time token that lets an invited user set a password.
// Token is shown once; the store keeps its SHA-256 only.
type Invitation struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Token   string `json:"token"`
	Expires Time   `json:"expires_at"`
}

// UserService manages the people of an org.
type UserService interface {
	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUsers(ctx context.Context, orgID string, p Page) ([]*User, string, error)
	// CreateUser adds a user to an org; without a password it returns an
	// invitation.
	CreateUser(ctx context.Context, orgID string, nu NewUser) (*User, *Invitation, error)
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// DeleteUser removes a user and revokes its keys and sessions at once.
	DeleteUser(ctx context.Context, id string) error
	// CreateStaffUser is the bootstrap path of `ksp admin create-staff`.
	CreateStaffUser(ctx context.Context, email, name, password string) (*User, error)
	// ResendInvitation replaces the invitation of a user who has not
	// accepted yet with a fresh token and expiry (the old link stops
	// working) and returns it, for the caller to mail.
	ResendInvitation(ctx context.Context, userID string) (*Invitation, error)
	// AcceptInvitation sets the password of an invited user.
	AcceptInvitation(ctx context.Context, token, password string) (*User, error)
	// SetPassword replaces a user's password (the user itself, its org's
	// admins, staff) and activates an invited user.
	SetPassword(ctx context.Context, userID, password string) error
	// Authenticate checks an email and password and returns the user.
	Authenticate(ctx context.Context, email, password string) (*User, error)
}

// ValidateNewUser checks a NewUser, normalising its email.
func ValidateNewUser(nu *NewUser, f *Fields) {
	if e, ok := NormalizeEmail(nu.Email); ok {
		nu.Email = e
	} else {
		f.Add("email", "not a valid email address")
	}
	if len(nu.Name) > maxNameLen {
		f.Add("name", "longer than 200 characters")
	}
	if nu.Role.Rank() == 0 {
		f.Add("role", "must be admin, analyst or viewer")
	}
	if nu.Password != "" {
		if reason := PasswordProblem(nu.Password); reason != "" {
			f.Add("password", reason)
		}
	}
}

// PasswordProblem returns why a password is too weak, or "". The rule
// follows NIST SP 800-63B: length matters, composition rules do not.
func PasswordProblem(p string) string {
	n := len([]rune(p))
	switch {
	case n < 12:
		return "must be at least 12 characters"
	case n > 256:
		return "must be at most 256 characters"
	}
	distinct := map[rune]bool{}
	for _, r := range p {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return "uses too few different characters"
	}
	return ""
}
