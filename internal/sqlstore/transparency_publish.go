package sqlstore

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/kspplatform/ksp"
)

// PublishTransparencyReport freezes the public report of a calendar period
// that has ended (staff): its JSON bytes are stored and served as they
// are, and their SHA-256 is pinned in the audit chain. A period is
// published once.
func (db *DB) PublishTransparencyReport(ctx context.Context, period string) (*ksp.PublishedReport, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	p, err := ksp.ParseCalendarPeriod(period)
	if err != nil {
		return nil, err
	}
	if _, end := p.Bounds(); end.After(ksp.Now()) {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "the period has not ended yet", Fields: []ksp.FieldError{{Field: "period", Reason: "a year or quarter that has ended"}}}
	}
	// Published figures are computed now, never taken from the cache.
	db.forgetPublicReports()
	r, err := db.TransparencyReport(ctx, ksp.TransparencyQuery{Period: p, Public: true})
	if err != nil {
		return nil, err
	}
	body, err := ksp.MarshalReport(r)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	pr := &ksp.PublishedReport{ID: ksp.NewID(), Period: p.Label, SHA256: hex.EncodeToString(sum[:]), Body: body}
	err = db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM transparency_reports WHERE period = ?`, p.Label).Scan(&n); err != nil {
			return fmt.Errorf("publish report: %w", err)
		}
		if n > 0 {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "this period's report is already published", Fields: []ksp.FieldError{{Field: "period", Reason: "already published"}}}
		}
		if err := tx.audit("transparency.publish", ksp.PublishedReportObject(p.Label, pr.SHA256), ksp.StaffOrgID, nil); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT seq FROM audit_head WHERE id = 1`).Scan(&pr.AuditSeq); err != nil {
			return fmt.Errorf("publish report: %w", err)
		}
		pr.PublishedAt = tx.now
		if _, err := tx.exec(`INSERT INTO transparency_reports (id, period, period_from, period_to, body, sha256, audit_seq, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pr.ID, p.Label, p.From, p.To, string(body), pr.SHA256, pr.AuditSeq, micros(tx.now), a.AuditName()); err != nil {
			return db.conflictOr(fmt.Errorf("publish report: %w", err), "period", "already published")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pr, nil
}

// FindPublishedReports lists the published reports (public), newest
// period first, without their bodies.
func (db *DB) FindPublishedReports(ctx context.Context) ([]*ksp.PublishedReport, error) {
	rows, err := db.query(ctx, `SELECT id, period, sha256, audit_seq, published_at FROM transparency_reports ORDER BY period_to DESC, period_from ASC`)
	if err != nil {
		return nil, fmt.Errorf("find published reports: %w", err)
	}
	defer rows.Close()
	var out []*ksp.PublishedReport
	for rows.Next() {
		var p ksp.PublishedReport
		var at int64
		if err := rows.Scan(&p.ID, &p.Period, &p.SHA256, &p.AuditSeq, &at); err != nil {
			return nil, fmt.Errorf("find published reports: %w", err)
		}
		p.PublishedAt = fromMicros(at)
		out = append(out, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find published reports: %w", err)
	}
	return out, nil
}

// FindPublishedReport returns a published report with its frozen body.
func (db *DB) FindPublishedReport(ctx context.Context, period string) (*ksp.PublishedReport, error) {
	if _, err := ksp.ParseCalendarPeriod(period); err != nil {
		return nil, err
	}
	var p ksp.PublishedReport
	var at int64
	var body string
	err := db.queryRow(ctx, `SELECT id, period, sha256, audit_seq, published_at, body FROM transparency_reports WHERE period = ?`, period).
		Scan(&p.ID, &p.Period, &p.SHA256, &p.AuditSeq, &at, &body)
	if err == sql.ErrNoRows {
		return nil, ksp.NotFound("published report")
	}
	if err != nil {
		return nil, fmt.Errorf("find published report: %w", err)
	}
	p.PublishedAt, p.Body = fromMicros(at), []byte(body)
	return &p, nil
}

// CheckpointAudit signs the chain's head once a day (staff or the server
// itself). Replicas racing on the same day keep the first checkpoint.
func (db *DB) CheckpointAudit(ctx context.Context, key ed25519.PrivateKey) (*ksp.AuditCheckpoint, bool, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, false, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, false, fmt.Errorf("checkpoint audit: not an Ed25519 private key")
	}
	now := ksp.Now()
	day := now.Format(time.DateOnly)
	if c, err := db.findCheckpoint(ctx, day); err == nil {
		return c, false, nil
	} else if ksp.ErrorCode(err) != ksp.ENOTFOUND {
		return nil, false, err
	}
	var c *ksp.AuditCheckpoint
	created := false
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM audit_checkpoints WHERE day = ?`, day).Scan(&n); err != nil {
			return fmt.Errorf("checkpoint audit: %w", err)
		}
		if n > 0 {
			return nil
		}
		c = &ksp.AuditCheckpoint{Day: day, Time: tx.now}
		if err := tx.queryRow(`SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&c.Seq, &c.Hash); err != nil {
			return fmt.Errorf("checkpoint audit: %w", err)
		}
		c.Sign(key)
		if _, err := tx.exec(`INSERT INTO audit_checkpoints (day, seq, hash, signed_at, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)`,
			c.Day, c.Seq, c.Hash, micros(c.Time), c.PublicKey, c.Signature); err != nil {
			return fmt.Errorf("checkpoint audit: %w", err)
		}
		created = true
		return tx.audit("audit.checkpoint", "checkpoint:"+day+":"+strconv.FormatInt(c.Seq, 10)+":"+c.Hash, ksp.StaffOrgID, nil)
	})
	if err != nil {
		return nil, false, err
	}
	if !created {
		c, err = db.findCheckpoint(ctx, day)
		return c, false, err
	}
	return c, true, nil
}

func (db *DB) findCheckpoint(ctx context.Context, day string) (*ksp.AuditCheckpoint, error) {
	var c ksp.AuditCheckpoint
	var at int64
	err := db.queryRow(ctx, `SELECT day, seq, hash, signed_at, public_key, signature FROM audit_checkpoints WHERE day = ?`, day).
		Scan(&c.Day, &c.Seq, &c.Hash, &at, &c.PublicKey, &c.Signature)
	if err == sql.ErrNoRows {
		return nil, ksp.NotFound("checkpoint")
	}
	if err != nil {
		return nil, fmt.Errorf("find checkpoint: %w", err)
	}
	c.Time = fromMicros(at)
	return &c, nil
}

// FindAuditCheckpoints lists the signed checkpoints, newest first
// (public: they hold only sequence numbers and hashes).
func (db *DB) FindAuditCheckpoints(ctx context.Context, pg ksp.Page) ([]*ksp.AuditCheckpoint, string, error) {
	where, args, limit, err := pageQuery(pg, "day")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT day, seq, hash, signed_at, public_key, signature FROM audit_checkpoints WHERE `+where+` ORDER BY day DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find checkpoints: %w", err)
	}
	defer rows.Close()
	var out []*ksp.AuditCheckpoint
	for rows.Next() {
		var c ksp.AuditCheckpoint
		var at int64
		if err := rows.Scan(&c.Day, &c.Seq, &c.Hash, &at, &c.PublicKey, &c.Signature); err != nil {
			return nil, "", fmt.Errorf("find checkpoints: %w", err)
		}
		c.Time = fromMicros(at)
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find checkpoints: %w", err)
	}
	out, next := cut(out, pg, func(c *ksp.AuditCheckpoint) string { return c.Day })
	return out, next, nil
}
