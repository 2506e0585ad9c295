package ksp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
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
	return detailsDigest(details, false)
}

func detailsDigest(details map[string]any, legacyFFFD bool) (string, error) {
	if len(details) == 0 {
		return "", nil
	}
	c, err := canonicalJSON(details, legacyFFFD)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// NewAuditEvent builds the next event of the chain, but for Seq, PrevHash
// and Hash, which the store sets under its lock. It returns the details to
// store beside the chain: a copy of details made valid UTF-8, so that they
// still match their digest after the round trip through the store's JSON.
// The event's own strings are made valid UTF-8 too, for stores that refuse
// anything else.
func NewAuditEvent(t Time, actor, orgID, action, object string, details map[string]any) (*AuditEvent, map[string]any, error) {
	details = ValidUTF8Details(details)
	digest, err := DetailsDigest(details)
	if err != nil {
		return nil, nil, fmt.Errorf("audit %s: details: %w", action, err)
	}
	valid := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	e := &AuditEvent{Time: t, Actor: valid(actor), OrgID: valid(orgID), Action: valid(action), Object: valid(object), DetailsDigest: digest}
	return e, details, nil
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
	if e.Details != nil && !detailsMatch(e) {
		return fmt.Errorf("event seq %d: stored details do not match details_digest (the details were edited)", e.Seq)
	}
	v.count++
	v.lastSeq = e.Seq
	v.lastHash = e.Hash
	return nil
}

// detailsMatch reports whether e's stored details hash to its digest. Events
// written before details were made valid UTF-8 hashed each bad byte as the
// escape \ufffd, which the store returns as U+FFFD: their digest is
// recomputed that way too. Nothing else matches under that second form, so
// it hides no edit.
func detailsMatch(e *AuditEvent) bool {
	if d, err := detailsDigest(e.Details, false); err == nil && d == e.DetailsDigest {
		return true
	}
	d, err := detailsDigest(e.Details, true)
	return err == nil && d == e.DetailsDigest
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
	// Actor selects one actor's events ("user:<id>", "key:<id>", "system").
	Actor *string
	// From and To bound the events' day (YYYY-MM-DD, UTC, To inclusive).
	From, To *string
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
