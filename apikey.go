package ksp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// APIKey is a credential for programs. Its secret is shown once at creation;
// only its SHA-256 is stored.
type APIKey struct {
	ID       string  `json:"id"`
	OrgID    string  `json:"org_id"`
	UserID   string  `json:"user_id"`
	Name     string  `json:"name"`
	Prefix   string  `json:"prefix"`
	Scopes   []Scope `json:"scopes"`
	Created  Time    `json:"created_at"`
	Expires  *Time   `json:"expires_at,omitempty"`
	LastUsed *Time   `json:"last_used,omitempty"`
	Revoked  *Time   `json:"revoked_at,omitempty"`
	// Secret is set only in the answer to its creation.
	Secret string `json:"secret,omitempty"`
}

// NewAPIKey is the input for creating a key.
type NewAPIKey struct {
	Name    string  `json:"name"`
	Scopes  []Scope `json:"scopes"`
	Expires *Time   `json:"expires_at,omitempty"`
	// UserID creates the key for another user of the caller's org (admins).
	UserID string `json:"user_id,omitempty"`
	// Demo marks keys made by `serve --demo`, revoked at the next demo start.
	Demo bool `json:"-"`
}

// APIKeyFilter selects keys: the caller's own, or (admins) the org's.
type APIKeyFilter struct {
	OrgWide bool
	Page
}

// APIKeyService manages API keys and resolves a presented key to its actor.
type APIKeyService interface {
	CreateAPIKey(ctx context.Context, nk NewAPIKey) (*APIKey, error)
	FindAPIKeys(ctx context.Context, f APIKeyFilter) ([]*APIKey, string, error)
	RevokeAPIKey(ctx context.Context, id string) error
	// RevokeDemoAPIKeys revokes every key made by an earlier demo start.
	RevokeDemoAPIKeys(ctx context.Context) error
	// ActorForKey returns the actor of a valid key, or EUNAUTHORIZED for a
	// key that is unknown, revoked, expired, or whose user was removed.
	ActorForKey(ctx context.Context, secret string) (*Actor, error)
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// GenerateAPIKey returns a new secret: "ksp_" and 40 letters and digits drawn
// uniformly (rejection sampling keeps the 62-letter alphabet unbiased).
func GenerateAPIKey() string {
	out := make([]byte, 0, 44)
	out = append(out, "ksp_"...)
	var buf [64]byte
	for len(out) < 44 {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("ksp: no randomness: " + err.Error())
		}
		for _, b := range buf {
			if b < 248 && len(out) < 44 { // 248 = 4*62
				out = append(out, keyAlphabet[b%62])
			}
		}
	}
	return string(out)
}

// WellFormedAPIKey reports whether s has the shape of a key.
func WellFormedAPIKey(s string) bool {
	if len(s) != 44 || s[:4] != "ksp_" {
		return false
	}
	for i := 4; i < 44; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// HashSecret returns the hex SHA-256 under which a key or token is stored.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// RandomToken returns n random bytes as hex, for invitation and reset tokens.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("ksp: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
