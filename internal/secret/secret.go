// Package secret hashes and checks passwords with argon2id, in the PHC string
// format, so that the parameters travel with each hash and can be raised
// later without invalidating stored passwords; and seals the secrets the
// server must read back (Box).
package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters follow OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	keyLen    = 32
	saltLen   = 16
)

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC-format argon2id hash of p with a fresh salt.
func HashPassword(p string) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	key := argon2.IDKey([]byte(p), salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ErrMalformed is returned for a stored hash that is not argon2id PHC.
var ErrMalformed = errors.New("secret: malformed password hash")

// CheckPassword reports whether p matches the PHC hash, in constant time
// with respect to the key.
func CheckPassword(hash, p string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, ErrMalformed
	}
	var m, t uint32
	var l uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &l); err != nil || m == 0 || t == 0 || l == 0 {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(p), salt, t, m, l, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a user does not exist, so that sign-in
// takes as long for unknown emails as for wrong passwords.
var dummyHash = HashPassword("not a real password, only for timing")

// CheckDummy spends the time of one password check.
func CheckDummy(p string) { _, _ = CheckPassword(dummyHash, p) }
