package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/kspplatform/ksp"
)

const auditCols = `e.seq, e.time, e.actor, e.org_id, e.action, e.object, e.details_digest, e.prev_hash, e.hash, d.details`

func scanAudit(sc interface{ Scan(...any) error }) (*ksp.AuditEvent, error) {
	var e ksp.AuditEvent
	var t int64
	var details sql.NullString
	if err := sc.Scan(&e.Seq, &t, &e.Actor, &e.OrgID, &e.Action, &e.Object, &e.DetailsDigest, &e.PrevHash, &e.Hash, &details); err != nil {
		return nil, err
	}
	e.Time = fromMicros(t)
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
			return nil, fmt.Errorf("audit %d: details: %w", e.Seq, err)
		}
	}
	return &e, nil
}

// FindAuditEvents lists audit events, newest first: staff see all, org
// admins their org's.
func (db *DB) FindAuditEvents(ctx context.Context, f ksp.AuditFilter) ([]*ksp.AuditEvent, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	where, args := "1 = 1", []any{}
	switch {
	case a.Staff:
		if f.OrgID != nil {
			where, args = "e.org_id = ?", []any{*f.OrgID}
		}
	case a.HasRole(ksp.RoleAdmin):
		where, args = "e.org_id = ?", []any{a.OrgID}
	default:
		return nil, "", ksp.Errorf(ksp.EFORBIDDEN, "staff and organisation admins only")
	}
	if f.Action != nil {
		where += " AND e.action = ?"
		args = append(args, *f.Action)
	}
	if f.Actor != nil {
		where += " AND e.actor = ?"
		args = append(args, *f.Actor)
	}
	var fe ksp.Fields
	for _, b := range []struct {
		field string
		day   *string
		op    string
		days  int
	}{{"from", f.From, ">=", 0}, {"to", f.To, "<", 1}} {
		if b.day == nil {
			continue
		}
		d, err := time.Parse("2006-01-02", *b.day)
		if err != nil {
			fe.Add(b.field, "a day as YYYY-MM-DD")
			continue
		}
		where += " AND e.time " + b.op + " ?"
		args = append(args, micros(d.AddDate(0, 0, b.days)))
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	p := f.Page.Normalize()
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this list"}}}
		}
		where += " AND e.seq < ?"
		args = append(args, seq)
	}
	rows, err := db.query(ctx, `SELECT `+auditCols+` FROM audit_events e LEFT JOIN audit_details d ON d.digest = e.details_digest WHERE `+where+` ORDER BY e.seq DESC LIMIT `+fmt.Sprint(p.Limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find audit events: %w", err)
	}
	defer rows.Close()
	var out []*ksp.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find audit events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find audit events: %w", err)
	}
	out, next := cut(out, p, func(e *ksp.AuditEvent) string { return strconv.FormatInt(e.Seq, 10) })
	return out, next, nil
}

// WalkAudit calls fn for every event in sequence order. It reads in pages
// so that a long chain never holds one huge result set open.
func (db *DB) WalkAudit(ctx context.Context, fn func(*ksp.AuditEvent) error) error {
	after := int64(-1 << 62)
	for {
		rows, err := db.query(ctx, `SELECT `+auditCols+` FROM audit_events e LEFT JOIN audit_details d ON d.digest = e.details_digest WHERE e.seq > ? ORDER BY e.seq LIMIT 5000`, after)
		if err != nil {
			return fmt.Errorf("walk audit: %w", err)
		}
		var batch []*ksp.AuditEvent
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("walk audit: %w", err)
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("walk audit: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(batch) < 5000 {
			return nil
		}
	}
}

// EraseAuditDetails deletes the personal details under a digest (staff);
// the chain stays intact. The erasure itself is audited.
func (db *DB) EraseAuditDetails(ctx context.Context, digest string) error {
	if _, err := requireStaff(ctx); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM audit_details WHERE digest = ?`, digest)
		if err != nil {
			return fmt.Errorf("erase audit details: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ksp.NotFound("audit details")
		}
		return tx.audit("audit.erase_details", "digest:"+digest, ksp.StaffOrgID, nil)
	})
}
