package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// BoxKeySize is the length of a Box key: AES-256.
const BoxKeySize = 32

// sealedPrefix starts every sealed value, so sealed and plain values can
// live side by side while a database is being sealed.
const sealedPrefix = "enc1:"

// ErrNoKey is returned when a sealed value is opened without a key.
var ErrNoKey = errors.New("the value is sealed and no key was given to open it")

// Box seals secrets that the server must be able to read back (webhook
// signing secrets: signing needs the secret itself, so they cannot be
// hashed like API keys) with AES-256-GCM under a key kept outside the
// database. A copy of the database alone then yields no secret. Each
// value is bound to a context (the row it belongs to), so a sealed value
// copied to another row does not open.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a BoxKeySize-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != BoxKeySize {
		return nil, fmt.Errorf("secrets key: %d bytes, want %d", len(key), BoxKeySize)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Sealed reports whether a stored value is sealed.
func Sealed(stored string) bool { return strings.HasPrefix(stored, sealedPrefix) }

// Seal returns plain sealed for context, in a form to store as text. A nil
// Box stores plain as it is (no key configured).
func (b *Box) Seal(plain, context string) string {
	if b == nil || plain == "" {
		return plain
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open returns the plain value of a stored one: sealed values are opened
// (ErrNoKey without a key; an error when the key or context is wrong or
// the value was altered), plain ones are returned as they are.
func (b *Box) Open(stored, context string) (string, error) {
	if !Sealed(stored) {
		return stored, nil
	}
	if b == nil {
		return "", ErrNoKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(stored, sealedPrefix))
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", errors.New("sealed value is malformed")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", errors.New("sealed value does not open with this key (another --secrets-key, or altered)")
	}
	return string(plain), nil
}
