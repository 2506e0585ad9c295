// Package ksp holds KSP's domain: the types every adapter shares, the service
// interfaces the stores implement, the one error type, and the sharing rule.
//
// It depends on the standard library only (and golang.org/x/net/idna, which
// maps URL host names as browsers do), so that the rules members trust us
// with (who may see what, how the audit chain is hashed) live in one place that
// the SQLite and PostgreSQL stores and the HTTP, web and CLI adapters all call.
package ksp

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// StaffOrgID is the identifier of the programme's own organisation (the
// secretariat). The first migration creates it, so every database has one.
const StaffOrgID = "00000000-0000-7000-8000-000000000001"

// Now returns the current time in UTC truncated to microseconds, the precision
// KSP stores and prints everywhere.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// FormatTime renders t as RFC 3339 in UTC with exactly six fractional digits.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

var idState struct {
	sync.Mutex
	lastMS  int64
	counter uint16
}

// NewID returns a UUIDv7 string. IDs made by one process sort in creation
// order (a 12-bit counter breaks ties within one millisecond), which keeps
// "newest first" lists and cursors cheap.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ksp: no randomness: " + err.Error())
	}
	idState.Lock()
	ms := time.Now().UnixMilli()
	if ms <= idState.lastMS {
		ms = idState.lastMS
		idState.counter++
		if idState.counter > 0x0fff {
			ms++
			idState.counter = 0
		}
	} else {
		idState.counter = uint16(b[6])<<4&0x0700 | uint16(b[7])>>4 // random start, room to grow
	}
	idState.lastMS = ms
	ctr := idState.counter
	idState.Unlock()

	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | byte(ctr>>8)&0x0f
	b[7] = byte(ctr)
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// NewRandomID returns a random identifier (UUIDv4) for what must not reveal
// when it was made: a signal's id would otherwise date a submission the
// viewer cannot see (DESIGN.md, "Identifiers and formats").
func NewRandomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ksp: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// FormatUUID renders 16 bytes as a lower-case hex UUID string.
func FormatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// ParseUUID is the inverse of FormatUUID (ok is false for anything that is
// not a lower-case hex UUID).
func ParseUUID[T string | []byte](s T) (b [16]byte, ok bool) {
	if len(s) != 36 {
		return b, false
	}
	n := 0
	for i := 0; i < 36; {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return [16]byte{}, false
			}
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return [16]byte{}, false
		}
		b[n] = hi<<4 | lo
		n++
		i += 2
	}
	return b, true
}

// lowerHex returns the value of a lower-case hex digit.
func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// ValidID reports whether s has the shape of a KSP identifier (a UUID in
// lower-case hex), so that lookups of malformed IDs can answer 404 early.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// Time is a timestamp that serialises as RFC 3339 in UTC with exactly six
// fractional digits, the format of the external contract.
type Time struct{ time.Time }

// T wraps t (truncated to microseconds, in UTC).
func T(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// TP wraps t as a pointer, for optional fields.
func TP(t time.Time) *Time { x := T(t); return &x }

// MarshalJSON writes the contract's format.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatTime(t.Time) + `"`), nil
}

// UnmarshalJSON accepts any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return &Error{Code: EINVALID, Message: "times are RFC 3339, e.g. 2026-01-02T15:04:05Z"}
	}
	*t = T(tt)
	return nil
}
