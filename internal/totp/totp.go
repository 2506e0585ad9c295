// Package totp implements time-based one-time passwords (RFC 6238) the way
// authenticator apps expect them by default: HMAC-SHA-1, 30-second steps,
// six digits, a base32 secret. Validation accepts one step of clock skew
// either way and never accepts a step at or before the last one used, so a
// code seen over someone's shoulder cannot be replayed.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parameters of the codes (RFC 6238 defaults, which every app supports).
const (
	Period = 30
	Digits = 6
	// Skew is how many steps before and after the current one are accepted.
	Skew = 1
	// SecretBytes is the secret's length: 160 bits, as RFC 4226 recommends.
	SecretBytes = 20
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a fresh random secret in unpadded base32.
func NewSecret() string {
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("totp: no randomness: " + err.Error())
	}
	return enc.EncodeToString(b)
}

// decode accepts the secret as people type it: any case, spaces, padding.
func decode(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	k, err := enc.DecodeString(s)
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("totp: secret is not base32")
	}
	return k, nil
}

// Step returns the time step that t falls in.
func Step(t time.Time) int64 { return t.Unix() / Period }

// CodeAt returns the code of a step.
func CodeAt(secret string, step int64) (string, error) {
	k, err := decode(secret)
	if err != nil {
		return "", err
	}
	return hotp(k, step), nil
}

// Code returns the code valid at time t.
func Code(secret string, t time.Time) (string, error) { return CodeAt(secret, Step(t)) }

func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", Digits, v%1_000_000)
}

// Validate checks code against the steps around t, skipping any step at or
// before lastStep (the last one accepted for this secret). It returns the
// matching step, to be stored as the new lastStep.
func Validate(secret, code string, t time.Time, lastStep int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != Digits {
		return 0, false
	}
	k, err := decode(secret)
	if err != nil {
		return 0, false
	}
	now := Step(t)
	var found int64
	ok := 0
	// Compare every candidate, so timing does not tell which step matched.
	for s := now - Skew; s <= now+Skew; s++ {
		if s <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(k, s)), []byte(code)) == 1 && ok == 0 {
			found, ok = s, 1
		}
	}
	return found, ok == 1
}

// URI returns the otpauth:// URI authenticator apps import (the "Key Uri
// Format" of Google Authenticator, which other apps follow):
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//
// Issuer and account are percent-encoded, a colon in them too, so that the
// label's one literal colon separates them.
func URI(issuer, account, secret string) string {
	return "otpauth://totp/" + escape(issuer) + ":" + escape(account) +
		"?secret=" + escape(secret) + "&issuer=" + escape(issuer) +
		"&algorithm=SHA1&digits=" + strconv.Itoa(Digits) + "&period=" + strconv.Itoa(Period)
}

// escape percent-encodes all but RFC 3986's unreserved characters and "@"
// (which e-mail addresses in labels keep, as the format's examples do).
// Unlike url.PathEscape it encodes "+", which some apps would read as a
// space.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~@", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Group formats a secret in groups of four for reading aloud or typing.
func Group(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
