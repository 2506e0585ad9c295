package ksp

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// AuditCheckpoint is the audit chain's head on a day, signed with the
// server's Ed25519 key. The key is kept outside the database, so whoever
// rewrites the database cannot sign a rewritten history; members keep
// copies of checkpoints as witnesses (`ksp audit verify --checkpoint`).
type AuditCheckpoint struct {
	Day  string `json:"day"`
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	Time Time   `json:"time"`
	// PublicKey is the signing key's public half, base64 (standard, padded).
	PublicKey string `json:"public_key"`
	// Signature is Ed25519 over SignedBytes, base64.
	Signature string `json:"signature"`
}

// SignedBytes is what the signature covers: a fixed text naming the day,
// the head and the time.
func (c *AuditCheckpoint) SignedBytes() []byte {
	return []byte("ksp-audit-checkpoint-v1\n" + c.Day + "\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" + FormatTime(c.Time.Time) + "\n")
}

// Sign fills PublicKey and Signature with key.
func (c *AuditCheckpoint) Sign(key ed25519.PrivateKey) {
	c.PublicKey = base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedBytes()))
}

// VerifySignature checks the signature against the checkpoint's own key,
// and against trusted (base64) when it is not "": a witness that pins the
// programme's key refuses a checkpoint signed with any other.
func (c *AuditCheckpoint) VerifySignature(trusted string) error {
	if trusted != "" && strings.TrimSpace(trusted) != c.PublicKey {
		return fmt.Errorf("checkpoint %s: signed with key %s, not the trusted key", c.Day, KeyFingerprint(c.PublicKey))
	}
	pub, err := base64.StdEncoding.DecodeString(c.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("checkpoint %s: public_key is not an Ed25519 key in base64", c.Day)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(pub), c.SignedBytes(), sig) {
		return fmt.Errorf("checkpoint %s: signature does not verify (the checkpoint was altered)", c.Day)
	}
	return nil
}

// KeyFingerprint is the first 16 hex digits of the SHA-256 of a base64
// public key, for people to compare.
func KeyFingerprint(pub string) string {
	b, _ := base64.StdEncoding.DecodeString(pub)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ParseCheckpoints reads a witness file: one checkpoint as JSON, a JSON
// array of them, or the API's list ({"items":[…]}).
func ParseCheckpoints(b []byte) ([]*AuditCheckpoint, error) {
	s := strings.TrimSpace(string(b))
	var list []*AuditCheckpoint
	switch {
	case strings.HasPrefix(s, "["):
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, fmt.Errorf("checkpoint file: %w", err)
		}
	case strings.Contains(s, `"items"`):
		var page struct {
			Items []*AuditCheckpoint `json:"items"`
		}
		if err := json.Unmarshal([]byte(s), &page); err != nil {
			return nil, fmt.Errorf("checkpoint file: %w", err)
		}
		list = page.Items
	default:
		var c AuditCheckpoint
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, fmt.Errorf("checkpoint file: %w", err)
		}
		list = []*AuditCheckpoint{&c}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("checkpoint file: no checkpoint in it")
	}
	return list, nil
}

// CheckpointService keeps the signed checkpoints of the audit chain.
type CheckpointService interface {
	// CheckpointAudit signs today's head with key, once a day: a second
	// call on the same day returns the day's checkpoint and false.
	CheckpointAudit(ctx context.Context, key ed25519.PrivateKey) (*AuditCheckpoint, bool, error)
	// FindAuditCheckpoints lists checkpoints newest first (public).
	FindAuditCheckpoints(ctx context.Context, p Page) ([]*AuditCheckpoint, string, error)
}

// VerifyWitness checks witness checkpoints against the chain of svc: each
// signature must verify (with trusted, when given) and the chain must
// still hold, at each checkpoint's sequence number, the event with the
// checkpoint's hash. It walks the chain once, checking every link too.
func VerifyWitness(ctx context.Context, svc AuditService, cps []*AuditCheckpoint, trusted string) (int64, string, error) {
	want := map[int64][]*AuditCheckpoint{}
	var maxSeq int64
	for _, c := range cps {
		if err := c.VerifySignature(trusted); err != nil {
			return 0, "", err
		}
		want[c.Seq] = append(want[c.Seq], c)
		maxSeq = max(maxSeq, c.Seq)
	}
	var v ChainVerifier
	err := svc.WalkAudit(ctx, func(e *AuditEvent) error {
		if err := v.Next(e); err != nil {
			return err
		}
		for _, c := range want[e.Seq] {
			if c.Hash != e.Hash {
				return fmt.Errorf("event seq %d: hash differs from the signed checkpoint of %s (the chain was rewritten)", e.Seq, c.Day)
			}
		}
		return nil
	})
	n, head := v.Head()
	if err != nil {
		return n, head, err
	}
	if maxSeq > v.lastSeq {
		return n, head, fmt.Errorf("chain ends at seq %d but a signed checkpoint names seq %d (the tail was truncated)", v.lastSeq, maxSeq)
	}
	return n, head, nil
}

// VerifyPublished checks that every published report's bytes still hash
// to the SHA-256 that its audit event pinned in the chain. Pair it with a
// chain walk: an edit of the pin itself breaks the chain.
func VerifyPublished(ctx context.Context, reports TransparencyService, audit AuditService) (int, error) {
	list, err := reports.FindPublishedReports(ctx)
	if err != nil {
		return 0, fmt.Errorf("verify published reports: %w", err)
	}
	pins := map[int64]string{}
	err = audit.WalkAudit(ctx, func(e *AuditEvent) error {
		if e.Action == "transparency.publish" {
			pins[e.Seq] = e.Object
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("verify published reports: %w", err)
	}
	for _, p := range list {
		full, err := reports.FindPublishedReport(ctx, p.Period)
		if err != nil {
			return 0, fmt.Errorf("verify published reports: %w", err)
		}
		sum := sha256.Sum256(full.Body)
		got := hex.EncodeToString(sum[:])
		if pin := pins[full.AuditSeq]; pin != PublishedReportObject(full.Period, got) {
			return 0, fmt.Errorf("published report %s: its bytes hash to %s, which audit event %d does not pin (the report was altered)", full.Period, got, full.AuditSeq)
		}
	}
	return len(list), nil
}

// PublishedReportObject is the audit object that pins a published report.
func PublishedReportObject(period, sha string) string {
	return "transparency:" + period + ":sha256:" + sha
}
