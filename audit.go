package ksp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// AuditEvent is one link of the tamper-evident audit chain.
//
// Hash = SHA-256(PrevHash ‖ canonical JSON of the event without Hash), the
// canonical form being RFC 8785 (JCS). Personal details (an email, a name) are
// not in the chain: they are stored beside it under DetailsDigest, so they can
// be erased without breaking a single hash.
type AuditEvent struct {
	Seq           int64  `json:"seq"`
	Time          Time   `json:"time"`
	Actor         string `json:"actor"`
	OrgID         string `json:"org_id"`
	Action        string `json:"action"`
	Object        string `json:"object"`
	DetailsDigest string `json:"details_digest"`
	PrevHash      string `json:"prev_hash"`
	Hash          string `json:"hash"`
	// Details is the erasable record the digest refers to, when it is kept
	// and the reader may see it.
	Details map[string]any `json:"details,omitempty"`
}

// ZeroHash is the prev_hash of the first event: 32 zero bytes in hex.
var ZeroHash = hex.EncodeToString(make([]byte, 32))

// canonicalFields returns the event as the map that is hashed.
func (e *AuditEvent) canonicalFields() map[string]any {
	return map[string]any{
		"seq":            e.Seq,
		"time":           FormatTime(e.Time.Time),
		"actor":          e.Actor,
		"org_id":         e.OrgID,
		"action":         e.Action,
		"object":         e.Object,
		"details_digest": e.DetailsDigest,
		"prev_hash":      e.PrevHash,
	}
}

// ComputeHash returns the chain hash of e from its fields and PrevHash.
func (e *AuditEvent) ComputeHash() (string, error) {
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil || len(prev) != 32 {
		return "", fmt.Errorf("audit event %d: prev_hash is not 32 bytes of hex", e.Seq)
	}
	canon, err := CanonicalJSON(e.canonicalFields())
	if err != nil {
		return "", fmt.Errorf("audit event %d: %w", e.Seq, err)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DetailsDigest returns the digest under which details are stored: SHA-256 of
// their canonical JSON, or "" when there are none.
func DetailsDigest(details map[string]any) (string, error) {
	if len(details) == 0 {
		return "", nil
	}
	c, err := CanonicalJSON(details)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// CanonicalJSON encodes v per RFC 8785 for the value kinds KSP hashes: maps
// with string keys, slices, strings, booleans, nil and integers (floats are
// refused: the chain never needs them and their canonical form is subtle).
func CanonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeCanonical(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeCanonicalString(b, x)
	case int:
		return writeCanonicalInt(b, int64(x))
	case int64:
		return writeCanonicalInt(b, x)
	case []string:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonicalString(b, s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, s); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// RFC 8785 orders keys by their UTF-16 code units.
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonicalString(b, k)
			b.WriteByte(':')
			if err := writeCanonical(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case float64:
		if x == float64(int64(x)) && x < 1<<53 && x > -(1<<53) {
			return writeCanonicalInt(b, int64(x))
		}
		return fmt.Errorf("canonical JSON: non-integer number %v", x)
	default:
		return fmt.Errorf("canonical JSON: unsupported type %T", v)
	}
	return nil
}

func writeCanonicalInt(b *bytes.Buffer, n int64) error {
	if n >= 1<<53 || n <= -(1<<53) {
		return fmt.Errorf("canonical JSON: integer %d outside the exact range of IEEE doubles", n)
	}
	b.WriteString(strconv.FormatInt(n, 10))
	return nil
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// writeCanonicalString escapes as ECMAScript's JSON.stringify does: only the
// quote, the backslash and control characters, the latter with the short
// forms where they exist.
func writeCanonicalString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// ChainVerifier walks the chain in order and names the first bad event.
// Feed it every event with Next, then call Done.
type ChainVerifier struct {
	count    int64
	lastSeq  int64
	lastHash string
}

// Next checks e against the event before it.
func (v *ChainVerifier) Next(e *AuditEvent) error {
	wantPrev := ZeroHash
	if v.count > 0 {
		wantPrev = v.lastHash
	}
	if e.Seq != v.lastSeq+1 {
		return fmt.Errorf("event seq %d: expected seq %d (an event was deleted, inserted or reordered)", e.Seq, v.lastSeq+1)
	}
	if e.PrevHash != wantPrev {
		return fmt.Errorf("event seq %d: prev_hash does not match the hash of event %d (an event was deleted, inserted or reordered)", e.Seq, v.lastSeq)
	}
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	if h != e.Hash {
		return fmt.Errorf("event seq %d: hash mismatch (the event was edited)", e.Seq)
	}
	if e.Details != nil {
		d, err := DetailsDigest(e.Details)
		if err != nil || d != e.DetailsDigest {
			return fmt.Errorf("event seq %d: stored details do not match details_digest (the details were edited)", e.Seq)
		}
	}
	v.count++
	v.lastSeq = e.Seq
	v.lastHash = e.Hash
	return nil
}

// Head returns the number of events seen and the last "SEQ:HASH".
func (v *ChainVerifier) Head() (int64, string) {
	return v.count, fmt.Sprintf("%d:%s", v.lastSeq, v.lastHash)
}

// VerifyChain walks the whole chain of svc and checks every link. With
// expectHead ("SEQ:HASH", printed by an earlier verify) it also proves that
// the chain still reaches that event unchanged: a truncated tail is only
// visible this way. It returns the number of events and the head.
func VerifyChain(ctx context.Context, svc AuditService, expectHead string) (int64, string, error) {
	var wantSeq int64
	var wantHash, gotHash string
	if expectHead != "" {
		i := strings.IndexByte(expectHead, ':')
		if i < 0 {
			return 0, "", fmt.Errorf("expected head %q: want SEQ:HASH", expectHead)
		}
		seq, err := strconv.ParseInt(expectHead[:i], 10, 64)
		if err != nil || seq < 1 {
			return 0, "", fmt.Errorf("expected head %q: bad sequence number", expectHead)
		}
		wantSeq, wantHash = seq, expectHead[i+1:]
	}
	var v ChainVerifier
	err := svc.WalkAudit(ctx, func(e *AuditEvent) error {
		if err := v.Next(e); err != nil {
			return err
		}
		if e.Seq == wantSeq {
			gotHash = e.Hash
		}
		return nil
	})
	n, head := v.Head()
	if err != nil {
		return n, head, err
	}
	if wantSeq > 0 {
		switch {
		case wantSeq > v.lastSeq:
			return n, head, fmt.Errorf("chain ends at seq %d but the expected head is seq %d (the tail was truncated)", v.lastSeq, wantSeq)
		case gotHash != wantHash:
			return n, head, fmt.Errorf("event seq %d: hash differs from the expected head (the chain was rewritten)", wantSeq)
		}
	}
	return n, head, nil
}

// AuditFilter selects audit events; OrgID limits to one org's events
// (admins), the zero value means all (staff).
type AuditFilter struct {
	OrgID  *string
	Action *string
	Page
}

// AuditService reads and verifies the audit chain. Appending happens inside
// each store's write transactions.
type AuditService interface {
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, string, error)
	// WalkAudit calls fn for every event in sequence order, with details
	// where kept.
	WalkAudit(ctx context.Context, fn func(*AuditEvent) error) error
	// EraseAuditDetails removes the personal details under a digest.
	EraseAuditDetails(ctx context.Context, digest string) error
}
